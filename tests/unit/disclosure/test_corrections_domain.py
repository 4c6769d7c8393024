"""The correction request's state machine without a database: every (state, act) pair either
the table's transition or a refusal with its message_zh, who may take each step, the number,
and the fields a correction may change."""
from __future__ import annotations

import itertools
from datetime import date

import pytest

from services.disclosure.domain import corrections as c
from shared.errors import DomainRuleViolated, ValidationFailed

ALLOWED = {
    ("filed", "verify"): "verified",
    ("verified", "correct"): "corrected",
    ("verified", "reject"): "rejected",
    ("verified", "forward"): "forwarded",
    ("corrected", "answer"): "answered",
    ("rejected", "answer"): "answered",
    ("forwarded", "answer"): "answered",
}
PAIRS = list(itertools.product(c.STATES, c.ACTS))


def test_the_table_is_exactly_the_allowed_steps():
    assert c.TRANSITIONS == ALLOWED


@pytest.mark.parametrize("state,act", [p for p in PAIRS if p in ALLOWED])
def test_an_allowed_step(state, act):
    assert c.next_state(state, act) == ALLOWED[(state, act)]


@pytest.mark.parametrize("state,act", [p for p in PAIRS if p not in ALLOWED])
def test_a_refused_step_says_which_state_and_what_is_allowed(state, act):
    with pytest.raises(DomainRuleViolated) as exc:
        c.next_state(state, act)
    assert exc.value.details["state"] == state and exc.value.details["act"] == act
    assert c.STATE_ZH[state] in exc.value.message_zh
    assert c.ACT_ZH[act] in exc.value.message_zh


def test_an_unknown_act_is_refused_as_invalid():
    with pytest.raises(ValidationFailed) as exc:
        c.next_state("filed", "approve")
    assert "approve" in exc.value.message_zh


def test_answered_is_final():
    for act in c.ACTS:
        with pytest.raises(DomainRuleViolated) as exc:
            c.next_state("answered", act)
        assert "无" in exc.value.message_zh


@pytest.mark.parametrize("act", c.ACTS)
def test_verifying_and_deciding_need_a_publisher_or_the_legal_unit(act):
    c.check_role(act, "publisher")
    c.check_role(act, "legal_unit")
    with pytest.raises(DomainRuleViolated) as exc:
        c.check_role(act, "officer")
    assert "officer" in exc.value.message_zh and c.ACT_ZH[act] in exc.value.message_zh


def test_a_reviewer_may_file_but_not_verify():
    c.check_role("file", "reviewer")
    with pytest.raises(DomainRuleViolated):
        c.check_role("verify", "reviewer")


def test_the_number():
    assert c.number(2026, 7) == "更正〔2026〕7号"


PUBLISHED = {"summary": {"decision_no": "X罚〔2026〕1号", "facts": "超范围经营"},
             "credit": {"fine_amount": "5000"}}


def test_a_correction_names_published_fields_and_changes_them():
    changes = c.check_corrections(PUBLISHED, {"credit.fine_amount": "500"})
    assert changes == {"credit.fine_amount": {"before": "5000", "after": "500"}}
    view = c.corrected_view(PUBLISHED, changes)
    assert view["credit"]["fine_amount"] == "500"
    assert PUBLISHED["credit"]["fine_amount"] == "5000"
    assert view["summary"] == PUBLISHED["summary"]


@pytest.mark.parametrize("fields,path", [
    ({"credit.party_id": "1"}, "fields.credit.party_id"),
    ({"summary.facts": "超范围经营"}, "fields.summary.facts"),
    ({"nothing": "x"}, "fields.nothing"),
])
def test_a_correction_of_a_field_not_shown_or_unchanged_is_refused(fields, path):
    with pytest.raises(ValidationFailed) as exc:
        c.check_corrections(PUBLISHED, fields)
    assert path in exc.value.details and exc.value.message_zh


def test_a_correction_changing_nothing_is_refused():
    with pytest.raises(ValidationFailed) as exc:
        c.check_corrections(PUBLISHED, {})
    assert "fields" in exc.value.details


def test_a_corrected_value_holding_an_id_number_is_refused():
    facts = "当事人110101199003077774超范围经营"
    changes = c.check_corrections(PUBLISHED, {"summary.facts": facts})
    with pytest.raises(DomainRuleViolated) as exc:
        c.check_unredacted(changes, date(2026, 1, 5))
    assert exc.value.details["rule"] == "correction_unredacted" and exc.value.message_zh
    c.check_unredacted(c.check_corrections(PUBLISHED, {"summary.facts": "超范围经营（已整改）"}),
                       date(2026, 1, 5))
