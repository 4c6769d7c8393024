"""Refusals: a caller of the wrong role or agency is forbidden, and an invalid payload is
refused naming the field."""
from __future__ import annotations

import pytest

from services.review import queries, usecases
from shared.errors import Forbidden, ValidationFailed
from tests.unit.review.support import (
    LEGAL,
    OFFICER,
    QINYUAN_POINTS,
    REVIEWER,
    actor,
    complete_review,
    findings,
    material,
    request_payload,
)

# ---- refusals and validation ---------------------------------------------------------------------

def test_wrong_role_or_agency_is_forbidden(env):
    with pytest.raises(Forbidden):
        env.call(usecases.request_review, "request_review", request_payload(), LEGAL)
    with pytest.raises(Forbidden) as err:
        env.call(usecases.request_review, "request_review", request_payload(),
                 actor("officer", agency="anze-county"))
    assert err.value.details == {"actor_agency": "anze-county", "agency": "qinyuan-energy"}
    rid = complete_review(env)
    with pytest.raises(Forbidden):
        queries.get_review({"review_id": rid}, actor=actor("head", agency="anze-county"),
                           db=env.db, rules=env.rules, now=env.now)
    with pytest.raises(Forbidden):
        env.call(usecases.register_staff, "register_staff", {
            "agency": "qinyuan-energy", "person_id": "x", "name": "x", "roles": ["reviewer"],
            "legal_qualification": True}, OFFICER)
    with pytest.raises(Forbidden):   # an officer cannot write a finding
        findings(env, rid, ["lawful_subject"], who=OFFICER)
    with pytest.raises(Forbidden):
        queries.staffing_report({"agency": "qinyuan-energy"}, actor=REVIEWER, db=env.db,
                                rules=env.rules, now=env.now)
    assert env.events("review_requested.v1").__len__() == 1


def test_invalid_payloads_name_the_field(env):
    with pytest.raises(ValidationFailed) as err:
        env.call(usecases.request_review, "request_review",
                 request_payload(materials=("proposal", "made_up")), OFFICER)
    assert list(err.value.details) == ["materials.1.code"]
    assert env.events() == []            # nothing was written
    rid = complete_review(env)
    with pytest.raises(ValidationFailed) as err:
        findings(env, rid, ["not_a_point"])
    assert list(err.value.details) == ["point"]
    with pytest.raises(ValidationFailed) as err:
        env.call(usecases.record_finding, "record_finding", {
            "review_id": rid, "point": "documents", "result": "maybe",
            "recorded_at": "2025-10-30T10:00:00+08:00"}, REVIEWER)
    assert list(err.value.details) == ["result"]
    with pytest.raises(ValidationFailed) as err:
        env.call(usecases.stop_clock, "stop_clock", {
            "review_id": rid, "reason": "lunch", "stopped_at": "2025-10-22T10:00:00+08:00"},
            REVIEWER)
    assert list(err.value.details) == ["reason"]
    with pytest.raises(ValidationFailed) as err:
        env.call(usecases.submit_materials, "submit_materials", {
            "review_id": rid, "materials": [material("proposal")],
            "submitted_at": "2025-10-22T10:00:00"}, OFFICER)      # naive time
    assert list(err.value.details) == ["submitted_at"]
    findings(env, rid, QINYUAN_POINTS)
    with pytest.raises(ValidationFailed) as err:
        env.call(usecases.issue_opinion, "issue_opinion", {
            "review_id": rid, "opinion": "further_investigation", "reasons": "x",
            "issued_at": "2025-10-30T16:00:00+08:00"}, REVIEWER)
    assert list(err.value.details) == ["opinion"]
