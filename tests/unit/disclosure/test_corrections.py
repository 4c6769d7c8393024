"""Requests to correct a publication on SQLite and PostgreSQL: numbered per agency and year
without gaps, verified, corrected (the published fields change, a `corrected` leaf is appended,
publication_corrected.v1), rejected or forwarded, answered; every step with its time and actor;
refusals recorded with message_zh; who asked never in a leaf, an event or the log."""
from __future__ import annotations

import json
import threading
from datetime import date

import pytest

from services.disclosure import models, queries, store, usecases
from services.disclosure.usecases import corrections as uc
from shared.errors import DomainRuleViolated, Forbidden, NotFound, ValidationFailed
from tests import agencies
from tests.unit.disclosure.support import PUBLISHER, Env, actor, draft_request, rpc

LEGAL = actor("legal_unit")
REQUESTER = {"kind": "person", "name": "张某某", "contact": "13912345678"}


def published(env: Env) -> dict:
    pub = env.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    return env.call(usecases.review_publication, "review_publication",
                    {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)


def file(env: Env, pub: dict, who=PUBLISHER, **changes) -> dict:
    payload = {"publication_id": pub["id"], "requester": REQUESTER,
               "problem": "罚款金额有误", "evidence": ["送达回证"], **changes}
    return rpc(env, uc.file_correction, "file_correction", payload, who)


def verify(env: Env, c: dict, who=LEGAL) -> dict:
    return rpc(env, uc.verify_correction, "verify_correction",
               {"correction_id": c["id"], "findings": "与决定书不符"}, who)


def decide(env: Env, c: dict, decision: str, who=LEGAL, **changes) -> dict:
    payload = {"correction_id": c["id"], "decision": decision, "reason": "经核实", **changes}
    return rpc(env, uc.decide_correction, "decide_correction", payload, who)


def answer(env: Env, c: dict, on: date = date(2025, 10, 28)) -> dict:
    return rpc(env, uc.answer_correction, "answer_correction",
               {"correction_id": c["id"], "text": "经核实，已更正。",
                "answered_on": on.isoformat()}, PUBLISHER)


def get_pub(env: Env, pub: dict) -> dict:
    return env.call(queries.get_publication, "get_publication", {"publication_id": pub["id"]},
                    PUBLISHER)


def test_a_correction_changes_the_published_fields_and_appends_a_leaf(env_db: Env):
    pub = published(env_db)
    size = env_db.rows(models.merkle_logs)[0]["size"]
    c = file(env_db, pub)
    assert c["number"] == "更正〔2025〕1号" and c["state"] == "filed" and c["deadline"] is None
    verify(env_db, c)
    code, before = next(iter(pub["published"]["summary"].items()))
    done = decide(env_db, c, "correct", fields={f"summary.{code}": before + "（更正）"})
    assert done["state"] == "corrected"
    after = get_pub(env_db, pub)
    assert after["published"]["summary"][code] == before + "（更正）"
    assert after["summary"][code]["value"] == before + "（更正）"
    assert after["history"][-1]["action"] == "corrected"
    assert after["history"][-1]["leaf_index"] == size
    assert env_db.rows(models.merkle_logs)[0]["size"] == size + 1
    [event] = env_db.events("publication_corrected.v1")
    assert event["data"]["fields"] == {f"summary.{code}": {"before": before,
                                                           "after": before + "（更正）"}}
    assert event["data"]["leaf_index"] == size
    answered = answer(env_db, c)
    assert answered["state"] == "answered" and answered["answer"]["document"] is None
    assert [(s["act"], s["state"], s["by"]) for s in answered["steps"]] == [
        ("file", "filed", PUBLISHER.id), ("verify", "verified", LEGAL.id),
        ("correct", "corrected", LEGAL.id), ("answer", "answered", PUBLISHER.id)]
    assert all(s["at"] for s in answered["steps"])
    # who asked is personal data: in no leaf, event or log row
    public = json.dumps([env_db.rows(models.merkle_leaves), env_db.events(), [
        r["body"] for r in env_db.log()]], ensure_ascii=False, default=str)
    assert "张某某" not in public and "13912345678" not in public


def test_rejected_and_forwarded_change_nothing_published(env_db: Env):
    pub = published(env_db)
    one, two = file(env_db, pub), file(env_db, pub)
    assert (one["number"], two["number"]) == ("更正〔2025〕1号", "更正〔2025〕2号")
    verify(env_db, one), verify(env_db, two)
    assert decide(env_db, one, "reject")["decision"]["reason"] == "经核实"
    forwarded = decide(env_db, two, "forward", forward_to="沁源县市场监督管理局")
    assert forwarded["state"] == "forwarded"
    assert forwarded["decision"]["forward_to"] == "沁源县市场监督管理局"
    assert get_pub(env_db, pub)["published"] == pub["published"]
    assert env_db.events("publication_corrected.v1") == []
    assert answer(env_db, two)["state"] == "answered"


def test_numbers_are_per_agency_and_listed_in_pages(env_db: Env):
    pub = published(env_db)
    made = [file(env_db, pub) for _ in range(3)]
    page = env_db.call(queries.list_corrections, "list_corrections",
                       {"agency": agencies.QINYUAN, "limit": 2}, PUBLISHER)
    assert [i["number"] for i in page["items"]] == ["更正〔2025〕1号", "更正〔2025〕2号"]
    rest = env_db.call(queries.list_corrections, "list_corrections",
                       {"agency": agencies.QINYUAN, "limit": 2, "cursor": page["next"]},
                       PUBLISHER)
    assert [i["id"] for i in rest["items"]] == [made[2]["id"]] and rest["next"] is None
    assert env_db.call(queries.get_correction, "get_correction",
                       {"correction_id": made[0]["id"]}, PUBLISHER)["requester"] == REQUESTER


def test_refusals_are_recorded_with_message_zh_and_change_nothing(env_db: Env):
    pub = published(env_db)
    c = file(env_db, pub)
    with pytest.raises(DomainRuleViolated) as early:     # decided before it is verified
        decide(env_db, c, "reject")
    assert "已受理" in early.value.message_zh
    with pytest.raises(Forbidden):                        # a reviewer does not verify
        verify(env_db, c, who=actor("reviewer"))
    verify(env_db, c)
    with pytest.raises(ValidationFailed) as unknown:      # a field the public does not see
        decide(env_db, c, "correct", fields={"credit.nothing_such": "x"})
    assert "credit.nothing_such" in unknown.value.message_zh
    with pytest.raises(ValidationFailed):                 # forwarded to nobody
        decide(env_db, c, "forward")
    code = next(iter(pub["published"]["summary"]))
    with pytest.raises(DomainRuleViolated):               # an ID number would go public
        decide(env_db, c, "correct", fields={f"summary.{code}": "当事人110101199003077774"})
    with pytest.raises(NotFound):                         # another agency's request
        rpc(env_db, queries.get_correction, "get_correction", {"correction_id": c["id"]},
            actor("publisher", agencies.ANZE))
    refused = env_db.log("refused")
    assert [r["body"]["method"] for r in refused] == [
        "decide_correction", "verify_correction", "decide_correction", "decide_correction",
        "decide_correction", "get_correction"]
    assert refused[4]["body"]["rule"] == "correction_unredacted"
    assert refused[0]["body"]["rule"] == "correction_transition"
    assert all(r["body"]["reason"] for r in refused)
    assert uc_state(env_db, c) == "verified"
    assert get_pub(env_db, pub)["published"] == pub["published"]
    assert env_db.events("publication_corrected.v1") == []


@pytest.mark.parametrize("changes,field", [
    ({"evidence": [f"证据{i}" for i in range(21)]}, "evidence"),
    ({"problem": "错" * 2001}, "problem"),
    ({"requester": dict(REQUESTER, name="")}, "requester.name"),
])
def test_a_request_beyond_its_bounds_is_refused_by_field(env: Env, changes: dict, field: str):
    pub = published(env)
    with pytest.raises(ValidationFailed) as exc:
        file(env, pub, **changes)
    assert field in exc.value.details and exc.value.message_zh
    assert env.rows(models.corrections) == []
    # refused by the contract before the use case ran, and recorded all the same
    refused = env.log("refused")
    assert [r["body"]["method"] for r in refused] == ["file_correction"]
    assert refused[0]["body"]["code"] == "validation_failed"
    assert field in refused[0]["body"]["reason"]


def uc_state(env: Env, c: dict) -> str:
    with env.db.read() as s:
        return store.load_correction(s, c["id"])["state"]


def test_a_request_for_a_draft_is_refused(env: Env):
    pub = env.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    with pytest.raises(DomainRuleViolated) as exc:
        file(env, pub)
    assert exc.value.details["rule"] == "correction_of_published"
    assert env.rows(models.corrections) == [] and env.rows(models.correction_counters) == []


def test_a_repeated_filing_answers_the_first(env: Env):
    pub = published(env)
    payload = {"publication_id": pub["id"], "requester": REQUESTER, "problem": "有误"}
    first = rpc(env, uc.file_correction, "file_correction", payload, PUBLISHER, key="k-1")
    again = rpc(env, uc.file_correction, "file_correction", payload, PUBLISHER, key="k-1")
    assert again["id"] == first["id"] and len(env.rows(models.corrections)) == 1


def test_two_concurrent_filings_take_consecutive_numbers(db_url: str, env_db: Env):
    if not db_url.startswith("postgresql"):
        pytest.skip("the row lock is PostgreSQL's; SQLite serialises writers itself")
    pub = published(env_db)
    numbers: list[str] = []
    barrier = threading.Barrier(4)

    def one() -> None:
        barrier.wait()
        numbers.append(file(env_db, pub)["number"])
    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"更正〔2025〕{i}号" for i in range(1, 5)]


def test_each_agency_numbers_its_own_requests(env: Env):
    qinyuan = published(env)
    file(env, qinyuan)
    anze = actor("publisher", agencies.ANZE)
    draft = env.call(usecases.create_draft, "create_draft",
                     draft_request(agency=agencies.ANZE, decision_no="安能罚〔2025〕1号"), anze)
    pub = env.call(usecases.review_publication, "review_publication",
                   {"publication_id": draft["id"], "outcome": "publish",
                    "completions": {c: "补充" for c in draft["missing"]}}, anze)
    assert file(env, pub, who=anze)["number"] == "更正〔2025〕1号"
    assert file(env, qinyuan)["number"] == "更正〔2025〕2号"

