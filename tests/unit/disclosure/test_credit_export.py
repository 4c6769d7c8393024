"""The 双公示 file for the provincial credit platform: the two templates' columns from the rule
set's credit_fields, amounts in 万元 rounded to the fen, a formula neutralised, and the file of
an agency's public penalties (SQLite and PostgreSQL) — each kind of party in its template, a
natural person's ID number masked as the redaction rules mask it, a withdrawn decision and a
draft left out, CSV with a BOM and .xlsx read back by openpyxl; a bad template refused naming
the field, the refusal recorded."""
from __future__ import annotations

import base64
import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from services.disclosure import queries, usecases
from services.disclosure.domain import credit
from services.disclosure.domain import redaction as rd
from shared.errors import ValidationFailed
from tests import agencies
from tests.unit.disclosure.support import PUBLISHER, RULES, Env, actor, draft_request, rpc

QINYUAN = RULES.agency(agencies.QINYUAN).ruleset
ID = "14043119900101123" + rd.id_check_char("14043119900101123")
COMPANY = {"kind": "organisation", "name": "沁源县某某煤业有限公司", "credit_code":
           "91140431MA0K1234X5", "representative": "赵某", "id_type": None, "id_number": None}
PERSON = {"kind": "individual", "name": "王小明", "credit_code": None, "representative": None,
          "id_type": "身份证", "id_number": ID}


def labels(template: str) -> list[str]:
    return [c.label for c in credit.columns(QINYUAN, template)]


# ---- the templates, amounts and cells, as pure rules -------------------------------------------

def test_the_legal_person_template_has_the_organisation_codes_and_no_personal_id():
    cols = labels("legal_person")
    assert cols[:4] == ["行政相对人名称", "行政相对人类别", "统一社会信用代码", "工商注册号"]
    assert {"法定代表人", "法定代表人证件类型", "法定代表人证件号码", "组织机构代码", "税务登记号",
            "事业单位证书号", "社会组织登记证号"} <= set(cols)
    assert "证件号码" not in cols and "证件类型" not in cols
    assert cols[-5:] == ["处罚机关", "处罚机关统一社会信用代码", "数据来源单位",
                         "数据来源单位统一社会信用代码", "备注"]


def test_the_natural_person_template_drops_the_organisation_codes_and_representative():
    cols = labels("natural_person")
    assert cols[:4] == ["行政相对人名称", "行政相对人类别", "证件类型", "证件号码"]
    assert not {"统一社会信用代码", "工商注册号", "法定代表人", "法定代表人证件号码"} & set(cols)
    assert "罚款金额（万元）" in cols and "没收违法所得、没收非法财物的金额（万元）" in cols
    assert "公示截止期" in cols


def test_an_unknown_template_is_refused_naming_the_field():
    with pytest.raises(ValidationFailed) as refused:
        credit.columns(QINYUAN, "sole_trader")
    assert refused.value.details == {"template": ["one of legal_person, natural_person"]}


@pytest.mark.parametrize(("held", "sent"), [
    ("6", "6"), ("0.5", "0.5"), ("0.50", "0.5"), ("1.2345675", "1.234568"),
    ("1.2345665", "1.234567"), ("0.0000004", "0"), ("0.0000005", "0.000001"),
    ("12.000001", "12.000001"), (None, None), ("", None)])
def test_an_amount_in_wan_yuan_is_rounded_half_up_to_the_fen(held, sent):
    assert credit.wan_yuan(held) == sent


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-1", "'-1"),
    ("@SUM(A1)", "'@SUM(A1)"), ("罚款6万元", "罚款6万元"), (None, "")])
def test_a_cell_a_spreadsheet_would_run_is_led_by_an_apostrophe(value, cell):
    assert credit.neutral(value) == cell


def test_a_row_takes_public_values_masks_the_kept_id_and_fills_what_the_draft_lacks():
    pub = {"credit": {"party_name": {"value": "王小明"}, "id_type": {"value": "身份证"},
                      "id_number": {"value": ID}, "fine_amount": {"value": "0.5"},
                      "decision_date": {"value": "2026-04-03"},
                      "authority": {"value": "沁源县能源局"}},
           "published": {"credit": {"party_name": "王某", "fine_amount": "0.5",
                                    "decision_date": "2026-04-03", "authority": "沁源县能源局"}},
           "redaction": {"fields": [{"field": "credit.party_name", "replacement": "王某"},
                                    {"field": "credit.id_number",
                                     "replacement": ID[:6] + "********" + ID[-4:]}]},
           "display_until": date(2026, 7, 2)}
    cols = credit.columns(QINYUAN, "natural_person")
    shown = dict(zip([c.code for c in cols],
                     credit.row(cols, pub, credit.Settings.of(QINYUAN)), strict=True))
    assert (shown["party_name"], shown["id_type"], shown["id_number"]) == (
        "王某", "身份证", ID[:6] + "********" + ID[-4:])
    assert (shown["fine_amount"], shown["decision_date"], shown["publish_until"]) == (
        "0.5", "2026/04/03", "2026/07/02")
    assert (shown["source"], shown["authority_code"]) == ("沁源县能源局", None)
    full = credit.Settings("full", "YYYY-MM-DD", authority_code="11140431MB0000000X")
    whole = dict(zip([c.code for c in cols], credit.row(cols, pub, full), strict=True))
    assert (whole["party_name"], whole["id_number"], whole["decision_date"]) == (
        "王小明", ID, "2026-04-03")
    assert whole["authority_code"] == whole["source_code"] == "11140431MB0000000X"
    # a column the review withheld in part goes out as the public sees it: not at all
    kept = credit.row(cols, dict(pub, review={"withheld_fields": ["id_number"]}),
                      credit.Settings.of(QINYUAN))
    assert dict(zip([c.code for c in cols], kept, strict=True))["id_number"] is None


# ---- the file of an agency's public penalties ---------------------------------------------------

def published(env: Env, party: dict, decision_no: str, **changes) -> dict:
    pub = env.call(usecases.create_draft, "create_draft",
                   draft_request(party=party, decision_no=decision_no, **changes), PUBLISHER)
    return env.call(usecases.review_publication, "review_publication",
                    {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)


def export(env: Env, template: str, fmt: str, **changes) -> dict:
    request = {"agency": agencies.QINYUAN, "from": "2025-10-01", "to": "2025-12-31",
               "template": template, "format": fmt, **changes}
    return env.call(queries.export_credit, "export_credit", request, PUBLISHER)


def csv_rows(answer: dict) -> list[list[str]]:
    blob = base64.b64decode(answer["content_base64"])
    assert blob.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(blob.decode("utf-8-sig"))))


def xlsx_rows(answer: dict) -> list[list[str | None]]:
    book = load_workbook(io.BytesIO(base64.b64decode(answer["content_base64"])))
    sheet = book.worksheets[0]
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_each_kind_of_party_goes_in_its_template_as_published(env_db: Env):
    published(env_db, COMPANY, "沁能罚〔2025〕41号", fine_amount="60000",
              facts="=HYPERLINK(\"http://x\") 未如实记录安全生产教育和培训情况")
    published(env_db, PERSON, "沁能罚〔2025〕42号", fine_amount="12345.67",
              facts="未按规定进行安全培训")
    organisations = export(env_db, "legal_person", "csv")
    header, *rows = csv_rows(organisations)
    assert header == labels("legal_person") and organisations["rows"] == 1
    [row] = [dict(zip(header, r, strict=True)) for r in rows]
    assert (row["行政相对人名称"], row["统一社会信用代码"], row["法定代表人"]) == (
        "沁源县某某煤业有限公司", "91140431MA0K1234X5", "赵某")
    assert row["行政相对人类别"] == "法人及非法人组织"
    assert row["罚款金额（万元）"] == "6" and row["处罚决定日期"] == "2025/10/27"
    assert row["违法事实"].startswith("'=HYPERLINK")
    people = export(env_db, "natural_person", "xlsx")
    heading, *cells = xlsx_rows(people)
    assert heading == labels("natural_person") and people["rows"] == 1
    [person] = [dict(zip(heading, r, strict=True)) for r in cells]
    assert (person["行政相对人名称"], person["证件类型"], person["证件号码"]) == (
        "王某", "身份证", ID[:6] + "********" + ID[-4:])
    assert person["罚款金额（万元）"] == "1.234567"   # 12345.67 yuan, exact to the fen
    assert person["行政相对人类别"] == "自然人" and person["备注"] is None


def test_withdrawn_decisions_drafts_and_other_dates_are_left_out(env_db: Env):
    kept = published(env_db, COMPANY, "沁能罚〔2025〕51号")
    gone = published(env_db, COMPANY, "沁能罚〔2025〕52号")
    env_db.call(usecases.withdraw_publication, "withdraw_publication",
                {"publication_id": gone["id"], "ground": "revoked",
                 "reason": "经行政复议，原行政处罚决定被撤销", "decided_on": "2025-10-28",
                 "by": "沁源县人民政府"}, PUBLISHER)
    env_db.call(usecases.create_draft, "create_draft",
                draft_request(party=COMPANY, decision_no="沁能罚〔2025〕53号"), PUBLISHER)
    header, *rows = csv_rows(export(env_db, "legal_person", "csv"))
    numbers = [dict(zip(header, r, strict=True))["行政处罚决定书文号"] for r in rows]
    assert numbers == [kept["decision_no"]]
    assert csv_rows(export(env_db, "legal_person", "csv", **{"from": "2025-11-01"}))[1:] == []


def test_a_bad_template_format_or_range_is_refused_naming_the_field(env: Env):
    request = {"agency": agencies.QINYUAN, "from": "2025-10-01", "to": "2025-12-31",
               "template": "legal_person", "format": "csv"}
    for field, value in (("template", "sole_trader"), ("format", "pdf"), ("from", "2025-13-01")):
        with pytest.raises(ValidationFailed) as refused:
            rpc(env, queries.export_credit, "export_credit", dict(request, **{field: value}),
                PUBLISHER)
        assert list(refused.value.details) == [field]
    with pytest.raises(ValidationFailed) as backwards:
        rpc(env, queries.export_credit, "export_credit", dict(request, to="2025-09-30"),
            PUBLISHER)
    assert backwards.value.details == {"from": ["on or before to (2025-09-30)"]}
    # every refusal recorded: the three the contract made, then the use case's
    logged = env.log("refused")
    assert [(r["body"]["method"], r["body"]["code"]) for r in logged] == [
        ("export_credit", "validation_failed")] * 4
    assert [f for f in ("template", "format", "from") if f in logged[0]["body"]["reason"]] == [
        "template"]


def test_only_the_publisher_of_the_agency_exports(env: Env):
    from shared.errors import Forbidden
    request = {"agency": agencies.QINYUAN, "from": "2025-10-01", "to": "2025-12-31",
               "template": "legal_person", "format": "csv"}
    with pytest.raises(Forbidden):
        rpc(env, queries.export_credit, "export_credit", request, actor("head"))
    with pytest.raises(Forbidden):
        rpc(env, queries.export_credit, "export_credit", request,
            actor("publisher", agency=agencies.ANZE))
    assert [r["body"]["method"] for r in env.log("refused")] == ["export_credit"] * 2


def test_the_command_writes_the_file_the_service_answers(env: Env, tmp_path):
    import argparse

    from services.disclosure.cli import OK, run_export_credit
    published(env, COMPANY, "沁能罚〔2025〕71号")
    target = tmp_path / "credit.csv"
    args = argparse.Namespace(start="2025-10-01", end="2025-12-31", template="legal_person",
                              format="csv", output=target)
    code = run_export_credit(args, agencies.QINYUAN, lambda method, payload: env.call(
        getattr(queries, method), method, payload, PUBLISHER))
    assert code == OK
    header, row = csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig")))
    assert dict(zip(header, row, strict=True))["行政处罚决定书文号"] == "沁能罚〔2025〕71号"


def test_a_decision_from_the_record_keeper_gives_its_penalty_category(env: Env):
    import copy

    from services.disclosure import models
    from tests.unit.disclosure.support import issued
    body = issued(decision_no="沁能罚〔2025〕81号")
    decision = copy.deepcopy(body["data"]["decision"])
    body = issued(decision_no="沁能罚〔2025〕81号",
                  decision=dict(decision, measures=["warning", "confiscation"]))
    usecases.on_decision_issued(body, db=env.db, rules=env.rules, outbox=env.outbox,
                                now=env.now)
    [row] = env.rows(models.publications)
    assert row["credit"]["penalty_category"]["value"] == "罚款、警告、没收违法所得、没收非法财物"
    assert row["credit"]["penalty_category"]["label"] == "处罚类别"
