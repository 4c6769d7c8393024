"""A case's stages move forward one at a time; each record type belongs to its stages; the
situations a record's content shows by itself. Pure rules: no database."""
from __future__ import annotations

import pytest

from services.records.domain import stages
from shared.errors import DomainRuleViolated


def test_stages_move_forward_one_at_a_time():
    stages.check_advance("initiation", "investigation")
    stages.check_advance("service_execution", "archive")
    with pytest.raises(DomainRuleViolated) as err:
        stages.check_advance("initiation", "decision")
    assert err.value.code == "illegal_transition"
    assert err.value.details == {"from": "initiation", "to": "decision",
                                 "allowed": ["investigation"]}
    with pytest.raises(DomainRuleViolated) as err:
        stages.check_advance("decision", "investigation")
    assert err.value.details["allowed"] == ["service_execution"]
    with pytest.raises(DomainRuleViolated) as err:
        stages.check_advance("archive", "initiation")
    assert err.value.code == "case_closed"


def test_record_types_belong_to_their_stages():
    stages.check_record_stage("evidence_preservation", "investigation")
    with pytest.raises(DomainRuleViolated) as err:
        stages.check_record_stage("reminder", "investigation")
    assert err.value.details["allowed"] == ["service_execution"]


def test_lien_service_implies_the_av_situation():
    assert stages.implied_situations("service", {"method": "lien"}) == {"service_lien"}
    assert stages.implied_situations("service", {"method": "direct"}) == set()
    assert stages.implied_situations("refusal_to_cooperate", {}) == {"non_cooperation"}


def test_implied_situations_by_content():
    assert stages.implied_situations("investigation_document",
                                     {"document_kind": "appraisal"}) == set()
    assert stages.implied_situations("coercive_execution", {"measure": "late_fee"}) \
        == {"coercive_measure"}
    assert stages.implied_situations("coercive_execution", {"measure": "remove_obstruction"}) \
        == {"coercive_measure", "remove_obstruction"}
    assert stages.implied_situations("rectification_check", {}) == {"rectification_check"}
