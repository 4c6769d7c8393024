"""Replaying unrouted events: limited to the replaying actor's agency, or narrowed by a
supervisor to the one it names, which this deployment must serve. On SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from services.records import models
from services.records.usecases import events
from shared.errors import Forbidden, NotFound, ValidationFailed
from tests.builders import open_case_request
from tests.unit.records.support import access_log_rows, actor, as_service, call, outbox_states

ZHOUCUN, LINGCHUAN = "zhoucun-district", "lingchuan-emergency"


@pytest.fixture
def env(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db


# ---- 3. replay narrowed to one agency ------------------------------------------------------

def replay(env, who, rules=None, **payload):
    return as_service(env, "replay_events", payload, who, events.replay_events,
                      table=models.outbox, rules=rules)


def refusals(env):
    return access_log_rows(env, "actor_id", "actor_agency", "action", "outcome", "reason")


def test_replay_narrowed_to_one_agency(env):
    for agency, case_no in ((LINGCHUAN, "陵应急立〔2025〕91号"),
                            ("qinyuan-energy", "沁能立〔2025〕91号"),
                            (ZHOUCUN, "周村立〔2025〕91号")):
        opening = dict(open_case_request(case_no), agency=agency)
        call(env, "open_case", opening, actor("officer", agency=agency))
    with env.db.transaction() as s:  # no queue was bound for any of them
        s.execute(update(models.outbox).values(state="unrouted"))
    # a supervisor narrows its replay to one agency
    assert replay(env, actor("supervisor", agency="changzhi-energy"),
                  agency="qinyuan-energy") == {"requeued": 2}
    states = outbox_states(env)
    assert {k: v for k, v in states.items() if v != {"unrouted"}} == {
        ("qinyuan-energy", "case_opened.v1"): {"pending"},
        ("qinyuan-energy", "entry_appended.v1"): {"pending"}}
    # a legal unit naming another agency is refused, the refusal recorded, nothing requeued
    with pytest.raises(Forbidden) as err:
        replay(env, actor("legal_unit", agency=LINGCHUAN), agency=ZHOUCUN)
    assert err.value.details == {"actor_agency": LINGCHUAN, "agency": ZHOUCUN}
    assert refusals(env)[-1] == (
        "legal_unit-1", LINGCHUAN, "replay_events", "refused",
        f"actor of agency {LINGCHUAN!r} may not act for agency {ZHOUCUN!r}")
    assert outbox_states(env) == states
    # naming its own agency is as not naming one
    assert replay(env, actor("legal_unit", agency=LINGCHUAN), agency=LINGCHUAN,
                  event_types=["case_opened.v1"]) == {"requeued": 1}
    assert outbox_states(env)[(ZHOUCUN, "case_opened.v1")] == {"unrouted"}
    # an agency this deployment does not serve is not found (not "0 requeued")
    with pytest.raises(NotFound) as missing:
        replay(env, actor("supervisor", agency="changzhi-energy"), agency="no-such-agency",
               rules=env.rules)
    assert missing.value.details == {"agency": "no-such-agency"}
    assert outbox_states(env)[(ZHOUCUN, "case_opened.v1")] == {"unrouted"}


@pytest.mark.parametrize("agency, rule", [
    ("", "Length must be between 1 and 64."), ("x" * 65, "Length must be between 1 and 64.")])
def test_replay_with_a_malformed_agency_is_refused(env, agency, rule):
    with pytest.raises(ValidationFailed) as err:
        replay(env, actor("supervisor"), agency=agency)
    assert err.value.details == {"agency": [rule]}


def test_a_legal_unit_replays_only_its_own_agencys_events(env):
    for agency, case_no in (("lingchuan-emergency", "陵应急立〔2025〕90号"),
                            ("qinyuan-energy", "沁能立〔2025〕90号")):
        opening = dict(open_case_request(case_no), agency=agency)
        call(env, "open_case", opening, actor("officer", agency=agency))
    with env.db.transaction() as s:  # no queue was bound for any of them
        s.execute(update(models.outbox).values(state="unrouted"))
    replay = lambda who, **p: events.replay_events(
        dict({"event_types": None, "since": None}, **p), actor=who, db=env.db, now=env.now,
        table=models.outbox)
    assert replay(actor("legal_unit", agency="qinyuan-energy"),
                  event_types=["case_opened.v1"]) == {"requeued": 1}
    assert outbox_states(env) == {
        ("lingchuan-emergency", "case_opened.v1"): {"unrouted"},
        ("lingchuan-emergency", "entry_appended.v1"): {"unrouted"},
        ("qinyuan-energy", "case_opened.v1"): {"pending"},
        ("qinyuan-energy", "entry_appended.v1"): {"unrouted"}}
    with pytest.raises(Forbidden):
        replay(actor("officer", agency="lingchuan-emergency"))
    assert replay(actor("legal_unit", agency="lingchuan-emergency")) == {"requeued": 2}
    assert outbox_states(env)[("qinyuan-energy", "entry_appended.v1")] == {"unrouted"}
    # the supervisor oversees every agency (Actor.require)
    assert replay(actor("supervisor", agency="changzhi-energy")) == {"requeued": 1}
    assert {s for states in outbox_states(env).values() for s in states} == {"pending"}
