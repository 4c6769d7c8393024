"""The review board's opinion is not overridden by a legal unit (000《法制审核办法》第十一条,
002 第十六条, 004 第五十七条（九）（十三））: where the board gave an opinion on a proposal a
review entered by hand is refused and recorded, the decision stands on the board's last
opinion — changed only by a new opinion of the board's own review (its disagreement path,
002 第十五条) — and a finding names a decision issued on anything else, also in chains
written before the refusal. On SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from contracts.records import DECISION
from contracts.review import CONTRACT as REVIEW
from demo.case import COUNSEL_OPINION
from services.records import queries, store
from services.records.models import entries
from services.records.usecases import decisions, events
from services.review import queries as review_queries
from services.review import usecases as review_usecases
from shared.contracts.registry import dump, load
from shared.errors import (
    BoardOpinionStands,
    BoardReviewPending,
    DomainRuleViolated,
    ValidationFailed,
)
from shared.persistence.db import make_engine, migrate, open_db
from shared.trust.actor import Actor
from tests.unit.records.support import (
    access_log_rows,
    actor,
    as_service,
    call,
    review_opinion,
    run_demo,
)

OTHER_REVIEW = "7d0c1b2a-0000-4000-8000-000000000001"


def board_opinion(env, ctx, **changes) -> int:
    """review.opinion_issued.v1 as the board publishes it, consumed by the record keeper."""
    body = review_opinion(ctx, **changes)
    seq = events.record_review_opinion(body, db=env.db, outbox=env.outbox, rules=env.rules,
                                       now=env.now)
    assert seq is not None  # a first delivery: the opinion is appended
    return seq


NOT_APPROVE = dict(opinion="not_approve", label="不予批准或者建议撤销案件", approving=False,
                   reasons="违法行为不能成立")


def manual(ctx, opinion="approve", reviewers=("陈静",), proposal_seq=None) -> dict:
    return {"case_id": ctx["case_id"], "proposal_seq": proposal_seq or ctx["proposal_seq"],
            "opinion": opinion, "reasons": "事实清楚，证据确凿，同意", "reviewers": list(reviewers),
            "reviewed_at": "2025-10-25T09:00:00+08:00", "counsel_opinion": COUNSEL_OPINION}


def issue(env, ctx):
    return call(env, "issue_decision", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
        "decision_no": "陵应急罚〔2025〕31号", "issued_at": "2025-10-27T10:00:00+08:00",
        "signed_by": "王建军"}, actor("head"))


def gate_findings(env, ctx) -> list[tuple[str, int]]:
    found = queries.case_findings({"case_id": ctx["case_id"]}, actor=actor("supervisor"),
                              db=env.db, rules=env.rules, now=env.now)
    return [(f["code"], f["seq"]) for f in found if f["code"] == "decision_not_on_board_opinion"]


def reviews_in_chain(env) -> int:
    with env.db.read() as s:
        return s.execute(select(func.count()).select_from(entries)
                         .where(entries.c.kind == "legal_review")).scalar_one()


def append_as_before(env, ctx, kind: str, content: dict, who) -> int:
    """An entry as records wrote it before the gate refused it (the chain is append-only:
    such entries stay, and must still be read right)."""
    with env.db.transaction() as session:
        case = store.load_case(session, ctx["case_id"], lock=True)
        seq, _, _ = store.append(session, case, kind=kind, actor=who, now=env.now,
                                 occurred_at=env.now, content=content)
    return seq


def test_a_legal_unit_cannot_override_the_boards_opinion(env_db):
    env = env_db
    ctx = run_demo(env, until="enter_legal_review")
    board_seq = board_opinion(env, ctx, **NOT_APPROVE)
    legal = actor("legal_unit", id="legal-lc-003")
    with pytest.raises(BoardOpinionStands) as err:
        as_service(env, "enter_legal_review", manual(ctx), legal,
                   decisions.enter_legal_review, outbox=env.outbox, rules=env.rules,
                   board=env.board)
    e = err.value
    assert e.code == "board_opinion_stands"
    assert (e.details["board_opinion_seq"], e.details["opinion"], e.details["review_id"]) == (
        board_seq, "not_approve", REVIEW.event("opinion_issued.v1").example["review_id"])
    # 陵川's path: the handling unit asks the leaders to re-examine (001 附件3 第九条)
    assert e.details["disagreement"]["procedure"] == "leaders_reexamine"
    assert "contest_opinion → head_decide (the leaders' re-examination" in e.message
    assert reviews_in_chain(env) == 1
    # the refusal is on record like every other: who, what, why
    refused = [r for r in access_log_rows(env, "actor_id", "action", "outcome", "reason")
               if r[2] == "refused"]
    assert refused == [("legal-lc-003", "enter_legal_review", "refused", e.message)]
    with pytest.raises(DomainRuleViolated) as not_approving:
        issue(env, ctx)
    assert not_approving.value.code == "legal_review_not_approving"
    assert not_approving.value.details == {"review_seq": board_seq, "opinion": "not_approve",
                                           "ignored": []}


def test_a_chain_written_before_the_gate_issues_on_the_boards_last_opinion(env_db):
    """A review entered by hand after the board's (as records once accepted) counts for
    nothing: the decision is refused on the board's opinion, and a decision issued on the
    hand-entered one back then is a finding."""
    env = env_db
    ctx = run_demo(env, until="enter_legal_review")
    board_seq = board_opinion(env, ctx, **NOT_APPROVE)
    manual_seq = append_as_before(env, ctx, "legal_review", dict(
        manual(ctx), approving=True, final=True, collective_discussion_owed=False),
        actor("legal_unit"))
    with pytest.raises(DomainRuleViolated) as err:
        issue(env, ctx)
    assert err.value.details == {"review_seq": board_seq, "opinion": "not_approve",
                                 "ignored": [manual_seq]}
    assert gate_findings(env, ctx) == []
    issued_seq = append_as_before(env, ctx, "decision_issued", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
        "decision_no": "陵应急罚〔2025〕31号", "issued_at": "2025-10-27T10:00:00+08:00",
        "signed_by": "王建军", "major": True, "legal_review_seq": manual_seq}, actor("head"))
    assert gate_findings(env, ctx) == [("decision_not_on_board_opinion", issued_seq)]


def test_a_decision_issued_on_a_hand_entry_the_board_then_answered_is_a_finding(env):
    ctx = run_demo(env, until="enter_legal_review")
    call(env, "enter_legal_review", manual(ctx), actor("legal_unit"))  # no board deployed
    issued = issue(env, ctx)
    assert gate_findings(env, ctx) == []
    board_opinion(env, ctx)      # the board, deployed later, reviewed the same proposal
    assert gate_findings(env, ctx) == [("decision_not_on_board_opinion", issued["seq"])]


def test_the_disagreement_path_changes_the_boards_opinion(env_db):
    """Contest → consultation → the head (陵川: the leaders re-examine): the board publishes
    the head's opinion for the same review, and that is the one the decision stands on."""
    env = env_db
    ctx = run_demo(env, until="enter_legal_review")
    board_opinion(env, ctx, **NOT_APPROVE)
    with pytest.raises(DomainRuleViolated):
        issue(env, ctx)
    head_seq = board_opinion(env, ctx, stage="head_decision", reasons="局领导复核：同意")
    issued = issue(env, ctx)
    assert env.events("decision_issued.v1")[-1]["data"]["legal_review_seq"] == head_seq
    assert gate_findings(env, ctx) == []
    assert issued["seq"] == head_seq + 1


def test_an_opinion_of_another_review_cannot_replace_the_boards(env):
    ctx = run_demo(env, until="enter_legal_review")
    board_opinion(env, ctx, **NOT_APPROVE)
    with pytest.raises(DomainRuleViolated) as err:
        board_opinion(env, ctx, review_id=OTHER_REVIEW)
    assert err.value.code == "board_review_mismatch"
    assert reviews_in_chain(env) == 1


def test_without_a_board_the_entry_says_its_reviewers_were_not_checked(env):
    ctx = run_demo(env, until="enter_legal_review")
    seq = call(env, "enter_legal_review", manual(ctx), actor("legal_unit"))["seq"]
    content = stored(env, ctx, seq)
    assert content["staff_register"] == {
        "checked": False, "reason": "the review board (service `review`, which keeps the "
        "staff register) is not deployed: reviewers as the legal unit names them"}
    assert issue(env, ctx)["stage"] == "decision"


def stored(env, ctx, seq) -> dict:
    with env.db.read() as s:
        raw = s.execute(select(entries.c.body).where(entries.c.case_id == ctx["case_id"])
                        .where(entries.c.seq == seq)).scalar_one()
    return json.loads(raw)["content"]


# ---- with the review board deployed ----------------------------------------------------------

class InProcessBoard:
    """The review board's own check_manual_review on its own database, called as the record
    keeper's BoardClient calls it over RPC (the wire: tests/integration/test_review_loop.py)."""

    def __init__(self, db, rules, who: Actor, now):
        self.db, self.rules, self.who, self.now = db, rules, who, now

    def deployed(self) -> bool:
        return True

    def check_manual_review(self, **request) -> dict:
        spec = REVIEW.rpc("check_manual_review")
        return dump(spec.response, review_queries.check_manual_review(
            load(spec.request, request, what="check_manual_review"), actor=self.who,
            db=self.db, rules=self.rules, now=self.now))


@pytest.fixture
def board(env_db, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'review.sqlite3'}")
    migrate(engine, "services.review:migrations")
    db = open_db(engine)
    env_db.board = InProcessBoard(db, env_db.rules, actor("legal_unit", id="legal-lc-003"),
                                  env_db.now)
    staff_member(env_db, "reviewer-lc-005", "陈静", roles=["reviewer"], qualified=True)
    staff_member(env_db, "reviewer-lc-009", "赵新", roles=["reviewer"], qualified=False)
    staff_member(env_db, "officer-lc-030", "周平", roles=["officer"], qualified=True)
    yield env_db.board
    engine.dispose()


def staff_member(env, person_id, name, *, roles, qualified):
    request = load(REVIEW.rpc("register_staff").request, {
        "agency": "lingchuan-emergency", "person_id": person_id, "name": name,
        "roles": roles, "legal_qualification": qualified}, what="register_staff")
    review_usecases.register_staff(request, actor=actor("legal_unit"), db=env.board.db,
                                   outbox=None, rules=env.rules, now=env.now)


def minor_proposal(env, ctx) -> int:
    """A second, non-major proposal on the case: 10,000 CNY on the company (陵川: major from
    50,000, 001 附件3 第二条)."""
    result = call(env, "propose_decision", {
        "case_id": ctx["case_id"], "occurred_at": "2025-10-21T09:00:00+08:00",
        "decision": dict(DECISION, fine_amount="10000")}, actor())
    assert result["classification"]["major"] is False
    return result["seq"]


def test_with_the_board_deployed_a_major_proposal_is_the_boards(env_db, board):
    env = env_db
    ctx = run_demo(env, until="enter_legal_review")
    with pytest.raises(BoardReviewPending) as err:
        as_service(env, "enter_legal_review", manual(ctx), actor("legal_unit"),
                   decisions.enter_legal_review, outbox=env.outbox, rules=env.rules,
                   board=board)
    assert err.value.code == "board_review_pending"
    assert err.value.details["review"] is None
    assert reviews_in_chain(env) == 0
    assert [r for r in access_log_rows(env, "action", "outcome")
            if r[1] == "refused"] == [("enter_legal_review", "refused")]


def test_with_the_board_deployed_reviewers_are_checked_against_its_register(env_db, board):
    env = env_db
    ctx = run_demo(env, until="enter_legal_review")
    seq = minor_proposal(env, ctx)
    with pytest.raises(ValidationFailed) as err:
        call(env, "enter_legal_review", manual(ctx, reviewers=[
            "陈静", "张某", "officer-lc-030", "reviewer-lc-009"], proposal_seq=seq),
             actor("legal_unit"))
    details = err.value.details
    assert sorted(details) == ["reviewers.1", "reviewers.2", "reviewers.3"]
    assert "张某 is not active staff of lingchuan-emergency" in details["reviewers.1"][0]
    assert "is not registered as a reviewer" in details["reviewers.2"][0]
    assert "法律职业资格" in details["reviewers.3"][0]     # a first penalty review, unqualified
    assert reviews_in_chain(env) == 0
    done = call(env, "enter_legal_review", manual(ctx, reviewers=["陈静"], proposal_seq=seq),
                actor("legal_unit"))
    assert stored(env, ctx, done["seq"])["staff_register"] == {
        "checked": True, "ruleset": "lingchuan-emergency@1",
        "reviewers": [{"named": "陈静", "person_id": "reviewer-lc-005"}]}


def test_a_proposal_the_board_reviews_is_not_entered_by_hand(env_db, board):
    """A proposal the board holds a review of, major or not (周村 may send any decision
    outside the simple procedure to it), is the board's to review."""
    env = env_db
    ctx = run_demo(env, until="enter_legal_review")
    seq = minor_proposal(env, ctx)
    with board.db.transaction() as session:   # what request_review does for it
        review = review_usecases._new_review(
            session, agency="lingchuan-emergency", ruleset=env.rules.ruleset(
                "lingchuan-emergency@1"), p={
                "case_id": ctx["case_id"], "case_no": "陵应急立〔2025〕31号",
                "proposal_seq": seq, "decision": {"act_type": "penalty"}, "party": None,
                "handlers": []}, verdict={"major": False, "fired": []},
            actor={"id": "officer-lc-017"}, now=env.now, source_message_id=None)
    with pytest.raises(BoardReviewPending) as err:
        call(env, "enter_legal_review", manual(ctx, proposal_seq=seq), actor("legal_unit"))
    assert err.value.details["review"] == {"review_id": review["id"],
                                           "state": "awaiting_materials", "opinion": None}


class BoardDown:
    """The peer directory while the board restarts: no instance consumes its queue."""

    def deployed(self, service: str) -> bool:
        return False


def test_a_board_the_deployment_requires_counts_while_it_restarts(env):
    """REVIEW_BOARD=required (the full suite): the board down for a moment does not open the
    way for a legal unit's entry by hand; auto would have let it in, absent always does."""
    from services.records.dependencies import BoardClient
    from shared.messaging.calls import PeerClient

    def board(mode: str) -> BoardClient:
        return BoardClient(PeerClient("review", container=None, reply_listener=None, options={},
                                      directory=BoardDown(), mode=mode, timeout=10.0,
                                      identity=None, caller_token=None,
                                      label="the review board", label_zh="法制审核服务"))

    ctx = run_demo(env, until="enter_legal_review")
    assert board("auto").deployed() is False
    with pytest.raises(BoardReviewPending):
        as_service(env, "enter_legal_review", manual(ctx), actor("legal_unit"),
                   decisions.enter_legal_review, outbox=env.outbox, rules=env.rules,
                   board=board("required"))
    assert reviews_in_chain(env) == 0
    # a deployment without the board: the legal unit enters the review
    as_service(env, "enter_legal_review", manual(ctx), actor("legal_unit"),
               decisions.enter_legal_review, outbox=env.outbox, rules=env.rules,
               board=board("absent"))
    assert reviews_in_chain(env) == 1


def test_review_board_setting_is_checked_on_start():
    from services.records.dependencies import ReviewBoard
    from shared.errors import ConfigurationError

    provider = ReviewBoard()
    provider.container = type("C", (), {"config": {"AMQP_URI": "memory://",
                                                   "REVIEW_BOARD": "sometimes"},
                                         "service_name": "records"})()
    with pytest.raises(ConfigurationError, match="REVIEW_BOARD: 'sometimes'"):
        provider.setup()
