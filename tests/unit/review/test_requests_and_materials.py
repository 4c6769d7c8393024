"""A review requested — by RPC, or from the record keeper's decision_proposed event, once per
message — and its materials: which are owed, returned while missing, complete once."""
from __future__ import annotations

import copy
from datetime import UTC, date, datetime

import pytest

from services.review import domain, queries, usecases
from shared.errors import Conflict, ValidationFailed
from tests.unit.review.support import (
    ALWAYS,
    ANZE,
    LINGCHUAN,
    OFFICER,
    QINYUAN,
    actor,
    codes,
    material,
    proposed,
    request_payload,
)

# ---- what the rule set owes ----------------------------------------------------------------------

def test_nothing_submitted_owes_the_four_always_materials():
    assert codes(domain.materials_missing(QINYUAN, set(), set(), False)) == [
        "proposal", "investigation_report", "draft_decision", "basis_and_evidence"]


def test_complete_without_hearing_owes_nothing():
    assert domain.materials_missing(QINYUAN, set(ALWAYS), set(), False) == []


def test_a_hearing_owes_the_transcript_or_assessment():
    missing = domain.materials_missing(QINYUAN, set(ALWAYS), set(), True)
    assert codes(missing) == ["hearing_or_assessment"]
    assert missing[0]["label"] == "听证笔录或评估报告（经听证或评估的）"
    assert missing[0]["basis"] == "000《法制审核办法》第五条（五）"
    assert domain.materials_missing(QINYUAN, set(ALWAYS) | {"hearing_or_assessment"}, set(),
                                    True) == []


def test_declared_applicable_material_is_owed():
    assert codes(domain.materials_missing(ANZE, set(ALWAYS), {"other"}, False)) == ["other"]


# ---- submissions ---------------------------------------------------------------------------------

def test_a_hearing_owes_the_transcript(env):
    view = env.call(usecases.request_review, "request_review",
                    request_payload(materials=ALWAYS, grounds=(), hearing=True), OFFICER)
    assert view["state"] == "awaiting_materials"
    assert [m["code"] for m in view["missing"]] == ["hearing_or_assessment"]


def test_materials_complete_once_even_when_more_arrive_the_same_day(env):
    view = env.call(usecases.request_review, "request_review",
                    request_payload(materials=ALWAYS), OFFICER)
    assert view["state"] == "under_review" and view["complete_on"] == "2025-10-20"
    env.call(usecases.submit_materials, "submit_materials", {
        "review_id": view["id"], "materials": [material("other")],
        "applicable": ["other"], "submitted_at": "2025-10-20T16:00:00+08:00"}, OFFICER)
    completed = env.events("materials_completed.v1")
    assert [e["data"]["complete_on"] for e in completed] == ["2025-10-20"]


# ---- records' decision_proposed.v1 ---------------------------------------------------------------

def test_decision_proposed_is_handled_once_per_message_id(env):
    body = proposed()
    rid = usecases.on_decision_proposed(body, **env.deps())
    assert rid is not None
    assert usecases.on_decision_proposed(copy.deepcopy(body), **env.deps()) is None
    listed = queries.list_reviews({"agency": "lingchuan-emergency", "state": None,
                                   "case_id": None, "limit": 100},
                                  actor=actor("head", agency="lingchuan-emergency"),
                                  db=env.db, rules=env.rules, now=env.now)
    assert [r["id"] for r in listed] == [rid]
    assert listed[0]["source_message_id"] == body["message_id"]
    assert listed[0]["handlers"] == ["officer-lc-017"]
    assert listed[0]["participants"] == ["head-lc-001"]
    assert listed[0]["requested_by"] == "officer-lc-017"
    assert len(env.events("review_requested.v1")) == 1
    # the same proposal under a new message id is a conflict, not a second review
    with pytest.raises(Conflict) as err:
        usecases.on_decision_proposed(proposed(), **env.deps())
    assert err.value.code == "review_exists"


def test_decision_proposed_not_major_is_ignored(env):
    assert usecases.on_decision_proposed(proposed(major=False), **env.deps()) is None
    assert env.events() == []
    listed = queries.list_reviews({"agency": "lingchuan-emergency", "limit": 10},
                                  actor=actor("head", agency="lingchuan-emergency"),
                                  db=env.db, rules=env.rules, now=env.now)
    assert listed == []


# ---- a new review and its submissions, without a database ---------------------------------------

def test_a_new_review_awaits_its_materials_and_shows_what_is_missing():
    now = datetime(2025, 10, 20, 1, 0, tzinfo=UTC)
    p = request_payload()
    review = domain.new_review("r-1", agency="qinyuan-energy", ruleset=QINYUAN.ref, p=p,
                               verdict={"major": True, "fired": [], "notes": []},
                               requested_by="officer-1", now=now, source_message_id=None)
    assert (review["state"], review["classification"], review["materials"]) == (
        "awaiting_materials", {"major": True, "fired": []}, [])
    shown = domain.view(dict(review, received_on=date(2025, 10, 20)), QINYUAN)
    assert shown["received_on"] == "2025-10-20"
    assert codes(shown["missing"]) == list(ALWAYS)


def test_a_submission_keeps_the_latest_of_each_material_and_the_day_first_received():
    review = {"materials": [dict(material("proposal"), label="x", submitted_on="2025-10-19")],
              "applicable": ["other"], "received_on": None, "clock_start": None}
    materials = [material("proposal"), material("draft_decision")]
    known = domain.known_materials(LINGCHUAN, materials, [])
    got = domain.received(review, LINGCHUAN, known, materials, ["other"], date(2025, 10, 20),
                          "officer-1")
    assert [(m["code"], m["submitted_on"]) for m in got["materials"]] == [
        ("proposal", "2025-10-20"), ("draft_decision", "2025-10-20")]
    assert (got["applicable"], got["received_on"], got["clock_start"]) == (
        ["other"], date(2025, 10, 20), date(2025, 10, 20))        # 陵川: from receipt
    assert "clock_start" not in domain.received(review, QINYUAN, known, materials, [],
                                                date(2025, 10, 20), "officer-1")
    assert domain.completed({"clock_start": date(2025, 10, 20)}, date(2025, 10, 22)) == {
        "complete_on": date(2025, 10, 22)}
    with pytest.raises(ValidationFailed) as err:
        domain.known_materials(QINYUAN, [material("made_up")], ["also_made_up"])
    assert sorted(err.value.details) == ["applicable.0", "materials.0.code"]
