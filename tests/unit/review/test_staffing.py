"""The board's staff: reviewers against enforcement officers (the staffing ratio), the
staffing report, and the check the record keeper asks of a legal review entered by hand."""
from __future__ import annotations

import pytest

from services.review import domain, queries, usecases
from shared.errors import Forbidden
from tests.unit.review.support import ANZE, CHANGZHI, actor, staff

# ---- the ratio -----------------------------------------------------------------------------------

@pytest.mark.parametrize("rs,officers,reviewers,required,met,actual", [
    (ANZE, 60, 2, 3, False, "0.0333"),
    (ANZE, 60, 3, 3, True, "0.0500"),
    (ANZE, 41, 2, 3, False, "0.0488"),     # 5% of 41 = 2.05 → ceil 3
    (CHANGZHI, 20, 1, 1, True, "0.0500"),
    (CHANGZHI, 21, 1, 2, False, "0.0476"),
    (ANZE, 0, 0, 0, True, None),
])
def test_staffing_ratio_rounds_up(rs, officers, reviewers, required, met, actual):
    report = domain.staffing(rs, officers, reviewers)
    assert report["reviewers_required"] == required
    assert report["met"] is met
    assert report["ratio_actual"] == actual
    assert report["ratio_required"] == "0.05"


def test_staffing_in_principle_differs_by_rule_set():
    assert domain.staffing(ANZE, 10, 1)["in_principle"] is True
    assert domain.staffing(CHANGZHI, 10, 1)["in_principle"] is False


# ---- the register --------------------------------------------------------------------------------

def test_staffing_report_counts_active_officers_and_reviewers(env):
    agency = "anze-county"
    for i in range(41):
        staff(env, f"officer-{i}", agency=agency, roles=("officer",), qualified=False)
    staff(env, "reviewer-1", agency=agency)
    staff(env, "reviewer-2", agency=agency, qualified=False)
    report = queries.staffing_report({"agency": agency},
                                     actor=actor("supervisor", agency=agency), db=env.db,
                                     rules=env.rules, now=env.now)
    assert report == {
        "ruleset": "anze-county@1", "officers": 41, "reviewers": 2, "ratio_required": "0.05",
        "ratio_actual": "0.0488", "reviewers_required": 3, "met": False, "in_principle": True,
        "basis": env.rules.ruleset("anze-county").section("review")["reviewer_ratio"]["basis"],
        "agency": agency, "legally_qualified": 1}


def test_check_manual_review_answers_as_its_contract_example_shows(env):
    """records.enter_legal_review asks this: the contract's example is what the board says
    for a qualified reviewer named by id and a name nobody in the register bears."""
    from contracts.review import CONTRACT
    from shared.contracts.registry import dump
    spec = CONTRACT.rpc("check_manual_review")
    lingchuan = actor("legal_unit", agency="lingchuan-emergency", id="legal-1")
    env.call(usecases.register_staff, "register_staff",
             CONTRACT.rpc("register_staff").example_request, lingchuan)
    answer = env.call(queries.check_manual_review, "check_manual_review",
                      spec.example_request, lingchuan)
    assert dump(spec.response, answer) == spec.example_response
    with pytest.raises(Forbidden):
        env.call(queries.check_manual_review, "check_manual_review", spec.example_request,
                 actor("officer", agency="lingchuan-emergency"))
