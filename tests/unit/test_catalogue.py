"""The major-decision classifier against the shipped catalogues: every rule that fires is named,
thresholds include their own amount, exceptions hold, and bad input is refused by name."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shared.errors import ValidationFailed
from shared.law.major import Classification, DecisionProposal, FiredRule, classify
from shared.rulesets.repository import REPO_ROOT, RuleSetRepository


@pytest.fixture(scope="module")
def repo():
    return RuleSetRepository([REPO_ROOT / "rulesets"])


@pytest.fixture(scope="module")
def lingchuan(repo):
    return repo.get("lingchuan-emergency")


@pytest.fixture(scope="module")
def qinyuan(repo):
    return repo.get("qinyuan-energy")


@pytest.fixture(scope="module")
def zhoucun(repo):
    return repo.get("zhoucun-district")


def penalty(**kw: Any) -> DecisionProposal:
    base: dict[str, Any] = dict(
        act_type="penalty", party_kind="organisation", fine_amount=None, measures=(),
        hearing_held=False, grounds=(), procedure="general", licence_action=None,
        coercive_execution=None)
    base.update(kw)
    return DecisionProposal(**base)


def codes(c: Classification) -> list[str]:
    return [r.code for r in c.fired]


def test_lingchuan_organisation_fine_above_threshold_is_major(lingchuan):
    c = classify(lingchuan, penalty(fine_amount="60000"))
    assert c.major and codes(c) == ["fine_threshold"]
    fired = c.fired[0]
    assert isinstance(fired, FiredRule)
    assert "001 附件3 第二条" in fired.basis
    assert "60000" in fired.detail and "50000" in fired.detail
    assert c.ruleset == "lingchuan-emergency@1" and c.fingerprint == lingchuan.fingerprint


def test_lingchuan_just_below_threshold_is_not_major(lingchuan):
    c = classify(lingchuan, penalty(fine_amount="49999.99"))
    assert not c.major and c.fired == ()
    assert any("49999.99" in n for n in c.notes)


@pytest.mark.parametrize("kind, amount, major", [
    ("organisation", "50000", True), ("organisation", "50000.00", True),
    ("individual", "20000", True), ("individual", "19999.99", False),
    ("individual", Decimal("25000.5"), True), ("organisation", 20000, False),
])
def test_lingchuan_thresholds_include_the_amount_itself(lingchuan, kind, amount, major):
    assert classify(lingchuan, penalty(party_kind=kind, fine_amount=amount)).major is major


def test_lingchuan_suspension_order_is_major(lingchuan):
    c = classify(lingchuan, penalty(measures=("suspend_production",)))
    assert c.major and codes(c) == ["measure.suspend_production"]
    assert c.fired[0].label == "责令停产停业"


def test_every_fired_rule_is_named(lingchuan):
    c = classify(lingchuan, penalty(
        fine_amount="80000", measures=("suspend_production_rectify", "revoke_licence"),
        hearing_held=True, grounds=("public_interest", "complex_legal_relations")))
    assert codes(c) == ["fine_threshold", "measure.suspend_production_rectify",
                        "measure.revoke_licence", "hearing_held", "ground.public_interest",
                        "ground.complex_legal_relations"]
    assert all(r.basis for r in c.fired)
    data = c.to_dict()
    assert data["major"] is True and len(data["fired"]) == 6
    assert set(data["fired"][0]) == {"code", "label", "basis", "detail"}


def test_lingchuan_measures_are_penalties_only(lingchuan):
    # 附件3 第二条 catalogues these as 行政处罚; the same words as a coercive measure are not.
    c = classify(lingchuan, DecisionProposal(act_type="coercion", measures=("suspend_production",)))
    assert not c.major and any("only for penalty" in n for n in c.notes)


def test_lingchuan_revocation_in_a_penalty_is_jiaoxiao(lingchuan):
    c = classify(lingchuan, penalty(licence_action="revoke"))
    assert codes(c) == ["measure.revoke_licence"] and c.fired[0].label == "吊销有关许可证"


@pytest.mark.parametrize("action", ["revoke", "annul", "withdraw"])
def test_qinyuan_licence_revocation_or_withdrawal_is_major(qinyuan, action):
    c = classify(qinyuan, DecisionProposal(act_type="licence", licence_action=action))
    assert c.major
    assert c.fired[0].basis == "000《法制审核办法》第四条（三）"
    assert c.fired[0].detail == f"licence_action={action}"


def test_qinyuan_granting_a_licence_is_not_major(qinyuan):
    assert not classify(qinyuan, DecisionProposal(act_type="licence", licence_action="grant")).major


@pytest.mark.parametrize("method", ["immediate_substitute_performance", "late_payment_penalty"])
def test_qinyuan_excepted_coercive_execution_is_not_major(qinyuan, method):
    c = classify(qinyuan, DecisionProposal(act_type="coercion", coercive_execution=method))
    assert not c.major and any("excepted" in n for n in c.notes)


@pytest.mark.parametrize("method", ["substitute_performance", "dispose_seized",
                                    "transfer_deposits"])
def test_qinyuan_other_coercive_execution_is_major(qinyuan, method):
    c = classify(qinyuan, DecisionProposal(act_type="coercion", coercive_execution=method))
    assert codes(c) == ["coercive_execution"] and "第四条（四）" in c.fired[0].basis


def test_coercive_execution_is_not_major_as_such_elsewhere(lingchuan):
    c = classify(lingchuan, DecisionProposal(act_type="coercion",
                                             coercive_execution="substitute_performance"))
    assert not c.major


def test_qinyuan_hearing_and_grounds(qinyuan):
    assert codes(classify(qinyuan, penalty(hearing_held=True))) == ["hearing_held"]
    c = classify(qinyuan, penalty(grounds=("social_impact_risk", "major_rights")))
    # 000 第四条 has no separate “major rights” ground: it is noted, not fired.
    assert codes(c) == ["ground.social_impact_risk"]
    assert any("major_rights" in n for n in c.notes)
    # 行政处罚法 第五十八条 grounds the 2019 seed lacks bind penalties, not licences.
    assert classify(qinyuan, penalty(grounds=("complex_legal_relations",))).major
    assert not classify(qinyuan, DecisionProposal(
        act_type="licence", grounds=("complex_legal_relations",))).major


def test_zhoucun_general_procedure_may_be_reviewed_but_is_not_major(zhoucun):
    # 004 第五十一条第一款 says “可以”: an option, not a duty.
    c = classify(zhoucun, penalty(fine_amount="1000"))
    assert not c.major and c.fired == ()
    assert [r.code for r in c.optional] == ["all_non_simple_procedure"]
    assert c.review_allowed and c.to_dict()["review_allowed"] is True
    assert "004 第五十一条第一款" in c.optional[0].basis


def test_zhoucun_simple_procedure_is_outside_the_option(zhoucun):
    c = classify(zhoucun, penalty(fine_amount="100", procedure="simple"))
    assert not c.major and c.optional == () and not c.review_allowed


def test_zhoucun_listed_grounds_make_it_major(zhoucun):
    c = classify(zhoucun, penalty(grounds=("major_rights",)))
    assert c.major and codes(c) == ["ground.major_rights"]
    assert c.fired[0].basis == "004 第五十一条第二款（三）"


def test_an_agency_adopting_the_option_makes_it_a_duty(repo, zhoucun, tmp_path):
    # 第五十一条第三款: a district agency's own 目录清单 may adopt “all non-simple” as a rule.
    (tmp_path / "zhoucun-agency.yaml").write_text(
        "id: zhoucun-agency\nversion: 1\neffective: 2024-01-01\ntitle: 周村区某局\n"
        "extends: zhoucun-district@1\nsource: {document: 目录清单}\n"
        "major_decisions:\n  all_non_simple_procedure: {mode: must, basis: 目录清单 第一条}\n",
        encoding="utf-8")
    agency = RuleSetRepository([REPO_ROOT / "rulesets", tmp_path]).get("zhoucun-agency")
    c = classify(agency, penalty(fine_amount="1000"))
    assert c.major and codes(c) == ["all_non_simple_procedure"]


@pytest.mark.parametrize("field, kw, needle", [
    ("measures", dict(measures=("teleport",)), "teleport"),
    ("grounds", dict(grounds=("vibes",)), "vibes"),
    ("measures", dict(measures="suspend_production"), "list of codes"),
    ("act_type", dict(act_type="magic"), "magic"),
    ("party_kind", dict(party_kind="robot"), "robot"),
    ("fine_amount", dict(fine_amount=60000.0), "never a float"),
    ("fine_amount", dict(fine_amount="lots"), "lots"),
    ("fine_amount", dict(fine_amount="-5"), "non-negative"),
    ("fine_amount", dict(act_type="licence", fine_amount="10"), "penalty"),
    ("party_kind", dict(party_kind=None, fine_amount="10"), "thresholds"),
    ("procedure", dict(procedure="summary"), "summary"),
    ("licence_action", dict(licence_action="withdraw"), "only licence action is revoke"),
    ("coercive_execution", dict(coercive_execution="substitute_performance"), "coercion"),
    ("coercive_execution", dict(act_type="coercion", coercive_execution="magic"), "magic"),
])
def test_bad_proposals_are_refused_by_name(lingchuan, field, kw, needle):
    with pytest.raises(ValidationFailed) as caught:
        classify(lingchuan, penalty(**kw))
    assert any(needle in msg for msg in caught.value.details[field]), caught.value.details


def test_proposal_round_trip():
    p = DecisionProposal.from_dict({"act_type": "penalty", "party_kind": "individual",
                                    "fine_amount": "20000", "measures": ["stop_work"],
                                    "grounds": []})
    assert p.measures == ("stop_work",)
    assert DecisionProposal.from_dict(p.to_dict()) == p
    with pytest.raises(ValidationFailed):
        DecisionProposal.from_dict({"act_type": "penalty", "colour": "red"})


@pytest.mark.parametrize("ident", ["base", "anze-county", "changzhi-energy"])
def test_general_grounds_everywhere(repo, ident):
    c = classify(repo.get(ident), penalty(grounds=("public_interest",)))
    assert c.major and codes(c) == ["ground.public_interest"]
    assert not classify(repo.get(ident), penalty(fine_amount="1000000")).major


def test_a_proposal_from_a_request_keeps_only_the_catalogue_fields():
    decision = {"act_type": "penalty", "party_id": "p-1", "summary": "罚款", "fine_amount": "60000",
                "measures": ["suspend_production"], "hearing_held": True, "grounds": [],
                "procedure": "general", "licence_action": None}
    p = DecisionProposal.from_request(decision, "organisation")
    assert p == DecisionProposal(act_type="penalty", party_kind="organisation",
                                 fine_amount="60000", measures=("suspend_production",),
                                 hearing_held=True, procedure="general")
    # what the contract leaves out takes the proposal's defaults
    assert DecisionProposal.from_request({"act_type": "inspection"}, None) == DecisionProposal(
        act_type="inspection")
