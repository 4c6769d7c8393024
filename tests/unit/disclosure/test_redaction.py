"""Redaction before publishing: masks by rule-set data, the free-text scanners (what they find,
what they must leave alone) and the record that proves published = served apart from it."""
from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from services.disclosure.domain.redaction import (
    DEFAULT_RULES,
    ID_CHECK,
    ID_WEIGHTS,
    USCC_CHARS,
    USCC_WEIGHTS,
    Hit,
    MaskRule,
    RedactionEntry,
    RedactionRules,
    Resolution,
    apply_redactions,
    county_prefix,
    default_rules,
    id_check_char,
    luhn_valid,
    mask_fields,
    scan_text,
    uscc_check_char,
    verify_redactions,
)
from shared.errors import ValidationFailed

# --- builders ----------------------------------------------------------------------------------
FILLER = "当事人于检查时称其经营场所内存在违法行为，执法人员依法告知其陈述申辩权利。"


def resident_id(region: str = "140431", born: date = date(1985, 7, 9), seq: str = "123") -> str:
    body = region + born.strftime("%Y%m%d") + seq
    return body + id_check_char(body)


def credit_code(prefix: str = "92", region: str = "140431", subject: str = "MA0K12345") -> str:
    body = prefix + region + subject
    return body + uscc_check_char(body)


def with_luhn(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def rules_with(**changes: object) -> dict:
    data = {"basis": DEFAULT_RULES["basis"], "masks": dict(DEFAULT_RULES["masks"]),
            "fields": {k: dict(v) for k, v in DEFAULT_RULES["fields"].items()}}
    for path, value in changes.items():
        section, key = path.split("__", 1)
        target = data[section]
        *parents, last = key.split("__")
        for parent in parents:
            target = target[parent]
        target[last] = value
    return data


def kinds(text: str) -> list[tuple[str, str]]:
    return [(hit.kind, hit.text) for hit in scan_text(text)]


# --- the algorithms, as the standards define them ----------------------------------------------
def test_weights_are_the_standards():
    assert ID_WEIGHTS == (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    assert ID_CHECK == "10X98765432"
    assert USCC_WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert USCC_CHARS == "0123456789ABCDEFGHJKLMNPQRTUWXY"
    assert not set("IOZSV") & set(USCC_CHARS)


def test_check_characters_of_published_examples():
    assert id_check_char("11010519491231002") == "X"  # GB 11643-1999's own example
    assert uscc_check_char("91350100M000100Y4") == "3"  # GB 32100-2015's example
    assert luhn_valid("79927398713") and not luhn_valid("79927398710")
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


# --- scanners: what they find ------------------------------------------------------------------
def test_resident_id_found_with_its_reason():
    number = resident_id()
    (hit,) = scan_text(f"当事人王五（身份证号{number}）")
    assert (hit.kind, hit.text, hit.start) == ("resident_id", number, 10)
    assert "check character" in hit.reason and "1985-07-09" in hit.reason
    assert "校验码" in hit.reason_zh


@pytest.mark.parametrize("shape", ["lower_x", "spaced", "hyphened", "full_width"])
def test_resident_id_in_the_shapes_people_write(shape):
    number = "11010519491231002X"
    written = {"lower_x": number.lower(), "spaced": "110105 19491231 002X",
               "hyphened": "110105-19491231-002X", "full_width": full_width(number)}[shape]
    text = f"身份证：{written}。"
    (hit,) = scan_text(text)
    assert hit.kind == "resident_id"
    assert (hit.start, hit.end, hit.text) == (4, 4 + len(written), written)


def test_fifteen_digit_legacy_id():
    assert kinds("旧证号130503670401001，") == [("resident_id_15", "130503670401001")]


def test_wrong_check_digit_is_suspect_not_valid():
    number = resident_id()
    wrong = number[:17] + next(c for c in ID_CHECK if c != number[17])
    ((kind, text),) = kinds(f"身份证号{wrong}")
    assert (kind, text) == ("resident_id_suspect", wrong)


def test_impossible_birth_dates_are_no_id():
    for born in ("19990230", "18991231", "21000101"):
        body = "140431" + born + "123"
        assert kinds(f"编号{body + id_check_char(body)}") == []
    body = "140431" + "20300101" + "123"
    assert [h.kind for h in scan_text(body + id_check_char(body))] == ["resident_id"]
    assert scan_text(body + id_check_char(body), as_of=date(2026, 1, 1)) == ()


def test_unknown_region_is_no_id():
    body = "990431" + "19850709" + "123"
    assert kinds(body + id_check_char(body)) == []


def test_individual_business_code_personal_organisation_code_not():
    personal, company = credit_code("92"), credit_code("91", subject="MA0K6789X")
    found = scan_text(f"个体工商户{personal}与某公司（{company}）")
    assert [(h.kind, h.text) for h in found] == [("uscc_personal", personal)]
    assert "92" in found[0].reason and "个体工商户" in found[0].reason_zh
    assert kinds(credit_code("92").lower()) == [("uscc_personal", credit_code("92").lower())]


def test_credit_code_with_a_bad_check_character_or_letter_is_not_one():
    code = credit_code("92")
    wrong = code[:17] + next(c for c in USCC_CHARS if c != code[17])
    assert kinds(wrong) == []
    assert kinds(code[:10] + "O" + code[11:]) == []  # O is not in GB 32100's set


def test_an_organisations_all_digit_code_is_not_a_bank_card():
    rng = random.Random(7)
    while True:
        code = credit_code("91", subject="".join(rng.choice("0123456789") for _ in range(9)))
        if code.isdigit() and luhn_valid(code):
            break
    assert kinds(f"统一社会信用代码{code}") == []


@pytest.mark.parametrize("written", [
    "13800138000", "138 0013 8000", "138-0013-8000", "+8613800138000", "+86 138 0013 8000",
    "0086-138-0013-8000", "8613800138000", "１３８００１３８０００", "19912345678"])
def test_mobile_numbers(written):
    text = f"联系电话：{written}，"
    (hit,) = scan_text(text)
    assert (hit.kind, hit.text, hit.start) == ("mobile", written, 5)


def test_a_phone_after_an_id_number_is_still_a_phone():
    number = resident_id()
    assert kinds(f"身份证号：{number}，13800138000") == [
        ("resident_id", number), ("mobile", "13800138000")]


def test_bank_cards_grouped_or_not():
    card = with_luhn("622202100112233")
    grouped = " ".join(card[i:i + 4] for i in range(0, 16, 4))
    assert kinds(f"账号{card}。") == [("bank_card", card)]
    assert kinds(f"账号 {grouped} 。") == [("bank_card", grouped)]
    assert kinds(f"账号{grouped.replace(' ', '-')}") == [("bank_card", grouped.replace(" ", "-"))]
    mastercard = with_luhn("222100000000000")
    assert kinds(f"卡号{mastercard}") == [("bank_card", mastercard)]
    nineteen = with_luhn("955880123456789012")
    assert kinds(f"存折{nineteen}") == [("bank_card", nineteen)]
    assert kinds(f"账号{card[:15]}{(int(card[15]) + 1) % 10}") == []


def test_an_id_number_that_passes_luhn_is_reported_once_as_an_id():
    rng = random.Random(3)
    while True:
        number = resident_id(born=date(1960, 1, 1) + timedelta(days=rng.randrange(20000)),
                             seq=f"{rng.randrange(1000):03d}")
        if number.isdigit() and luhn_valid(number):
            break
    assert kinds(number) == [("resident_id", number)]


@pytest.mark.parametrize("text, detail", [
    ("住山西省长治市沁源县沁河镇东王勇村12号。", "沁河镇东王勇村12号"),
    ("家住北京市海淀区中关村大街1号院2号楼3单元501室，", "中关村大街1号院2号楼3单元501室"),
    ("住址：城关镇南街3号", "城关镇南街3号"),
    ("违法地点：沁源县郭道镇河西村", "郭道镇河西村"),
    ("现住陵川县崇文镇东街社区", "崇文镇东街社区"),
])
def test_addresses_below_county_level(text, detail):
    (hit,) = scan_text(text)
    assert (hit.kind, hit.text) == ("address", detail)
    assert text[hit.start:hit.end] == detail


# --- scanners: what they must leave alone ------------------------------------------------------
@pytest.mark.parametrize("text", [
    "陵应急罚〔2025〕31号", "沁能罚〔2025〕第3号", "沁能立〔2025〕0012号", "2025年3月1日",
    "2025-03-01", "20250301", "2025年03月01日10时30分", "罚款人民币20000元", "罚款1,000,000.00元",
    "罚款人民币壹万元整（¥10000.00）", "依据《中华人民共和国安全生产法》第一百零二条",
    "第102条第1款第（三）项", "GB 11643-1999", "时间戳20250301123045", "沁源县沁河镇人民政府",
    "陵川县应急管理局", "在沁源县沁河镇检查时", "执法区域：沁源县沁河镇、郭道镇",
    "沁源县沁河镇东王勇村村民委员会", "长治市市场监督管理局", "案卷共128页，证据15份",
    "执法证号14043100123", "执法证号：14043100123、14043100124", "电话0355-7021234",
])
def test_no_false_positives(text):
    assert scan_text(text) == ()


# --- masks -------------------------------------------------------------------------------------
def test_name_masks():
    rules = default_rules()
    assert rules.masks["name"].apply("张三") == "张某"
    assert rules.masks["name"].apply("欧阳明华") == "欧阳某"
    assert rules.masks["name"].apply("张") == "某"
    starred = MaskRule("name", "surname", fill="*", repeat=True)
    assert starred.apply("张三丰") == "张**"


def test_id_phone_card_masks_keep_the_rule_sets_ends():
    rules = default_rules()
    assert rules.masks["id_number"].apply("11010519491231002X") == "110105********002X"
    assert rules.masks["id_number"].apply("110105 19491231 002X") == "110105 ******** 002X"
    assert rules.masks["phone"].apply("+86 138-0013-8000") == "+86 138-****-8000"
    assert rules.masks["phone"].apply("13800138000") == "138****8000"
    assert rules.masks["bank_card"].apply("6222 0210 0112 2334") == "**** **** **** 2334"
    assert rules.masks["credit_code"].apply(credit_code("92")) == "92140431" + "*" * 10
    assert MaskRule("phone", "ends", head=5, tail=9).apply("1380013") == "*******"


def test_address_masks_below_county():
    rule = default_rules().masks["address"]
    assert rule.apply("山西省长治市沁源县沁河镇东王勇村12号") == "山西省长治市沁源县××"
    assert rule.apply("北京市海淀区中关村大街1号") == "北京市海淀区××"
    assert rule.apply("恩施土家族苗族自治州巴东县信陵镇") == "恩施土家族苗族自治州巴东县××"
    assert rule.apply("沁源县") == "沁源县"
    assert rule.apply("东王勇村12号") == "××"
    assert county_prefix("沁源县城关镇菜市街5号") == "沁源县"


def test_default_rules_read_and_cite_the_seeds():
    rules = default_rules()
    assert "000《公示办法》第十三条" in rules.basis and "002《公示办法》第十五条" in rules.basis
    assert "004 第十九条" in rules.basis
    for plan in rules.fields.values():
        assert plan["id_number"] != "publish" and plan["legal_rep_id_number"] != "publish"


@pytest.mark.parametrize("changes, path, zh", [
    ({"masks__id_number": {"keep": "ends", "head": 8, "tail": 4, "fill": "*"}},
     "masks.id_number", "出生日期"),
    ({"masks__name": {"keep": "county"}}, "masks.name.keep", "姓名"),
    ({"masks__phone": {"keep": "ends", "head": -1, "fill": "*"}}, "masks.phone", "电话号码"),
    ({"masks__voice": {"keep": "drop"}}, "masks.voice", "未知"),
    ({"fields__natural_person__id_number": "publish"}, "fields.natural_person.id_number",
     "证件号码"),
    ({"fields__organisation__legal_rep_id_number": "publish"},
     "fields.organisation.legal_rep_id_number", "法定代表人证件号码"),
    ({"fields__natural_person__id_number": "phone"}, "fields.natural_person.id_number",
     "只能删除或按身份证件号码遮蔽"),
    ({"fields__natural_person__hobby": "publish"}, "fields.natural_person.hobby", "双公示"),
    ({"fields__natural_person__facts": "blur"}, "fields.natural_person.facts", "违法事实"),
    ({"masks__name": {"keep": "surname", "fill": "某", "repeat": "yes"}}, "masks.name",
     "repeat"),
    ({"basis__": ""}, "basis", "依据"),
])
def test_rules_refused_naming_field_and_rule(changes, path, zh):
    data = rules_with(**{k: v for k, v in changes.items() if not k.startswith("basis")})
    if "basis__" in changes:
        data["basis"] = ""
    with pytest.raises(ValidationFailed) as refused:
        RedactionRules.from_mapping(data)
    assert path in refused.value.details
    assert path in refused.value.message_zh and zh in refused.value.message_zh


def test_a_party_class_missing_from_the_rules_is_refused():
    data = rules_with()
    del data["fields"]["individual_business"]
    with pytest.raises(ValidationFailed) as refused:
        RedactionRules.from_mapping(data)
    assert "fields.individual_business" in refused.value.details


def test_a_field_missing_from_a_party_classs_plan_is_refused():
    data = rules_with()
    del data["fields"]["organisation"]["remark"]
    with pytest.raises(ValidationFailed) as refused:
        RedactionRules.from_mapping(data)
    assert list(refused.value.details) == ["fields.organisation.remark"]
    assert "备注：必填" in refused.value.message_zh


# --- structured fields -------------------------------------------------------------------------
def test_natural_person_row():
    number = resident_id()
    row = {"party_name": "张三", "party_class": "自然人", "id_type": "身份证",
           "id_number": number, "credit_code": credit_code("91"), "legal_rep": "李四",
           "party_address": "山西省长治市沁源县沁河镇东王勇村12号", "party_phone": None,
           "facts": "未按规定配备安全管理人员", "decision_no": "沁能罚〔2025〕3号"}
    masked = mask_fields(row, "natural_person", default_rules())
    assert masked.published == {
        "party_name": "张某", "party_class": "自然人", "id_type": "身份证",
        "id_number": number[:6] + "*" * 8 + number[-4:],
        "party_address": "山西省长治市沁源县××", "party_phone": None,
        "facts": "未按规定配备安全管理人员", "decision_no": "沁能罚〔2025〕3号"}
    assert [(r.field, r.kind, r.replacement) for r in masked.redactions] == [
        ("party_name", "name", "张某"), ("id_number", "id_number", masked.published["id_number"]),
        ("credit_code", "drop", None), ("legal_rep", "drop", None),
        ("party_address", "address", "山西省长治市沁源县××")]


def test_organisation_row_keeps_the_company_masks_its_representatives_id():
    code, rep_id = credit_code("91", subject="MA0K6789X"), resident_id()
    row = {"party_name": "沁源县某煤业有限公司", "credit_code": code, "legal_rep": "李四",
           "legal_rep_id_number": rep_id, "id_number": resident_id(seq="777")}
    masked = mask_fields(row, "organisation", default_rules())
    assert masked.published == {"party_name": "沁源县某煤业有限公司", "credit_code": code,
                                "legal_rep": "李四",
                                "legal_rep_id_number": rep_id[:6] + "*" * 8 + rep_id[-4:]}
    assert {r.field for r in masked.redactions} == {"legal_rep_id_number", "id_number"}


def test_unknown_field_or_party_class_refused():
    with pytest.raises(ValidationFailed) as refused:
        mask_fields({"party_name": "张三", "religion": "x"}, "natural_person", default_rules())
    assert "religion" in refused.value.details and "自然人" in refused.value.message_zh
    with pytest.raises(ValidationFailed) as refused:
        mask_fields({"party_name": "张三"}, "alien", default_rules())
    assert "party_class" in refused.value.details and "行政相对人类别" in refused.value.message_zh


# --- applying and proving ----------------------------------------------------------------------
def _decision() -> tuple[str, str, str]:
    number, phone = resident_id(), "138-0013-8000"
    text = (f"当事人张三，身份证号{number}，住沁源县沁河镇东王勇村12号，电话{phone}。"
            "经查，当事人未按规定配备安全管理人员，依据《安全生产法》第九十七条，"
            "决定罚款人民币20000元（沁能罚〔2025〕3号）。")
    return text, number, phone


def test_mask_every_hit_and_prove_it():
    text, number, phone = _decision()
    hits = scan_text(text)
    assert [h.kind for h in hits] == ["resident_id", "address", "mobile"]
    name_at = text.index("张三")
    resolutions = [Resolution(h.start, h.end, "mask") for h in hits]
    resolutions.append(Resolution(name_at, name_at + 2, "mask", kind="name"))
    done = apply_redactions(text, hits, resolutions, default_rules())
    assert number not in done.text and phone not in done.text and "张三" not in done.text
    assert "当事人张某，身份证号140431********" in done.text
    assert "住沁源县××，电话138-****-8000。" in done.text
    assert [e.kind for e in done.record] == ["name", "id_number", "address", "phone"]
    assert verify_redactions(text, done.text, done.record)
    assert scan_text(done.text) == ()


def test_a_kept_hit_is_recorded_with_its_reason():
    text, _, _ = _decision()
    hits = scan_text(text)
    keep = Resolution(hits[1].start, hits[1].end, "keep", reason="违法地点，公开不损害个人权益")
    others = [Resolution(h.start, h.end, "mask") for h in hits if h is not hits[1]]
    done = apply_redactions(text, hits, [keep, *others], default_rules())
    assert done.kept == (keep,) and "东王勇村12号" in done.text
    assert verify_redactions(text, done.text, done.record)


def test_nothing_applied_while_a_hit_is_unresolved():
    text, _, _ = _decision()
    hits = scan_text(text)
    with pytest.raises(ValidationFailed) as refused:
        apply_redactions(text, hits, [Resolution(hits[0].start, hits[0].end, "mask")],
                         default_rules())
    assert f"hits.{hits[2].start}-{hits[2].end}" in refused.value.details
    assert "手机号码" in refused.value.message_zh


@pytest.mark.parametrize("bad, zh", [
    (Resolution(0, 2, "keep", reason="同意"), "保留须针对扫描结果"),
    (Resolution(0, 2, "mask"), "写明类别"),
    (Resolution(0, 2, "mask", kind="voice"), "遮蔽类别"),
    (Resolution(0, 2, "blur", kind="name"), "处理方式"),
    (Resolution(5, 2, "mask", kind="name"), "原文中的一段"),
    (Resolution(3, 15, "mask", kind="name"), "重叠"),
])
def test_malformed_resolutions_refused(bad, zh):
    text, _, _ = _decision()
    hits = scan_text(text)
    resolutions = [Resolution(h.start, h.end, "mask") for h in hits]
    if "重叠" in zh:
        bad = Resolution(hits[0].start - 2, hits[0].start + 1, "mask", kind="name")
    with pytest.raises(ValidationFailed) as refused:
        apply_redactions(text, hits, [*resolutions, bad], default_rules())
    assert f"resolutions.{bad.start}-{bad.end}" in refused.value.details
    assert zh in refused.value.message_zh


def test_hits_of_another_text_refused():
    text, _, _ = _decision()
    hits = scan_text(text)
    moved = [Hit(h.kind, h.start + 1, h.end + 1, h.text, h.reason, h.reason_zh) for h in hits]
    with pytest.raises(ValidationFailed) as refused:
        apply_redactions(text, moved, [Resolution(h.start, h.end, "mask") for h in moved],
                         default_rules())
    assert f"hits.{moved[0].start}-{moved[0].end}" in refused.value.details
    assert "与原文不符" in refused.value.message_zh


def test_keeping_a_hit_needs_a_reason():
    text, _, _ = _decision()
    hits = scan_text(text)
    resolutions = [Resolution(h.start, h.end, "mask") for h in hits[1:]]
    with pytest.raises(ValidationFailed):
        apply_redactions(text, hits, [Resolution(hits[0].start, hits[0].end, "keep"),
                                      *resolutions], default_rules())


def test_verify_refuses_what_the_record_does_not_explain():
    text, _, _ = _decision()
    hits = scan_text(text)
    done = apply_redactions(text, hits, [Resolution(h.start, h.end, "mask") for h in hits],
                            default_rules())
    record = list(done.record)
    assert not verify_redactions(text, done.text.replace("20000", "2000"), record)
    assert not verify_redactions(text, done.text, record[1:])
    forged = RedactionEntry(record[0].start, record[0].end, record[0].kind, "x")
    assert not verify_redactions(text, done.text, [forged, *record[1:]])
    same = RedactionEntry(0, 3, "name", text[:3])
    assert not verify_redactions(text, text, [same])
    overlapping = RedactionEntry(record[0].start + 1, record[0].end + 1, "name", "某")
    assert not verify_redactions(text, done.text, [*record, overlapping])
    assert not verify_redactions(text, done.text,
                                 [*record, RedactionEntry(len(text), len(text) + 1, "x", "y")])
    assert verify_redactions(text, text, [])


# --- properties --------------------------------------------------------------------------------
REGIONS = st.sampled_from(["110105", "140431", "140525", "370303", "650102", "810000", "830000",
                           "911100"])
BIRTHS = st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 12, 31))
SEQS = st.integers(0, 999).map(lambda n: f"{n:03d}")
SAFE = st.text(alphabet="当事人经查罚款决定，。、（）《》的于在与其", max_size=12)


@settings(max_examples=300, deadline=None)
@given(REGIONS, BIRTHS, SEQS, SAFE, SAFE, st.booleans())
def test_every_valid_id_is_found(region, born, seq, before, after, wide):
    number = resident_id(region, born, seq)
    written = full_width(number) if wide else number
    text = before + written + after
    ids = [h for h in scan_text(text) if h.kind == "resident_id"]
    assert [(h.start, h.end, h.text) for h in ids] == [
        (len(before), len(before) + 18, written)]


@settings(max_examples=300, deadline=None)
@given(REGIONS, BIRTHS, SEQS, st.integers(1, 10))
def test_a_changed_check_digit_is_never_a_valid_id(region, born, seq, shift):
    number = resident_id(region, born, seq)
    wrong = number[:17] + ID_CHECK[(ID_CHECK.index(number[17]) + shift) % 11]
    assert all(h.kind != "resident_id" for h in scan_text(f"号码{wrong}。"))


@settings(max_examples=300, deadline=None)
@given(REGIONS, BIRTHS, SEQS, st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_breaks_the_check(region, born, seq, where, delta):
    number = resident_id(region, born, seq)
    changed = number[:where] + str((int(number[where]) + delta) % 10) + number[where + 1:]
    assert all(h.kind != "resident_id" for h in scan_text(changed))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9),
       st.sampled_from(["140431", "110105"]), st.integers(1, 30))
def test_individual_business_codes_found_and_a_changed_check_is_not(subject, region, shift):
    code = credit_code("92", region, subject)
    assume(not (code.isdigit() and luhn_valid(code)))
    assert (("uscc_personal", code) in kinds(f"代码{code}。"))
    wrong = code[:17] + USCC_CHARS[(USCC_CHARS.index(code[17]) + shift) % 31]
    assert all(h.kind != "uscc_personal" for h in scan_text(f"代码{wrong}。"))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=13, max_size=13))
def test_luhn_valid_cards_found(tail):
    card = with_luhn("62" + tail)
    assert kinds(f"卡号{card}，") == [("bank_card", card)]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_hits_index_the_original_text_whatever_it_holds(text):
    hits = scan_text(text)
    for hit in hits:
        assert text[hit.start:hit.end] == hit.text
    spans = [(h.start, h.end) for h in hits]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


ITEMS = st.one_of(  # (the text, the personal part of it)
    st.builds(resident_id, REGIONS, BIRTHS, SEQS).map(lambda n: (f"身份证号{n}，", n)),
    st.builds(lambda p, n: f"1{p}{n:09d}", st.sampled_from("3456789"),
              st.integers(0, 10**9 - 1)).map(lambda m: (f"电话{m}，", m)),
    st.text(alphabet="0123456789", min_size=13, max_size=13).map(
        lambda t: (f"卡号{with_luhn('62' + t)}，", with_luhn("62" + t))),
    st.just(("住沁源县沁河镇东王勇村12号，", "东王勇村12号")),
    st.just((FILLER, "")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(ITEMS, min_size=1, max_size=8), st.booleans(), st.data())
def test_redacting_everything_found_is_proven_and_any_other_change_is_caught(
        items, wide, data):
    text = "".join(part for part, _ in items)
    secrets = [secret for _, secret in items if secret]
    if wide:
        text, secrets = full_width(text), [full_width(secret) for secret in secrets]
    hits = scan_text(text)
    done = apply_redactions(text, hits, [Resolution(h.start, h.end, "mask") for h in hits],
                            default_rules())
    assert verify_redactions(text, done.text, done.record)
    assert not [secret for secret in secrets if secret in done.text]
    assert scan_text(done.text) == ()
    at = data.draw(st.integers(0, len(done.text) - 1))
    tampered = done.text[:at] + ("甲" if done.text[at] != "甲" else "乙") + done.text[at + 1:]
    assert not verify_redactions(text, tampered, done.record)
