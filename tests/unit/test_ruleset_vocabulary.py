"""A rule set extends the shared vocabularies with codes of its own (its `vocabulary` section:
measures, AV situations, sectors), so a new agency's 责令关闭-like measure or drone inspection
needs no change of code; the classifier and the findings read them from the rule set it was
judged under, and another rule set does not know them. 安泽's agencies compile their 目录清单 by
the factors of 002《法制审核办法》第九条第二款 (执法层级, 所属领域, 涉案金额), which the
classifier honours."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.records.domain import chain, findings
from services.records.domain.findings import AvRecord, CaseState, EntryRow
from shared.errors import ValidationFailed
from shared.law.major import DecisionProposal, classify
from shared.rulesets.repository import REPO_ROOT, RuleSetRepository

HEAD = ("id: {id}\nversion: 1\neffective: 2024-01-01\ntitle: 某局\nextends: {parent}\n"
        "source: {{document: 目录清单}}\n")

# a county agency under 安泽's county-wide rules, with its own 目录清单 and vocabulary
ANZE_AGENCY = HEAD.format(id="anze-natural-resources", parent="anze-county@1") + """
vocabulary:
  measures:
    - {code: close_mine_pit, label: 责令关闭矿井采坑, basis: 目录清单 第二条}
  av_situations:
    - {code: drone_inspection, label: 无人机巡查, basis: 目录清单 第五条}
  sectors:
    - {code: mineral_resources, label: 矿产资源, basis: 目录清单 第一条}
av:
  mandatory_situations:
    - {code: seal, label: 查封场所、设施或者财物, basis: 002《全过程记录办法》第十条（一）}
    - {code: drone_inspection, label: 无人机巡查, basis: 目录清单 第五条}
major_decisions:
  measures:
    - {code: close_mine_pit, label: 责令关闭矿井采坑, basis: 目录清单 第二条}
  catalogue:
    - code: county_mineral_large
      label: 县级矿产资源领域涉案金额十万元以上的行政处罚
      act_types: [penalty]
      levels: [county]
      sectors: [mineral_resources]
      amount_involved_from: "100000"
      basis: 目录清单 第三条（002《法制审核办法》第九条第二款）
    - code: township_any_amount
      label: 乡镇（街道）作出的涉案金额一万元以上的决定
      levels: [township]
      amount_involved_from: "10000"
      basis: 目录清单 第四条
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> RuleSetRepository:
    folder: Path = tmp_path_factory.mktemp("rulesets")
    (folder / "anze-natural-resources.yaml").write_text(ANZE_AGENCY, encoding="utf-8")
    return RuleSetRepository([REPO_ROOT / "rulesets", folder])


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "x-agency.yaml"
    path.write_text(HEAD.format(id="x-agency", parent="anze-county@1") + text, encoding="utf-8")
    return [f"{e['path']}: {e['rule']}" for e in RuleSetRepository.check_file(path)]


def test_a_rule_set_declares_codes_of_its_own_and_uses_them(repo):
    rs = repo.get("anze-natural-resources")
    assert rs.vocabulary("measures")["close_mine_pit"] == "责令关闭矿井采坑"
    assert rs.vocabulary("measures")["close_order"] == "责令关闭"  # the shared ones stay
    assert "drone_inspection" in rs.av_mandatory_situations
    assert "drone_inspection" not in repo.get("anze-county").vocabulary("av_situations")


def test_an_undeclared_code_is_refused_where_a_shared_vocabulary_is_expected(tmp_path):
    found = problems(tmp_path, "av:\n  mandatory_situations:\n"
                               "    - {code: drone_inspection, label: 无人机巡查, basis: 第五条}\n")
    assert any("av.mandatory_situations.0.code" in p and "drone_inspection" in p for p in found)


def test_a_declared_code_may_not_redefine_a_shared_one(tmp_path):
    found = problems(tmp_path, "vocabulary:\n  measures:\n"
                               "    - {code: close_order, label: 责令关闭, basis: 第二条}\n")
    assert any(p.startswith("vocabulary.measures.0.code") and "shared" in p for p in found)


def test_a_catalogue_item_must_name_a_factor(tmp_path):
    found = problems(tmp_path, "major_decisions:\n  catalogue:\n"
                               "    - {code: everything, label: 全部, basis: 第三条}\n")
    assert any(p.startswith("major_decisions.catalogue.0") for p in found)


def penalty(**kw) -> DecisionProposal:
    return DecisionProposal(act_type="penalty", party_kind="organisation", **kw)


def test_a_declared_measure_is_known_only_under_the_rule_set_that_declares_it(repo):
    c = classify(repo.get("anze-natural-resources"), penalty(measures=("close_mine_pit",)))
    assert [r.code for r in c.fired] == ["measure.close_mine_pit"]
    with pytest.raises(ValidationFailed) as err:
        classify(repo.get("anze-county"), penalty(measures=("close_mine_pit",)))
    assert "close_mine_pit" in str(err.value.details["measures"])


@pytest.mark.parametrize("given, fired", [
    (dict(enforcement_level="county", sector="mineral_resources", amount_involved="100000"),
     ["catalogue.county_mineral_large"]),
    (dict(enforcement_level="county", sector="mineral_resources", amount_involved="99999.99"),
     []),
    (dict(enforcement_level="county", sector="energy", amount_involved="500000"), []),
    (dict(enforcement_level="township", sector="mineral_resources", amount_involved="10000"),
     ["catalogue.township_any_amount"]),
    (dict(sector="mineral_resources", amount_involved="500000"), []),
], ids=["county_at_the_amount", "below", "other_sector", "township", "no_level"])
def test_anze_catalogue_items_fire_on_level_sector_and_amount_involved(repo, given, fired):
    c = classify(repo.get("anze-natural-resources"), penalty(**given))
    assert [r.code for r in c.fired] == fired
    if not fired:
        assert any(n.startswith("catalogue.county_mineral_large") for n in c.notes)


def test_the_fired_item_names_its_basis_and_what_was_met(repo):
    c = classify(repo.get("anze-natural-resources"), penalty(
        enforcement_level="county", sector="mineral_resources", amount_involved="120000"))
    [rule] = c.fired
    assert rule.basis == "目录清单 第三条（002《法制审核办法》第九条第二款）"
    assert rule.detail == ("act_type=penalty; enforcement_level=county; "
                           "sector=mineral_resources; amount_involved 120000 ≥ 100000 CNY")


@pytest.mark.parametrize("given, field", [
    (dict(enforcement_level="galaxy"), "enforcement_level"),
    (dict(sector="astrology"), "sector"),
    (dict(amount_involved=100000.0), "amount_involved"),
    (dict(amount_involved="-1"), "amount_involved")])
def test_bad_factors_are_refused_by_name(repo, given, field):
    with pytest.raises(ValidationFailed) as err:
        classify(repo.get("anze-natural-resources"), penalty(**given))
    assert field in err.value.details


def test_a_proposal_from_a_request_carries_the_factors():
    decision = {"act_type": "penalty", "enforcement_level": "county", "sector": "energy",
                "amount_involved": "5000", "facts": "…"}
    p = DecisionProposal.from_request(decision, "organisation")
    assert (p.enforcement_level, p.sector, p.amount_involved) == ("county", "energy", "5000")


# --- an AV situation the rule set declares is mandatory like any other -----------------------

def test_a_declared_av_situation_makes_av_mandatory_act_by_act(repo):
    rs = repo.get("anze-natural-resources")
    body = chain.canonical({"seq": 1, "kind": "record", "stage": "investigation",
                            "occurred_at": "2025-10-10T10:00:00+08:00",
                            "content": {"record_type": "investigation_document",
                                        "document_kind": "onsite_inspection",
                                        "situations": ["drone_inspection"]}})
    entry = EntryRow(1, "record", "investigation", body, chain.GENESIS,
                     chain.link_hash(chain.GENESIS, body))
    case = CaseState(id="c", case_no="安自然立〔2025〕1号", act_type="penalty", status="open",
                     start_state="approved")
    now = datetime(2025, 10, 20, tzinfo=UTC)
    [missing] = findings.case_findings(case, [entry], [], [], rs, now)
    assert (missing["code"], missing["article"]) == ("av_missing", "目录清单 第五条")
    drone = AvRecord(2, False, {"due": "2025-10-14", "basis": "x"},
                     datetime(2025, 10, 10, 4, tzinfo=UTC), ("drone_inspection",),
                     started_at=datetime(2025, 10, 10, 1, 30, tzinfo=UTC),
                     ended_at=datetime(2025, 10, 10, 3, tzinfo=UTC))
    assert findings.case_findings(case, [entry], [drone], [], rs, now) == []


def test_show_prints_the_findings_articles_and_the_declared_vocabulary(repo):
    """`sanxiang ruleset show` names each finding's article as the rule set cites it, and the
    codes a rule set adds to the shared vocabularies, in Chinese."""
    from shared.cli.ruleset import render
    shown = render(repo.get("anze-natural-resources"))
    assert "八、检查发现的依据条款 findings" in shown
    assert "九、本规则集增补的词汇 vocabulary" in shown
    assert "音像记录情形 [av_situations]:" in shown
    assert "· 无人机巡查 [drone_inspection] — 依据：目录清单 第五条" in shown
    qinyuan = render(repo.get("qinyuan-energy"))
    assert ("强制执行或者申请法院强制执行前未催告 [execution_without_reminder]: — 依据："
            "000《全过程记录办法》第二十九条、第三十条") in qinyuan
    assert "九、" not in qinyuan  # no vocabulary of its own: no empty section
