"""The review's state machine, without a database: every transition of the table is allowed
to its party in its state and leads where the table says; every one is refused to a role
outside its party, and every act in each state it has no row for; the acts only an assigned
reviewer may do are refused to anyone else."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial

import pytest

from services.review import domain
from shared.errors import DomainRuleViolated

ROLES = ("officer", "head", "legal_unit", "reviewer", "supervisor", "party")
def params(transitions: Iterable[domain.Transition]) -> list[pytest.ParameterSet]:
    return [pytest.param(t, id=f"{t.act}:{t.source}:{t.outcome}") for t in transitions]


ROWS = params(domain.TRANSITIONS)
# where a transition goes back to the state before the contest, it stood here
BEFORE = domain.AWAITING_COLLECTIVE


def refused_states(act: str) -> list[str]:
    return [s for s in domain.STATES if s not in domain.sources(act)]


# ---- the table ----------------------------------------------------------------------------------

def test_the_table_names_only_states_and_each_row_once():
    for t in domain.TRANSITIONS:
        assert t.source is None or t.source in domain.STATES
        assert t.target in domain.STATES or t.target == domain.PREVIOUS
    keys = [(t.act, t.source, t.outcome) for t in domain.TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_each_act_has_one_party_and_a_name_for_its_refusals():
    for act in domain.acts():
        assert {t.party for t in domain.TRANSITIONS if t.act == act} == {domain.party(act)}
        assert act in domain.DOING
    assert set(domain.DOING) == set(domain.acts())
    with pytest.raises(KeyError):
        domain.party("approve_everything")


def test_a_review_starts_awaiting_materials_and_a_decided_one_only_takes_interests():
    assert domain.next_state("request_review", None) == domain.AWAITING_MATERIALS
    assert [t.act for t in domain.TRANSITIONS if t.source == domain.DECIDED] == [
        "declare_interest"]
    assert domain.sources("watch_clock") == (domain.UNDER_REVIEW, domain.AWAITING_MATERIALS)
    assert domain.sources("assign_reviewer") == domain.OPEN_STATES


# ---- allowed ------------------------------------------------------------------------------------

@pytest.mark.parametrize("t", ROWS)
def test_every_transition_is_allowed_to_its_party_and_leads_where_the_table_says(t):
    for role in t.party.roles:
        assert domain.may(t.act, t.source, role=role, assigned=True) is True
    if t.source is not None:
        domain.require_state(t.act, t.source)
    expected = BEFORE if t.target == domain.PREVIOUS else t.target
    assert domain.next_state(t.act, t.source, t.outcome, previous=BEFORE) == expected


@pytest.mark.parametrize("act,state,outcome,expected", [
    ("submit_materials", domain.AWAITING_MATERIALS, domain.COMPLETE, domain.UNDER_REVIEW),
    ("submit_materials", domain.AWAITING_MATERIALS, domain.INCOMPLETE,
     domain.AWAITING_MATERIALS),
    ("submit_materials", domain.PAUSED, domain.INCOMPLETE, domain.PAUSED),
    ("issue_opinion", domain.UNDER_REVIEW, domain.FINAL, domain.OPINION_ISSUED),
    ("issue_opinion", domain.CONTESTED, domain.OWES_COLLECTIVE, domain.AWAITING_COLLECTIVE),
    ("record_consultation", domain.CONTESTED, domain.ACCEPTED, domain.OPINION_ISSUED),
    ("record_consultation", domain.CONTESTED, domain.NO_AGREEMENT, domain.CONTESTED),
    ("head_decide", domain.CONTESTED, domain.UPHOLD, domain.OPINION_ISSUED),
    ("head_decide", domain.CONTESTED, domain.FINAL, domain.DECIDED),
    ("head_decide", domain.CONTESTED, domain.OWES_COLLECTIVE, domain.AWAITING_COLLECTIVE),
    ("record_collective_discussion", domain.AWAITING_COLLECTIVE, None, domain.DECIDED),
])
def test_outcomes_choose_the_next_state(act, state, outcome, expected):
    assert domain.next_state(act, state, outcome, previous=domain.OPINION_ISSUED) == expected


def test_going_back_needs_the_state_before_and_an_outcome_the_act_has():
    with pytest.raises(ValueError):
        domain.next_state("head_decide", domain.CONTESTED, domain.UPHOLD)
    with pytest.raises(ValueError):
        domain.next_state("issue_opinion", domain.UNDER_REVIEW, "maybe")


# ---- refused ------------------------------------------------------------------------------------

@pytest.mark.parametrize("t", ROWS)
def test_every_transition_is_refused_to_a_role_outside_its_party(t):
    outside = [r for r in ROLES if r not in t.party.roles]
    assert outside
    for role in outside:
        assert domain.may(t.act, t.source, role=role, assigned=True) is False


@pytest.mark.parametrize("act", [a for a in domain.acts() if refused_states(a)])
def test_every_act_is_refused_in_the_states_it_has_no_row_for(act):
    allowed = list(domain.sources(act))
    for state in refused_states(act):
        role = domain.party(act).roles[0]
        assert domain.may(act, state, role=role, assigned=True) is False
        for attempt in (partial(domain.require_state, act, state),
                        partial(domain.next_state, act, state, domain.FINAL, previous=BEFORE)):
            with pytest.raises(DomainRuleViolated) as err:
                attempt()
            assert err.value.code == "wrong_state"
            assert err.value.details == {"state": state, "allowed": allowed}


def test_only_an_interest_may_be_declared_in_every_state():
    assert [a for a in domain.acts() if not refused_states(a)] == ["declare_interest"]
    assert domain.may("declare_interest", domain.DECIDED, role="officer",
                      assigned=True) is False


@pytest.mark.parametrize("t", params(t for t in domain.TRANSITIONS if t.party.assigned))
def test_an_assigned_reviewers_act_is_refused_to_a_reviewer_not_assigned(t):
    assert domain.may(t.act, t.source, role="reviewer", assigned=False) is False


def test_a_refusal_names_the_act_and_the_states_it_may_be_done_in():
    with pytest.raises(DomainRuleViolated) as err:
        domain.require_state("extend_deadline", domain.DECIDED)
    assert err.value.message == ("cannot extend the review period while the review is "
                                 "decided; only when under_review or paused or "
                                 "awaiting_materials")
    assert err.value.details == {"state": "decided", "allowed": [
        "under_review", "paused", "awaiting_materials"]}


def test_only_an_active_assignment_makes_an_assigned_reviewer():
    assignments = [{"reviewer_id": "reviewer-1", "status": "active"},
                   {"reviewer_id": "reviewer-2", "status": "recused"}]
    assert domain.require_assigned(assignments, "reviewer-1") is assignments[0]
    for person in ("reviewer-2", "reviewer-3"):
        with pytest.raises(DomainRuleViolated) as err:
            domain.require_assigned(assignments, person)
        assert err.value.code == "not_assigned"
        assert err.value.details == {"actor": person}


# ---- what decides the outcome -------------------------------------------------------------------

def test_a_submission_completes_once_or_is_returned_while_anything_is_missing():
    lacking = [{"code": "proposal"}]
    assert domain.submission_outcome(lacking, None) == domain.INCOMPLETE
    assert domain.submission_outcome(lacking, date(2025, 10, 20)) == domain.INCOMPLETE
    assert domain.submission_outcome([], None) == domain.COMPLETE
    assert domain.submission_outcome([], date(2025, 10, 20)) is None


def test_an_opinion_is_final_unless_a_collective_discussion_is_owed():
    assert domain.opinion_outcome(False) == domain.FINAL
    assert domain.opinion_outcome(True) == domain.OWES_COLLECTIVE
