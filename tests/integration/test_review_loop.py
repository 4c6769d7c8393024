"""The loop between the record keeper and the review board over real RabbitMQ (a vhost per
test), each service on its own database (SQLite files, or two PostgreSQL databases):
decision_proposed → a review request; opinion_issued → an entry in the case's chain; records
refuses a major decision until then, and names the review board when it is not deployed.
Poison events are dead-lettered with their reason; redelivered events change nothing; forged
events (unsigned, signed by another service, for an agency not served) are dead-lettered
before any handling."""
from __future__ import annotations

import dataclasses
import json
import time
import uuid

import pytest
from kombu import Connection, Exchange, Producer
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from services.records.service import RecordsService
from services.review.service import ReviewService
from shared.contracts.registry import envelope
from shared.errors import (
    BoardOpinionStands,
    DomainRuleViolated,
    ServiceNotDeployed,
    ValidationFailed,
)
from shared.trust.keys import KeyStore
from shared.trust.signatures import sign
from tests.agencies import LINGCHUAN, agencies
from tests.builders import ACTORS, AGENCY, REVIEWER, demo_decision, demo_plan
from tests.events import dead_letters, proposed
from tests.plans import run_case, start_vault

AGENCIES = agencies(LINGCHUAN)


@pytest.fixture
def second_db(request, tmp_path, db_url):
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'review.sqlite3'}"
    return request.getfixturevalue("make_pg_database")()


@pytest.fixture
def suite(container_factory, rabbit_config, db_url, second_db, tmp_path, keys_dir,
          token_issuer):
    """Start the services named; returns config, an RPC proxy factory and the db urls."""
    keys = keys_dir
    urls = {"records": db_url, "review": second_db}
    classes = {"records": RecordsService, "review": ReviewService}
    signer = token_issuer
    config = dict(rabbit_config, KEYS_DIR=keys, AGENCIES=AGENCIES)

    def start(*names):
        for name in names:
            container_factory(classes[name], dict(config, DATABASE_URL=urls[name])).start()
            if name == "records":  # the vault beside it: the case's AV records name its objects
                start_vault(container_factory, config, tmp_path)

    def rpc(role="officer"):
        token = signer.issue(actor_id=ACTORS[role], role=role,
                             agency=AGENCY, name=ACTORS[role])
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=20)

    return start, rpc, config, urls


def test_a_major_decision_passes_through_the_review_board(suite):
    start, rpc, _, urls = suite
    start("records", "review")
    with rpc("head") as head:
        assert head.records.health()["missing_peers"] == []
        assert head.review.health()["missing_peers"] == []
    ctx = run_case(rpc, demo_plan("陵应急立〔2025〕501号", with_review=True))
    with rpc("head") as head:
        entries = head.records.get_entries(case_id=ctx["case_id"])
        review = head.review.get_review(review_id=ctx["review_id"])
        verdict = head.records.verify_case(case_id=ctx["case_id"])
    kinds = [e["kind"] for e in entries]
    review_entry = entries[kinds.index("legal_review")]
    issued = entries[kinds.index("decision_issued")]
    content = review_entry["content"]
    # the opinion entered the chain through the event, before the decision, by the reviewer
    assert kinds.index("decision_proposed") < kinds.index("legal_review") < kinds.index(
        "decision_issued")
    assert (review_entry["actor_id"], review_entry["actor_role"]) == (REVIEWER, "reviewer")
    assert (content["review_id"], content["opinion"], content["approving"], content["final"]) \
        == (ctx["review_id"], "approve", True, True)
    assert [c["destination"] for c in content["document"]["copies"]] == [
        "case_file", "review_archive"]
    assert content["document"]["data"]["doc_number"] == "陵应急法审〔2025〕501号"
    assert issued["content"]["legal_review_seq"] == review_entry["seq"]
    assert verdict["ok"]
    # the review's own record: requested from the event, the refused assignment kept
    assert review["state"] == "opinion_issued" and review["source_message_id"]
    assert review["deadline"]["due"] == "2025-10-29"
    actions = [h["action"] for h in review["history"]]
    assert actions[0] == "requested" and "assignment_refused" in actions
    assert review["history"][0]["body"]["via"] == "records.decision_proposed.v1"


def test_records_alone_names_the_missing_review_board(suite):
    start, rpc, _, _ = suite
    start("records")
    plan = demo_plan("陵应急立〔2025〕502号", with_review=False)
    ctx = run_case(rpc, plan, through="decision_proposed")
    with rpc("head") as head:
        with pytest.raises(ServiceNotDeployed) as err:
            head.records.issue_decision(case_id=ctx["case_id"],
                                        proposal_seq=ctx["proposal_seq"],
                                        decision_no="陵应急罚〔2025〕502号",
                                        issued_at="2025-10-21T10:00:00+08:00",
                                        signed_by="王建军")
    assert err.value.details["service"] == "review"
    assert "review board (service `review`) is not deployed" in err.value.message


def _publish(config, body: dict, routing_key: str = "decision_proposed.v1",
             exchange: str = "records.events") -> None:
    with Connection(config["AMQP_URI"]) as conn:
        Producer(conn.default_channel).publish(
            json.dumps(body, ensure_ascii=False), routing_key=routing_key,
            exchange=Exchange(exchange, type="topic", durable=True),
            content_type="application/json", delivery_mode=2)


def _proposed(config, case_id: str, agency: str = "lingchuan-emergency", **changes) -> dict:
    return proposed(config["KEYS_DIR"], case_id, agency, **changes)


def _dead_letters(config, rabbit_api, queue: str, count: int, timeout: float = 20) -> list:
    return dead_letters(config["AMQP_URI"], queue, count, timeout)


def test_poison_events_are_dead_lettered_and_redeliveries_change_nothing(suite, rabbit_api):
    start, rpc, config, urls = suite
    start("review")
    vhost = config["AMQP_URI"].rsplit("/", 1)[1]
    good = _proposed(config, str(uuid.uuid4()))
    bad = _proposed(config, str(uuid.uuid4()))
    bad["data"] = {"case_id": "x"}                                   # most fields missing
    sign(bad, KeyStore(config["KEYS_DIR"]).event_signing_key("records"))
    for body in (good, bad, good):           # the good one twice: a redelivery
        _publish(config, body)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        dlq = rabbit_api.queues(vhost.replace("%2F", "/")).get("dlq.review", {})
        if dlq.get("messages_ready", dlq.get("messages", 0)):
            break
        time.sleep(0.2)
    with Connection(config["AMQP_URI"]) as conn:
        msg = None
        while msg is None and time.monotonic() < deadline + 5:
            msg = conn.default_channel.basic_get("dlq.review", no_ack=True)
            if msg is None:
                time.sleep(0.1)
    assert msg is not None, "the poison message was not dead-lettered"
    headers = msg.headers
    assert json.loads(msg.body)["message_id"] == bad["message_id"]
    assert headers["x-dead-error"] == "ValidationFailed"
    assert "data.party" in headers["x-dead-reason"] and "required" in headers["x-dead-reason"]
    assert headers["x-original-routing-key"] == "decision_proposed.v1"
    assert headers["x-handler"] == "review.on_decision_proposed"
    with rpc("legal_unit") as client:
        assert client.review.health()["service"] == "review"   # the worker lives on
        reviews = client.review.list_reviews(agency="lingchuan-emergency")
    assert [r["case_id"] for r in reviews] == [good["data"]["case_id"]]
    engine = create_engine(urls["review"])
    with engine.connect() as c:
        assert c.execute(text("select count(*) from inbox")).scalar() == 1
    engine.dispose()


def test_a_passed_review_still_needs_the_decision_maker(suite):
    """Even with the review board deployed, records keeps its own gate: an opinion that does
    not approve blocks the decision, named as such."""
    start, rpc, _, _ = suite
    start("records", "review")
    plan = demo_plan("陵应急立〔2025〕503号", with_review=True)
    cut = [s.method for s in plan].index("issue_opinion")
    ctx = run_case(rpc, plan[:cut])
    with rpc("reviewer") as reviewer:
        reviewer.review.issue_opinion(review_id=ctx["review_id"], opinion="further_investigation",
                                      reasons="证据不足，退回补充调查",
                                      issued_at="2025-10-24T15:00:00+08:00")
    with rpc("head") as head:
        deadline = time.monotonic() + 15
        while True:
            try:
                head.records.issue_decision(case_id=ctx["case_id"],
                                            proposal_seq=ctx["proposal_seq"],
                                            decision_no="陵应急罚〔2025〕503号",
                                            issued_at="2025-10-27T10:00:00+08:00",
                                            signed_by="王建军")
            except DomainRuleViolated as exc:
                if exc.code == "legal_review_required" and time.monotonic() < deadline:
                    time.sleep(0.1)   # the opinion is still on its way
                    continue
                assert exc.code == "legal_review_not_approving"
                assert exc.details["opinion"] == "further_investigation"
                break
            pytest.fail("a decision was issued on a non-approving opinion")


def _board_opinions(rpc, ctx, proposal_seq: int, count: int) -> list[dict]:
    """The board's opinions on the proposal in the case's chain, once `count` have arrived
    (each travels as review.opinion_issued.v1)."""
    deadline = time.monotonic() + 15
    with rpc("head") as head:
        while True:
            found = [e for e in head.records.get_entries(case_id=ctx["case_id"], limit=1000)
                     if e["kind"] == "legal_review" and "review_id" in e["content"]
                     and e["content"]["proposal_seq"] == proposal_seq]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) == count, found
                return found
            time.sleep(0.1)


def test_a_legal_unit_cannot_override_the_board_only_its_disagreement_path_can(suite):
    """The board says not_approve; a legal_unit token enters `approve` by hand: refused and
    recorded, and the decision is refused on the board's opinion (000 第十一条, 002
    第十六条, 004 第五十七条（九）（十三））. With the board deployed a review entered for a
    proposal the board does not take up is checked against its staff register, over RPC.
    Then 陵川's path — contest, consultation, the leaders' re-examination by the head —
    changes the board's opinion, and the decision is issued on the head's."""
    start, rpc, _, _ = suite
    start("records", "review")
    plan = demo_plan("陵应急立〔2025〕504号", with_review=True)
    cut = [s.method for s in plan].index("issue_opinion")
    ctx = run_case(rpc, plan[:cut])
    major = ctx["proposal_seq"]
    with rpc("reviewer") as reviewer:
        reviewer.review.issue_opinion(review_id=ctx["review_id"], opinion="not_approve",
                                      reasons="违法行为不能成立",
                                      issued_at="2025-10-24T15:00:00+08:00")
    [board] = _board_opinions(rpc, ctx, major, 1)
    manual = {"case_id": ctx["case_id"], "opinion": "approve", "reasons": "同意",
              "reviewed_at": "2025-10-25T09:00:00+08:00"}
    decision = {"case_id": ctx["case_id"], "proposal_seq": major,
                "decision_no": "陵应急罚〔2025〕504号", "issued_at": "2025-10-27T10:00:00+08:00",
                "signed_by": "王建军"}
    with rpc("legal_unit") as legal:
        with pytest.raises(BoardOpinionStands) as stands:
            legal.records.enter_legal_review(proposal_seq=major, reviewers=["陈静"], **manual)
    assert stands.value.details["board_opinion_seq"] == board["seq"]
    assert stands.value.details["disagreement"]["procedure"] == "leaders_reexamine"
    with rpc("head") as head:
        with pytest.raises(DomainRuleViolated) as err:
            head.records.issue_decision(**decision)
        assert (err.value.code, err.value.details["review_seq"]) == (
            "legal_review_not_approving", board["seq"])
        refused = [f for f in head.records.case_findings(case_id=ctx["case_id"])
                   if f["code"] == "access_refused"]
    assert [f["message"].split(":")[0] for f in refused] == [
        f"legal_unit {ACTORS['legal_unit']} (lingchuan-emergency) was refused "
        "enter_legal_review"]

    # a 10,000 CNY fine is not major in 陵川: the board does not take it up, and a review
    # entered for it names reviewers the board's register knows
    with rpc("officer") as officer:
        minor = officer.records.propose_decision(
            case_id=ctx["case_id"], occurred_at="2025-10-24T16:00:00+08:00",
            decision=demo_decision(fine_amount="10000"))["seq"]
    with rpc("legal_unit") as legal:
        with pytest.raises(ValidationFailed) as invalid:
            legal.records.enter_legal_review(proposal_seq=minor, reviewers=["陈静", "张某"],
                                             **manual)
        assert list(invalid.value.details) == ["reviewers.1"]
        legal.records.enter_legal_review(proposal_seq=minor, reviewers=["陈静"], **manual)

    # 陵川 001 附件3 第九条: the handling unit asks the leaders to re-examine
    with rpc("officer") as officer:
        officer.review.contest_opinion(review_id=ctx["review_id"], reason="违法事实有证据证明",
                                       contested_at="2025-10-25T09:00:00+08:00")
        officer.review.record_consultation(
            review_id=ctx["review_id"], held_at="2025-10-25T10:00:00+08:00",
            participants=["李明", "陈静"], summary="未达成一致，提请局领导复核",
            outcome="no_agreement")
    with rpc("head") as head:
        head.review.head_decide(review_id=ctx["review_id"], outcome="replace", opinion="approve",
                                reasons="局领导复核：事实清楚，证据确凿，同意",
                                decided_at="2025-10-27T09:00:00+08:00")
    _, replaced = _board_opinions(rpc, ctx, major, 2)
    assert (replaced["content"]["stage"], replaced["content"]["opinion"]) == (
        "head_decision", "approve")
    with rpc("head") as head:
        issued = head.records.issue_decision(**decision)
        entries = head.records.get_entries(case_id=ctx["case_id"], from_seq=issued["seq"])
        found = head.records.case_findings(case_id=ctx["case_id"])
    assert entries[0]["content"]["legal_review_seq"] == replaced["seq"]
    assert "decision_not_on_board_opinion" not in [f["code"] for f in found]


def _forged_opinion(ctx: dict) -> dict:
    """An approving, final opinion_issued.v1 naming a pending proposal, as a forger writes it."""
    from contracts.review import CONTRACT as REVIEW
    data = dict(REVIEW.event("opinion_issued.v1").example, case_id=ctx["case_id"],
                proposal_seq=ctx["proposal_seq"], review_id=ctx["review_id"], opinion="approve",
                approving=True, final=True)
    return envelope(REVIEW, "opinion_issued.v1", data, agency=AGENCY,
                    actor={"id": REVIEWER, "role": "reviewer"},
                    ruleset="lingchuan-emergency@1")


def test_a_forged_opinion_is_dead_lettered_and_issues_nothing(suite, rabbit_api):
    """Anyone who may publish on review.events: an approving opinion for a proposal whose real
    review still awaits its materials, unsigned, or validly signed by records' key."""
    start, rpc, config, urls = suite
    start("records", "review")
    plan = demo_plan("陵应急立〔2025〕504号", with_review=True)
    ctx = run_case(rpc, plan[:[s.method for s in plan].index("submit_materials")])
    with rpc("legal_unit") as legal:
        assert legal.review.get_review(review_id=ctx["review_id"])["state"] == \
            "awaiting_materials"
    unsigned = _forged_opinion(ctx)
    by_records = _forged_opinion(ctx)
    records_key = KeyStore(config["KEYS_DIR"]).event_signing_key("records")
    sign(by_records, records_key)
    for body in (unsigned, by_records):
        _publish(config, body, routing_key="opinion_issued.v1", exchange="review.events")
    letters = {json.loads(m.body)["message_id"]: m.headers
               for m in _dead_letters(config, rabbit_api, "dlq.records", 2)}
    assert letters[unsigned["message_id"]]["x-dead-reason"].startswith(
        "event_unsigned: the event is unsigned")
    assert letters[by_records["message_id"]]["x-dead-reason"].startswith(
        f"event_unknown_key: key_id {records_key.kid} is not one of review's event keys")
    for headers in letters.values():
        assert headers["x-dead-error"] == "EventRefused"
        assert headers["x-handler"] == "records.on_opinion_issued"
        assert headers["x-original-routing-key"] == "opinion_issued.v1"
    with rpc("head") as head:
        kinds = [e["kind"] for e in head.records.get_entries(case_id=ctx["case_id"])]
        with pytest.raises(DomainRuleViolated) as err:
            head.records.issue_decision(case_id=ctx["case_id"], proposal_seq=ctx["proposal_seq"],
                                        decision_no="陵应急罚〔2025〕504号",
                                        issued_at="2025-10-27T10:00:00+08:00", signed_by="王建军")
    assert "legal_review" not in kinds and "decision_issued" not in kinds
    assert err.value.code == "legal_review_required"
    engine = create_engine(urls["records"])
    with engine.connect() as c:   # never remembered as handled: nothing ran
        assert c.execute(text("select count(*) from inbox")).scalar() == 0
    engine.dispose()


def test_events_for_an_agency_not_served_or_stored_unsigned_are_dead_lettered(suite, rabbit_api):
    """A decision_proposed.v1 validly signed by records but for an agency this deployment does
    not serve creates no review; a row records' outbox holds unsigned (written before events
    were signed, or by anyone with write access to the table) goes out as stored and is
    refused, as the relay never signs."""
    start, rpc, config, urls = suite
    start("records", "review")
    elsewhere = _proposed(config, str(uuid.uuid4()), agency="no-such-agency")
    _publish(config, elsewhere)
    stored = _proposed(config, str(uuid.uuid4()))
    del stored["key_id"], stored["signature"]
    records_db = create_engine(urls["records"])
    with records_db.begin() as c:
        c.execute(text("insert into outbox (message_id, event_type, body, created_at, state, "
                       "attempts) values (:m, 'decision_proposed.v1', :b, :t, 'pending', 0)"),
                  {"m": stored["message_id"], "b": json.dumps(stored, ensure_ascii=False),
                   "t": "2025-10-20 01:00:00"})
    records_db.dispose()
    letters = {json.loads(m.body)["message_id"]: m.headers
               for m in _dead_letters(config, rabbit_api, "dlq.review", 2)}
    assert letters[elsewhere["message_id"]]["x-dead-reason"] == (
        "event_agency_not_served: agency 'no-such-agency' is not served by this deployment; "
        "known: lingchuan-emergency")
    assert letters[stored["message_id"]]["x-dead-reason"].startswith("event_unsigned:")
    assert {h["x-handler"] for h in letters.values()} == {"review.on_decision_proposed"}
    review_db = create_engine(urls["review"])
    with review_db.connect() as c:
        assert c.execute(text("select count(*) from reviews")).scalar() == 0
        assert c.execute(text("select count(*) from inbox")).scalar() == 0
    review_db.dispose()


# ---- 陵川's paths (001 附件3 第七条（八）, 第九条; 工作方案 四(三)一) --------------------------

def _lingchuan_until_opinion(rpc, case_no: str, materials=None) -> dict:
    """The demo case (陵川) up to the reviewer's opinion; `materials` changes what the handling
    unit submits."""
    plan = demo_plan(case_no, with_review=True)
    plan = plan[:[s.method for s in plan].index("issue_opinion")]
    if materials is not None:
        plan = [dataclasses.replace(s, payload=materials(s.payload))
                if s.name == "materials_submitted" else s for s in plan]
    return run_case(rpc, plan)


def _decision(ctx: dict, no: str) -> dict:
    return {"case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"], "decision_no": no,
            "issued_at": "2025-10-28T10:00:00+08:00", "signed_by": "王建军"}


def test_lingchuan_a_case_left_to_the_leaders_is_issued_on_their_collective_discussion(suite):
    """第七条（八）“对重大、复杂案件，由局机关领导集体研究决定”: the opinion sends the case to
    the leaders; the decision is refused until their discussion, recorded on the board,
    decides it — then issued on the board's final opinion, whose 意见书 keeps the reviewers'
    opinion and prints the leaders' conclusion as theirs."""
    start, rpc, _, _ = suite
    start("records", "review")
    ctx = _lingchuan_until_opinion(rpc, "陵应急立〔2025〕511号")
    with rpc("reviewer") as reviewer:
        reviewer.review.issue_opinion(review_id=ctx["review_id"], opinion="collective_decision",
                                      reasons="案情重大、复杂，提请局机关领导集体研究决定",
                                      issued_at="2025-10-24T15:00:00+08:00")
    [left] = _board_opinions(rpc, ctx, ctx["proposal_seq"], 1)
    assert (left["content"]["opinion"], left["content"]["approving"],
            left["content"]["final"]) == ("collective_decision", False, False)
    decision = _decision(ctx, "陵应急罚〔2025〕511号")
    with rpc("head") as head:
        with pytest.raises(DomainRuleViolated) as err:
            head.records.issue_decision(**decision)
        assert err.value.code == "collective_discussion_required"
        head.review.record_collective_discussion(
            review_id=ctx["review_id"], held_at="2025-10-27T15:00:00+08:00",
            participants=["王建军", "李强", "赵敏"],
            summary="经局机关领导集体研究，同意作出处罚决定", conclusion="approve")
    _, final = _board_opinions(rpc, ctx, ctx["proposal_seq"], 2)
    content = final["content"]
    assert (content["stage"], content["approving"], content["final"]) == (
        "collective_discussion", True, True)
    data = content["document"]["data"]
    assert data["opinion_kind"] == "由局机关领导集体研究决定"
    assert data["decisions"] == [{"by": "机关负责人集体讨论（王建军、李强、赵敏）",
                                  "kind": "同意作出决定",
                                  "reasons": "经局机关领导集体研究，同意作出处罚决定",
                                  "date": "2025-10-27"}]
    with rpc("head") as head:
        issued = head.records.issue_decision(**decision)
        entries = head.records.get_entries(case_id=ctx["case_id"], from_seq=issued["seq"])
    assert entries[0]["content"]["legal_review_seq"] == final["seq"]


def test_lingchuan_leaders_reexamine_unconsulted_and_the_document_says_who_decided_what(suite):
    """第九条 “相关股室…有异议的，可以提请局领导复核”: contested, the head re-examines at once —
    no consultation forced between — and the 意见书 prints the reviewers' opinion under their
    names and the head's decision under the head's."""
    start, rpc, _, _ = suite
    start("records", "review")
    ctx = _lingchuan_until_opinion(rpc, "陵应急立〔2025〕512号")
    with rpc("reviewer") as reviewer:
        reviewer.review.issue_opinion(review_id=ctx["review_id"], opinion="not_approve",
                                      reasons="违法行为不能成立",
                                      issued_at="2025-10-24T15:00:00+08:00")
    _board_opinions(rpc, ctx, ctx["proposal_seq"], 1)
    with rpc("officer") as officer:
        officer.review.contest_opinion(review_id=ctx["review_id"], reason="违法事实有证据证明",
                                       contested_at="2025-10-25T09:00:00+08:00")
    with rpc("head") as head:
        head.review.head_decide(review_id=ctx["review_id"], outcome="replace", opinion="approve",
                                reasons="局领导复核：事实清楚，证据确凿，同意",
                                decided_at="2025-10-27T09:00:00+08:00")
    _, replaced = _board_opinions(rpc, ctx, ctx["proposal_seq"], 2)
    data = replaced["content"]["document"]["data"]
    assert (data["opinion_kind"], data["opinion_reasons"], data["review_date"]) == (
        "不予批准或者建议撤销案件", "违法行为不能成立", "2025-10-24")
    assert [r["name"] for r in data["reviewers"]] == ["陈静"]
    assert data["decisions"] == [{"by": f"行政执法机关负责人（{ACTORS['head']}）",
                                  "kind": "同意", "reasons": "局领导复核：事实清楚，证据确凿，同意",
                                  "date": "2025-10-27"}]
    with rpc("head") as head:
        issued = head.records.issue_decision(**_decision(ctx, "陵应急罚〔2025〕512号"))
        review = head.review.get_review(review_id=ctx["review_id"])
    assert issued["seq"] > replaced["seq"]
    assert (review["disagreement"]["procedure"], review["disagreement"]["consultations"]) == (
        "leaders_reexamine", [])


def _without_counsel(payload):
    def build(ctx: dict) -> dict:
        p = payload(ctx)
        return dict(p, materials=[m for m in p["materials"]
                                  if m["code"] != "legal_counsel_opinion"])
    return build


def test_lingchuan_no_opinion_and_no_decision_before_the_counsels_legal_opinion(suite):
    """工作方案 四(三)一 “对我局做出的重大执法决定，法律顾问应通过出具法律意见书等形式进行审核”:
    without the counsel's 法律意见书 the board refuses the opinion (recorded in the review's
    history), so records refuses the decision; once it is filed the opinion names it and the
    decision is issued."""
    start, rpc, _, _ = suite
    start("records", "review")
    ctx = _lingchuan_until_opinion(rpc, "陵应急立〔2025〕513号", materials=_without_counsel)
    opinion = {"review_id": ctx["review_id"], "opinion": "approve",
               "reasons": "主体合法，事实清楚，证据确凿，适用依据正确，程序合法，裁量适当",
               "issued_at": "2025-10-24T15:00:00+08:00"}
    decision = _decision(ctx, "陵应急罚〔2025〕513号")
    with rpc("reviewer") as reviewer:
        with pytest.raises(DomainRuleViolated) as err:
            reviewer.review.issue_opinion(**opinion)
    assert (err.value.code, err.value.details["material"]) == (
        "legal_counsel_opinion_missing", "legal_counsel_opinion")
    with rpc("head") as head:
        with pytest.raises(DomainRuleViolated) as refused:
            head.records.issue_decision(**decision)
        assert refused.value.code == "legal_review_required"
        history = head.review.get_review(review_id=ctx["review_id"])["history"]
    assert [(h["actor_id"], h["body"]["refused"]) for h in history
            if h["action"] == "opinion_refused"] == [
        (REVIEWER, "legal_counsel_opinion_missing")]
    with rpc("officer") as officer:
        officer.review.submit_materials(
            review_id=ctx["review_id"], applicable=[],
            materials=[{"code": "legal_counsel_opinion",
                        "title": "法律意见书（山西晋陵律师事务所）", "note": "同意法制审核意见"}],
            submitted_at="2025-10-24T10:00:00+08:00")
    with rpc("reviewer") as reviewer:
        reviewer.review.issue_opinion(**opinion)
    [board] = _board_opinions(rpc, ctx, ctx["proposal_seq"], 1)
    assert board["content"]["document"]["data"]["counsel_opinion"] == (
        "法律意见书（山西晋陵律师事务所）：同意法制审核意见")
    with rpc("head") as head:
        issued = head.records.issue_decision(**decision)
    assert issued["seq"] > board["seq"]
