"""A legal hold is independent of retention; nothing expires silently: disposal is asked for
after expiry, approved by a second person, and leaves its record."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.vault import CONTRACT
from services.vault import queries, usecases
from shared.errors import DomainRuleViolated, Forbidden
from tests.unit.vault.support import HEAD, LEGAL, OFFICER, SUPERVISOR, actor

FOOTAGE = b"footage of an inspection " * 100
AFTER_EXPIRY = datetime(2027, 10, 21, 1, 0, tzinfo=UTC)   # 2027-10-21 09:00 CST


def test_disposal_before_expiry_is_refused_and_recorded(env):
    stored = env.ingest(FOOTAGE)
    with pytest.raises(DomainRuleViolated) as refused:
        env.call(usecases.request_disposal, "request_disposal",
                 {"object_id": stored["id"], "reason": "不再需要"}, HEAD)
    assert refused.value.details["rule"] == "retention_active"
    assert env.log("refused")[-1]["body"]["details"]["rule"] == "retention_active"


def test_a_permanent_object_is_never_disposed_of(env):
    stored = env.ingest(FOOTAGE, facts=["penalty_evidence"])
    env.now = datetime(2090, 1, 1, tzinfo=UTC)
    with pytest.raises(DomainRuleViolated) as refused:
        env.call(usecases.request_disposal, "request_disposal",
                 {"object_id": stored["id"], "reason": "年代久远"}, HEAD)
    assert refused.value.details["rule"] == "permanent"


def test_a_legal_hold_keeps_an_expired_object_until_lifted(env):
    stored = env.ingest(FOOTAGE)
    held = env.call(usecases.set_legal_hold, "set_legal_hold",
                    {"object_id": stored["id"], "on": True, "reason": "行政诉讼证据保全"}, LEGAL)
    assert held["legal_hold"] is True
    assert env.stores.primary.stat(_key(stored)).lock.legal_hold
    env.now = AFTER_EXPIRY
    with pytest.raises(DomainRuleViolated) as refused:
        env.call(usecases.request_disposal, "request_disposal",
                 {"object_id": stored["id"], "reason": "期满"}, HEAD)
    assert refused.value.details["rule"] == "legal_hold"
    env.call(usecases.set_legal_hold, "set_legal_hold",
             {"object_id": stored["id"], "on": False, "reason": "诉讼终结"}, LEGAL)
    env.call(usecases.request_disposal, "request_disposal",
             {"object_id": stored["id"], "reason": "期满"}, HEAD)


def test_disposal_is_approved_by_a_second_person_and_leaves_its_record(env):
    stored = env.ingest(FOOTAGE)
    env.now = AFTER_EXPIRY
    asked = env.call(usecases.request_disposal, "request_disposal",
                     {"object_id": stored["id"], "reason": "保存期限届满"}, HEAD)
    assert asked["state"] == "requested"
    with pytest.raises(DomainRuleViolated) as refused:
        env.call(usecases.approve_disposal, "approve_disposal",
                 {"disposal_id": asked["id"], "note": None}, HEAD)
    assert refused.value.details["rule"] == "four_eyes"
    assert env.stores.primary.exists(_key(stored))

    done = env.call(usecases.approve_disposal, "approve_disposal",
                    {"disposal_id": asked["id"], "note": "同意"},
                    actor("supervisor", id="supervisor-2"))
    assert (done["state"], done["requested_by"], done["approved_by"]) == \
        ("approved", "head-1", "supervisor-2")
    assert done["sha256"] == stored["sha256"] and done["retention"]["class"] == "av_default"
    assert not env.stores.primary.exists(_key(stored))
    assert not env.stores.replica.exists(_key(stored))
    after = queries.get_object({"object_id": stored["id"]}, actor=SUPERVISOR, db=env.db,
                               now=env.now)
    assert after["state"] == "disposed"
    [event] = env.events("object_disposed.v1")
    assert event["data"]["approved_by"] == "supervisor-2"
    with pytest.raises(DomainRuleViolated) as refused:
        env.ingest(FOOTAGE)
    assert refused.value.details == {"object_id": stored["id"], "rule": "disposed_content"}


def test_holds_and_disposals_are_not_an_officers(env):
    for method in ("set_legal_hold", "request_disposal", "approve_disposal"):
        with pytest.raises(Forbidden):
            CONTRACT.rpc(method).admit(OFFICER)


def _key(stored: dict) -> str:
    return f"qinyuan-energy/sha256/{stored['sha256'][:2]}/{stored['sha256']}"
