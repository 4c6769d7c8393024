"""Rule sets: every shipped file validates, inheritance behaves as documented, broken files are
reported with file, line, key path and rule, and the `sanxiang ruleset` commands work."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shared.cli import main
from shared.errors import NotFound, RuleSetInvalid
from shared.rulesets.checks import REQUIRED_PERIODS
from shared.rulesets.repository import REPO_ROOT, Period, RuleSetRepository
from shared.rulesets.vocabulary import AV_SITUATIONS

SHIPPED = REPO_ROOT / "rulesets"
AGENCIES = ("qinyuan-energy", "lingchuan-emergency", "anze-county", "changzhi-energy",
            "zhoucun-district")


@pytest.fixture(scope="module")
def repo():
    return RuleSetRepository([SHIPPED])


@pytest.fixture
def folder(tmp_path):
    """A private copy of the shipped folder, so tests can add files beside base.yaml."""
    target = tmp_path / "rulesets"
    shutil.copytree(SHIPPED, target)
    return target


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def child(extra: str = "", *, ident: str = "test-agency", extends: str | None = "base@1") -> str:
    """CHILD's identity (lines 1-6, extends on line 5) followed by ``extra`` from line 7."""
    head = CHILD.lstrip().replace("id: test-agency", f"id: {ident}")
    head = head.replace("extends: base@1\n", f"extends: {extends}\n" if extends else "")
    return head + textwrap.dedent(extra).lstrip("\n")


CHILD = """
id: test-agency
version: 1
effective: 2024-01-01
title: 测试机关
extends: base@1
source: {seed: none.txt, document: 测试文件}
"""


# --- shipped files ----------------------------------------------------------------------------

@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_file_is_valid(path):
    assert RuleSetRepository.check_file(path) == []


def test_repository_holds_base_and_five_agencies(repo):
    assert repo.ids() == sorted(("base",) + AGENCIES)
    for ident in AGENCIES:
        rs = repo.get(ident)
        assert rs.extends_chain == ("base@1",)  # pinned, so old decisions re-derive
        for name in REQUIRED_PERIODS:
            assert isinstance(rs.period(name), Period)


def test_default_repository_uses_the_rulesets_folder(monkeypatch, tmp_path):
    assert RuleSetRepository.default().get("base").file.endswith("base.yaml")
    shutil.copy(SHIPPED / "base.yaml", tmp_path / "base.yaml")
    monkeypatch.setenv("SANXIANG_RULESETS", str(tmp_path))
    assert RuleSetRepository.default(reload=True).ids() == ["base"]


def test_the_rule_set_folder_has_one_name_for_services_and_command_line():
    """SANXIANG_RULESETS: what every service's config reads (RULESETS_DIR) and what the
    command line and the default repository read."""
    from shared.rulesets.repository import ENV_DIR
    assert ENV_DIR == "SANXIANG_RULESETS"
    configs = sorted((SHIPPED.parent / "compose").glob("*/config.yml"))
    assert configs
    for config in configs:
        text = config.read_text("utf-8")
        if "RULESETS_DIR" in text:
            assert "RULESETS_DIR: ${SANXIANG_RULESETS:}" in text, config


def test_the_seeds_numbers(repo):
    qy, lc, az, cz, zc = (repo.get(i) for i in AGENCIES)
    assert qy.period("emergency_start_approval") == Period(
        "emergency_start_approval", 24, "hours",
        "000《全过程记录办法》第十二条（启动后24小时内补办审批手续）")
    assert qy.period("av_storage")[1:3] == (2, "workdays")
    assert az.period("av_storage")[1:3] == (2, "workdays")
    assert lc.period("av_storage")[1:3] == (0, "workdays")
    assert "附件2 第五条" in lc.period("av_storage").basis
    assert lc.period("av_handover_legal_unit")[1:3] == (6, "months")
    assert lc.period("review")[1:3] == (7, "workdays")
    assert lc.period("review_extension")[1:3] == (3, "natural_days")
    for rs in (qy, az):
        assert rs.period("review")[1:3] == rs.period("review_extension")[1:3] == (10, "workdays")
    assert qy.period("case_archive")[1:3] == zc.period("case_archive")[1:3] == (30, "natural_days")
    for rs in (qy, az, cz):
        assert rs.period("publish_licence_penalty")[1:3] == (7, "workdays")
        assert rs.period("publish_other_decision")[1:3] == (20, "workdays")
    for rs in (qy, lc, az, cz, zc):
        assert rs.period("withdraw_changed_publication")[1:3] == (3, "workdays")
        assert "第四十八条" in rs.period("withdraw_changed_publication").basis
    with pytest.raises(NotFound):
        zc.period("emergency_start_approval")   # 004 第二十八条: no period given
    assert qy.section("disclosure")["annual_report"]["due"] == {"month": 1, "day": 10}
    assert cz.section("disclosure")["annual_report"]["due"] == {"month": 1, "day": 31}
    assert cz.section("review")["reviewer_ratio"]["value"] == "0.05"
    assert [f["code"] for f in qy.section("disclosure")["summary_fields"]] == [
        "document_number", "case_name", "authority", "facts", "legal_basis", "conclusion",
        "decision_date"]
    assert [f["code"] for f in az.section("disclosure")["summary_fields"]] == [
        "authority", "party", "category", "conclusion", "decision_date"]
    assert len(lc.section("review")["opinion_types"]) == 9
    assert len(qy.section("review")["opinion_types"]) == 4
    assert zc.section("review")["collective_discussion_required"]["value"] == "always"
    assert "fax_email" in [m["code"] for m in zc.section("records")["service_methods"]]
    assert "fax_email" not in [m["code"] for m in qy.section("records")["service_methods"]]


def test_av_situations_per_seed(repo):
    qy, lc, az = (repo.get(i) for i in ("qinyuan-energy", "lingchuan-emergency", "anze-county"))
    assert {"restrict_liberty", "seal", "seize", "substitute_performance", "non_cooperation"} \
        <= set(qy.av_mandatory_situations)
    assert "hearing" in qy.av_discretionary_situations
    assert {"demolish", "seal"} <= set(az.av_mandatory_situations)
    assert {"onsite_inspection", "random_inspection", "evidence_collection",
            "coercive_measure"} <= set(lc.av_mandatory_situations)
    assert qy.av_mandatory_situations["seal"]["basis"].startswith("000《全过程记录办法》第十七条")
    for rs in repo.all():
        assert set(rs.av_mandatory_situations) <= set(AV_SITUATIONS)


def test_investigation_document_kinds_per_seed(repo):
    """000《全过程记录办法》第十五条 and 004 第三十二条 each list eight kinds; base holds the six
    both name; 001, 002 and 003 name none, so 陵川, 安泽 and 长治 inherit base's."""
    def kinds(rs):
        return [(k["code"], k["basis"])
                for k in rs.section("records")["investigation_document_kinds"]]
    base, qy, lc, az, cz, zc = (repo.get(i) for i in ("base",) + AGENCIES)
    numerals = "一二三四五六七八"
    assert kinds(qy) == [(code, f"000《全过程记录办法》第十五条（{n}）") for code, n in zip(
        ["interview", "evidence_request", "onsite_inspection", "sampling", "statement_defence",
         "hearing", "appraisal", "other"], numerals, strict=False)]
    assert kinds(zc) == [(code, f"004 第三十二条（{n}）") for code, n in zip(
        ["interview_party", "interview_witness", "evidence_request", "onsite_inspection",
         "sampling", "evidence_preservation", "appraisal", "other"], numerals, strict=False)]
    # base: what both lists name (004 splits 询问 into (一) 当事人 and (二) 证人)
    both = [code for code, _ in kinds(qy)
            if code in {c for c, _ in kinds(zc)} | {"interview"}]
    assert [code for code, _ in kinds(base)] == both == [
        "interview", "evidence_request", "onsite_inspection", "sampling", "appraisal", "other"]
    for _, basis in kinds(base):
        assert "000《全过程记录办法》第十五条" in basis and "004 第三十二条" in basis
    for rs in (lc, az, cz):
        assert kinds(rs) == kinds(base)
        assert rs.inherited("records", "investigation_document_kinds")
    for rs in (qy, zc):
        assert not rs.inherited("records", "investigation_document_kinds")


def test_data_is_a_copy_and_fingerprint_is_stable(repo):
    rs = repo.get("lingchuan-emergency")
    rs.data["periods"]["review"]["amount"] = 99
    rs.section("periods")["review"]["amount"] = 99
    assert rs.period("review").amount == 7
    again = RuleSetRepository([SHIPPED]).get("lingchuan-emergency")
    assert again.fingerprint == rs.fingerprint and len(rs.fingerprint) == 64


def test_get_by_ref_and_version(folder):
    write(folder, "base-v2.yaml", (SHIPPED / "base.yaml").read_text(encoding="utf-8")
          .replace("version: 1\n", "version: 2\n", 1)
          .replace("effective: 2021-07-15", "effective: 2030-01-01", 1))
    repo = RuleSetRepository([folder])
    assert repo.versions("base") == [1, 2]
    assert repo.get("base").version == 2
    assert repo.get("base@1").ref == "base@1"
    assert repo.get("base", version=1).version == 1
    assert repo.effective_on("base", dt.date(2025, 1, 1)).version == 1
    # A pinned child keeps base@1 even though base@2 now exists.
    assert repo.get("lingchuan-emergency").extends_chain == ("base@1",)
    for bad in (lambda: repo.get("nobody"), lambda: repo.get("base", version=3),
                lambda: repo.get("base@3"), lambda: repo.get("base@1", version=2),
                lambda: repo.get("Not An Id")):
        with pytest.raises(NotFound):
            bad()


# --- inheritance ------------------------------------------------------------------------------

def test_absent_fields_come_from_base_lists_replace_maps_merge(folder):
    write(folder, "test-agency.yaml", child("""
    periods:
      review: {amount: 5, unit: workdays, basis: 测试 第一条}
      av_storage_after_return: null
    review:
      pause_reasons: []
    av:
      discretionary_situations:
        - {code: hearing, label: 听证, basis: 测试 第二条}
    """))
    repo = RuleSetRepository([folder])
    rs, base = repo.get("test-agency"), repo.get("base")
    assert rs.period("review") == Period("review", 5, "workdays", "测试 第一条")
    assert rs.period("case_archive") == base.period("case_archive")     # absent → base
    assert rs.inherited("periods", "case_archive") and not rs.inherited("periods", "review")
    assert rs.origin("periods", "case_archive") == "base@1"
    with pytest.raises(NotFound):
        rs.period("av_storage_after_return")                           # null drops
    assert rs.section("review")["pause_reasons"] == []                 # list replaced
    assert list(rs.av_discretionary_situations) == ["hearing"]         # list replaced
    assert rs.section("review")["materials"] == base.section("review")["materials"]
    assert rs.av_mandatory_situations == base.av_mandatory_situations
    assert rs.title == "测试机关" and rs.data["source"] == {"seed": "none.txt",
                                                          "document": "测试文件"}


def test_a_rule_travels_with_its_basis(folder):
    # A map holding `basis` is replaced whole: overriding only `amount` must not keep base's
    # basis behind a new number.
    path = write(folder, "test-agency.yaml", child("""
    periods:
      review: {amount: 5}
    """))
    errors = RuleSetRepository.check_file(path)
    assert {(e["path"], e["rule"]) for e in errors} >= {
        ("periods.review.unit", "required key is missing"),
        ("periods.review.basis", "required key is missing")}
    assert all(e["file"] == str(path) for e in errors)


def test_unpinned_extends_takes_the_highest_version(folder):
    write(folder, "test-agency.yaml", child(extends="base"))
    rs = RuleSetRepository([folder]).get("test-agency")
    assert rs.extends_chain == ("base@1",)


def test_extends_chains_and_cycles(folder):
    write(folder, "test-agency.yaml", child())
    write(folder, "sub-agency.yaml", child(ident="sub-agency", extends="test-agency@1", extra="""
    major_decisions:
      fine_thresholds:
        organisation: {amount: "100000", basis: 测试 第三条}
    """))
    rs = RuleSetRepository([folder]).get("sub-agency")
    assert rs.extends_chain == ("test-agency@1", "base@1")
    assert rs.section("major_decisions")["fine_thresholds"]["organisation"]["amount"] == "100000"

    write(folder, "test-agency.yaml", child(extends="sub-agency@1"))
    with pytest.raises(RuleSetInvalid) as caught:
        RuleSetRepository([folder])
    assert any("cycle" in e["rule"] for e in caught.value.details)


# --- broken files -----------------------------------------------------------------------------

BROKEN = """\
id: broken-agency
version: 1
effective: 2024-01-01
title: 坏文件
extends: base@1
source: {document: 测试}
periods:
  review:
    amount: 5
    unit: fortnights
    basis: 测试
  av_storage: {amount: "2", unit: workdays, basis: 测试}
  case_archive: {amount: 30, unit: natural_days, basis: 测试, colour: red}
major_decisions:
  fine_thresholds:
    organisation: {amount: 50000.5, basis: 测试}
  measures:
    - {code: teleport, label: 瞬移, basis: 测试}
  surprise: 1
review:
  approving_opinions: [approve, yes_please]
"""


def test_broken_file_errors_name_file_line_path_and_rule(tmp_path):
    path = write(tmp_path, "broken.yaml", BROKEN)
    errors = RuleSetRepository.check_file(path)
    found = {(e["line"], e["path"]): e["rule"] for e in errors}
    assert all(e["file"] == str(path) for e in errors)
    assert "fortnights" in found[(10, "periods.review.unit")]                      # bad unit
    assert "whole number" in found[(12, "periods.av_storage.amount")]              # wrong type
    assert "unknown key" in found[(13, "periods.case_archive.colour")]             # unknown key
    assert "quoted decimal" in found[(16, "major_decisions.fine_thresholds.organisation.amount")]
    assert "teleport" in found[(18, "major_decisions.measures.0.code")]
    assert "unknown key" in found[(19, "major_decisions.surprise")]
    assert "yes_please" in found[(21, "review.approving_opinions.1")]
    assert len(errors) == 7


def test_extends_to_a_missing_id(tmp_path):
    path = write(tmp_path, "orphan.yaml", child(extends="nowhere@3", extra="""
    periods:
      review: {amount: 5, unit: workdays}
    """))
    errors = RuleSetRepository.check_file(path)
    assert [(e["line"], e["path"]) for e in errors] == [(5, "extends"), (8, "periods.review.basis")]
    assert "nowhere@3" in errors[0]["rule"] and "no such rule set" in errors[0]["rule"]


def test_missing_required_rules_point_at_the_nearest_line(tmp_path):
    path = write(tmp_path, "lonely.yaml", child(extends=None, extra="""
    periods:
      review: {amount: 10, unit: workdays, basis: 测试}
    """))
    errors = RuleSetRepository.check_file(path)
    by_path = {e["path"]: e for e in errors}
    assert by_path["av"]["rule"] == "required key is missing"
    assert any(e["path"] == "periods" and "av_storage" in e["rule"] and e["line"] == 6
               for e in errors)


@pytest.mark.parametrize("text, rule", [
    ("id: x\nid: y\n", "duplicate key"),
    ("id: [unclosed\n", "YAML syntax"),
    ("", "file is empty"),
    ("- just\n- a list\n", "must be a mapping"),
    ("base: &a {x: 1}\nother:\n  <<: *a\n", "merge keys"),
    ("yes: 1\n", "key must be text"),
])
def test_unreadable_files(tmp_path, text, rule):
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    errors = RuleSetRepository.check_file(path)
    assert errors and any(rule in e["rule"] for e in errors), errors


def test_missing_file(tmp_path):
    errors = RuleSetRepository.check_file(tmp_path / "absent.yaml")
    assert errors == [{"file": str(tmp_path / "absent.yaml"), "line": None, "path": "",
                       "rule": "file not found"}]


def test_repository_refuses_any_invalid_file_and_duplicate_ids(folder):
    write(folder, "broken.yaml", BROKEN)
    with pytest.raises(RuleSetInvalid) as caught:
        RuleSetRepository([folder])
    assert caught.value.code == "ruleset_invalid"
    assert {"file", "line", "path", "rule"} <= set(caught.value.details[0])
    (folder / "broken.yaml").unlink()
    shutil.copy(folder / "base.yaml", folder / "copy.yaml")
    with pytest.raises(RuleSetInvalid) as caught:
        RuleSetRepository([folder])
    assert any("also defined" in e["rule"] for e in caught.value.details)


def test_cross_checks(folder):
    path = write(folder, "test-agency.yaml", child("""
    av:
      discretionary_situations:
        - {code: seal, label: 查封, basis: 测试}
    retention:
      classes:
        - {code: both, label: 两者, applies_to: av, years: 2, permanent: true,
           conditions: [], basis: 测试}
    disclosure:
      annual_report:
        due: {month: 2, day: 30}
        recipients: [public]
        contents: []
        basis: 测试
    records:
      start_modes:
        - code: ex_officio
          label: 依职权
          requires: []
          emergency_start: {allowed: true, approval_period: no_such_period, basis: 测试}
          basis: 测试
    """))
    rules = {e["path"]: e["rule"] for e in RuleSetRepository.check_file(path)}
    assert "mandatory" in rules["av.discretionary_situations.0.code"]
    assert "exactly one" in rules["retention.classes.0"]
    assert "no such day" in rules["disclosure.annual_report.due"]
    assert "no_such_period" in rules["records.start_modes.0.emergency_start.approval_period"]


# --- the command line -------------------------------------------------------------------------

def test_check_exit_codes(tmp_path, capsys):
    assert main(["ruleset", "check", str(SHIPPED / "lingchuan-emergency.yaml"),
                 str(SHIPPED / "base.yaml")]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "lingchuan-emergency@1" in out and "sha256:" in out
    bad = write(tmp_path, "broken.yaml", BROKEN)
    assert main(["ruleset", "check", str(bad)]) == 1
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 7
    assert f"{bad}:10: periods.review.unit: must be one of" in captured.out
    assert "INVALID" in captured.err


def test_show_prints_effective_rules_in_chinese(capsys):
    assert main(["ruleset", "show", "lingchuan-emergency"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("陵川县应急管理局  lingchuan-emergency@1")
    assert "音像记录存储 [av_storage]: 0 个工作日（当日工作结束前）" in out
    assert "法制审核延长 [review_extension]: 3 日（自然日）" in out
    assert "单位 [organisation]: 50000 元以上" in out
    assert "〔继承 base@1〕" in out                       # inherited values are marked
    assert "一般情形 [general_grounds]:  〔继承 base@1〕" in out


def test_show_json_version_and_errors(capsys):
    assert main(["ruleset", "show", "qinyuan-energy", "--version", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ref"] == "qinyuan-energy@1" and len(data["fingerprint"]) == 64
    assert data["rules"]["periods"]["emergency_start_approval"]["unit"] == "hours"
    assert main(["ruleset", "show", "qinyuan-energy", "--version", "9"]) == 1
    assert "version 9" in capsys.readouterr().err
    assert main(["ruleset", "show", "nobody"]) == 1


def test_show_and_list_report_an_invalid_folder(tmp_path, capsys):
    write(tmp_path, "broken.yaml", BROKEN)
    assert main(["ruleset", "list", "--dir", str(tmp_path)]) == 1
    assert "broken.yaml:" in capsys.readouterr().err


def test_list(capsys):
    assert main(["ruleset", "list"]) == 0
    out = capsys.readouterr().out
    assert all(f"{ident}@1" in out for ident in AGENCIES)
    assert main(["ruleset", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["ref"] for r in rows} >= {"base@1", "zhoucun-district@1"}


def test_console_script():
    script = Path(sys.executable).with_name("sanxiang")
    done = subprocess.run([str(script), "ruleset", "check", str(SHIPPED / "base.yaml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_collective_opinions_and_the_counsels_material_are_the_rule_sets_own(tmp_path):
    """review.collective_opinions (陵川 001 附件3 第七条（八）) names opinion types and
    review.legal_counsel.opinion_material (001 工作方案 四(三)一) a review material; both are
    absent from base, so the other agencies keep neither."""
    path = write(tmp_path, "counsel.yaml", child(extra="""
    review:
      collective_opinions: [leaders_please]
      legal_counsel: {value: required, opinion_material: counsel_letter, basis: 测试}
    """))
    found = {e["path"]: e["rule"] for e in RuleSetRepository.check_file(path)}
    assert "leaders_please" in found["review.collective_opinions.0"]
    assert "counsel_letter" in found["review.legal_counsel.opinion_material"]
    assert len(found) == 2
    repo = RuleSetRepository.default()
    for code in ("qinyuan-energy", "anze-county", "changzhi-energy", "zhoucun-district"):
        review = repo.get(code).section("review")
        assert "collective_opinions" not in review
        assert "opinion_material" not in (review.get("legal_counsel") or {})
