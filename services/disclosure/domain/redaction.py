"""Redaction before publishing: natural persons' structured fields masked by the rule set, free
text scanned for what slipped through, and a record of every redaction that proves what is
published equals the served decision apart from the recorded redactions.

Personal privacy is withheld unless the person consents or withholding would gravely harm
the public interest (000《公示办法》第十三条第二款; 002《公示办法》第十五条; 004 第十九条).
No national rule fixes a masking pattern (法释〔2016〕19号 is the nearest practice), so the
patterns are rule-set data. 双公示 (发改办财金〔2018〕424号): natural-person rows drop the
organisation codes and 法定代表人; a natural person's ID number is for government sharing,
never published in full — a rule that would show its birth date, or publish an ID-number field
as it is, is refused. A rule set's fragment as `RedactionRules.from_mapping` reads it
(DEFAULT_RULES is the seeds' version):

    redaction:
      basis: 000《公示办法》第十三条第二款；002《公示办法》第十五条；004 第十九条
      masks:
        name: {keep: surname, fill: 某}                    # 张三 → 张某, 欧阳明 → 欧阳某
        id_number: {keep: ends, head: 6, tail: 4, fill: "*"}   # 140431********123X
        phone: {keep: ends, head: 3, tail: 4, fill: "*"}   # +86 138 **** 8000
        bank_card: {keep: ends, head: 0, tail: 4, fill: "*"}
        credit_code: {keep: ends, head: 8, tail: 0, fill: "*"}
        address: {keep: county, fill: ××}                  # 山西省长治市沁源县××
        plate: {keep: ends, head: 2, tail: 0, fill: "*"}
      fields:                                      # per party class: publish, drop or a mask
        natural_person: {party_name: name, id_number: id_number, credit_code: drop, ...}
        organisation: {party_name: publish, legal_rep_id_number: id_number, ...}

`scan_text` finds, in free text, PRC resident ID numbers (GB 11643-1999, ISO 7064 MOD 11-2),
unified social credit codes of 个体工商户 (GB 32100-2015, MOD 31; organisations' codes are not
personal), mainland mobile numbers, bank card numbers (Luhn) and addresses below county level.
It matches on the NFKC form (full-width digits) and reports spans in the original text."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from shared.errors import ValidationFailed

# GB 11643-1999: weight of position i (1-based, left to right) is 2^(18-i) mod 11.
ID_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
ID_CHECK: Final = "10X98765432"
# GB 32100-2015: the code's 31 characters (no I O Z S V); weight of position i is 3^(i-1) mod 31.
USCC_CHARS: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS: Final = tuple(pow(3, i, 31) for i in range(17))
# GB/T 2260 province codes, 71 Taiwan, 81/82 Hong Kong/Macao, 83 Taiwan residents' permits
PROVINCES: Final = frozenset((11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42,
                              43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
                              83))
EARLIEST_BIRTH: Final = date(1900, 1, 1)
LATEST_BIRTH: Final = date(2099, 12, 31)

HIT_KINDS: Final = {
    "resident_id": "居民身份号码", "resident_id_15": "居民身份号码（15位）",
    "resident_id_suspect": "疑似居民身份号码（校验码不符）",
    "uscc_personal": "个体工商户统一社会信用代码",
    "mobile": "手机号码", "bank_card": "银行卡号", "address": "县级以下详细地址",
}
# the mask a hit of each kind gets when the reviewer masks it
HIT_MASK: Final = {"resident_id": "id_number", "resident_id_15": "id_number",
                   "resident_id_suspect": "id_number", "uscc_personal": "credit_code",
                   "mobile": "phone", "bank_card": "bank_card", "address": "address"}
MASK_KINDS: Final = {"name": "姓名", "id_number": "身份证件号码", "phone": "电话号码",
                     "bank_card": "银行账号", "credit_code": "统一社会信用代码",
                     "address": "住址", "plate": "车牌号码"}
KEEPS: Final = {"name": ("surname", "ends", "drop"), "address": ("county", "drop")}
PARTY_CLASSES: Final = {"natural_person": "自然人", "individual_business": "个体工商户",
                        "organisation": "法人及非法人组织"}
# the 双公示 penalty record's columns (发改办财金〔2018〕424号), with the party's contact fields
FIELDS: Final = {
    "party_name": "行政相对人名称", "party_class": "行政相对人类别",
    "credit_code": "统一社会信用代码",
    "legal_rep": "法定代表人", "legal_rep_id_type": "法定代表人证件类型",
    "legal_rep_id_number": "法定代表人证件号码", "id_type": "证件类型", "id_number": "证件号码",
    "party_address": "住址", "party_phone": "联系电话", "bank_account": "银行账号",
    "decision_no": "行政处罚决定书文号", "violation_type": "违法行为类型", "facts": "违法事实",
    "legal_basis": "处罚依据", "penalty_category": "处罚类别", "penalty_content": "处罚内容",
    "fine": "罚款金额（万元）", "confiscation": "没收违法所得、没收非法财物的金额（万元）",
    "licence": "暂扣或吊销证照名称及编号", "decision_date": "处罚决定日期",
    "valid_until": "处罚有效期", "publish_until": "公示截止期", "authority": "处罚机关",
    "authority_code": "处罚机关统一社会信用代码", "source": "数据来源单位",
    "source_code": "数据来源单位统一社会信用代码", "remark": "备注",
}
# fields that hold a natural person's ID number: never published as they are
ID_FIELDS: Final = ("id_number", "legal_rep_id_number")
_COMMON: Final = {code: "publish" for code in (
    "party_class", "decision_no", "violation_type", "facts", "legal_basis", "penalty_category",
    "penalty_content", "fine", "confiscation", "licence", "decision_date", "valid_until",
    "publish_until", "authority", "authority_code", "source", "source_code", "remark")}
_BASIS: Final = "000《公示办法》第十三条第二款；002《公示办法》第十五条；004 第十九条"
DEFAULT_RULES: Final[Mapping[str, Any]] = {
    "basis": _BASIS,
    "masks": {
        "name": {"keep": "surname", "fill": "某"},
        "id_number": {"keep": "ends", "head": 6, "tail": 4, "fill": "*"},
        "phone": {"keep": "ends", "head": 3, "tail": 4, "fill": "*"},
        "bank_card": {"keep": "ends", "head": 0, "tail": 4, "fill": "*"},
        "credit_code": {"keep": "ends", "head": 8, "tail": 0, "fill": "*"},
        "address": {"keep": "county", "fill": "××"},
        "plate": {"keep": "ends", "head": 2, "tail": 0, "fill": "*"},
    },
    "fields": {
        # 双公示: a natural person's row has no organisation codes and no 法定代表人
        "natural_person": {**_COMMON, "party_name": "name", "id_type": "publish",
                           "id_number": "id_number", "party_address": "address",
                           "party_phone": "phone", "bank_account": "bank_card",
                           "credit_code": "drop", "legal_rep": "drop",
                           "legal_rep_id_type": "drop", "legal_rep_id_number": "drop"},
        # the business is registered and published; its operator is a natural person
        "individual_business": {**_COMMON, "party_name": "publish", "credit_code": "publish",
                                "legal_rep": "name", "legal_rep_id_type": "publish",
                                "legal_rep_id_number": "id_number", "id_type": "publish",
                                "id_number": "id_number", "party_address": "address",
                                "party_phone": "phone", "bank_account": "bank_card"},
        "organisation": {**_COMMON, "party_name": "publish", "credit_code": "publish",
                         "legal_rep": "publish", "legal_rep_id_type": "publish",
                         "legal_rep_id_number": "id_number", "id_type": "drop",
                         "id_number": "drop", "party_address": "publish",
                         "party_phone": "publish", "bank_account": "bank_card"},
    },
}
COMPOUND_SURNAMES: Final = frozenset((
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "钟离", "闾丘", "端木", "独孤", "南宫", "西门", "百里", "呼延", "太史",
    "申屠", "澹台", "公冶", "宗政", "濮阳", "淳于", "单于", "太叔", "赫连", "拓跋", "第五"))


def _refuse(problems: Sequence[tuple[str, str, str]], what: str, what_zh: str) -> ValidationFailed:
    """A refusal naming every field at fault and the rule it broke, in English and Chinese."""
    details = {path: [rule] for path, rule, _ in problems}
    summary = "; ".join(f"{path}: {rule}" for path, rule, _ in problems)
    summary_zh = "；".join(f"{path}：{rule_zh}" for path, _, rule_zh in problems)
    return ValidationFailed(f"invalid {what}: {summary}", details=details,
                            message_zh=f"{what_zh}不符合要求：{summary_zh}")


# --- masking rules ---------------------------------------------------------------------------
@dataclass(frozen=True)
class MaskRule:
    """How much of a value of one kind may show: `ends` keeps `head` and `tail` characters and
    fills each other one; `surname` keeps the surname and fills the given name once (or each
    character, `repeat`); `county` keeps the address down to the county and fills the rest
    once; `drop` removes the value (a field is left out; in free text `fill` stands for it)."""
    kind: str
    keep: str
    head: int = 0
    tail: int = 0
    fill: str = "*"
    repeat: bool = False

    def apply(self, value: str) -> str:
        if self.keep == "surname":
            return _mask_name(value, self.fill, self.repeat)
        if self.keep == "county":
            prefix = county_prefix(value)
            return value if prefix == value.strip() else prefix + self.fill
        if self.keep == "drop":
            return self.fill
        skip = _phone_prefix(value) if self.kind == "phone" else 0
        return value[:skip] + _mask_ends(value[skip:], self.head, self.tail, self.fill)


@dataclass(frozen=True)
class RedactionRules:
    masks: Mapping[str, MaskRule]
    fields: Mapping[str, Mapping[str, str]]
    basis: str

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RedactionRules:
        """The rules a rule set's `redaction` mapping gives, or a refusal naming each entry
        at fault (nothing half-read)."""
        problems: list[tuple[str, str, str]] = []
        masks = _read_masks(data.get("masks"), problems)
        fields = _read_fields(data.get("fields"), problems)
        basis = data.get("basis")
        if not isinstance(basis, str) or not basis.strip():
            problems.append(("basis", "required: the articles the redaction rests on",
                             "必填：脱敏所依据的条款"))
        if problems:
            raise _refuse(problems, "redaction rules", "脱敏规则")
        return cls(masks=masks, fields=fields, basis=str(basis))


def default_rules() -> RedactionRules:
    return RedactionRules.from_mapping(DEFAULT_RULES)


def _read_masks(raw: Any, problems: list[tuple[str, str, str]]) -> dict[str, MaskRule]:
    if not isinstance(raw, Mapping):
        problems.append(("masks", "required: a mapping of field kind to mask",
                         "必填：各类字段的脱敏方式"))
        return {}
    masks: dict[str, MaskRule] = {}
    for kind in sorted(set(MASK_KINDS) | set(raw)):
        rule = _read_mask(kind, raw.get(kind), problems)
        if rule is not None:
            masks[kind] = rule
    return masks


def _read_mask(kind: str, raw: Any, problems: list[tuple[str, str, str]]) -> MaskRule | None:
    path = f"masks.{kind}"
    if kind not in MASK_KINDS:
        problems.append((path, f"unknown field kind (one of {', '.join(MASK_KINDS)})",
                         "未知的字段类别"))
        return None
    if not isinstance(raw, Mapping):
        problems.append((path, "required: how this kind is masked",
                         f"必填：{MASK_KINDS[kind]}的脱敏方式"))
        return None
    keeps = KEEPS.get(kind, ("ends", "drop"))
    head, tail, fill = raw.get("head", 0), raw.get("tail", 0), raw.get("fill", "*")
    if raw.get("keep") not in keeps:
        problems.append((f"{path}.keep", f"one of {', '.join(keeps)}",
                         f"{MASK_KINDS[kind]}的保留方式须为 {'、'.join(keeps)} 之一"))
    elif not (_count(head) and _count(tail) and isinstance(fill, str)
              and isinstance(raw.get("repeat", False), bool)):
        problems.append((path, "head and tail are counts, fill a text, repeat true or false",
                         f"{MASK_KINDS[kind]}的保留位数须为非负整数，填充须为文字，repeat须为是或否"))
    elif kind == "id_number" and raw["keep"] == "ends" and (head > 6 or tail > 4):
        problems.append((path, "an ID number's birth date (7th-14th characters) is never shown",
                         "身份证件号码不得公开出生日期（第7至14位），保留不得超过前6位和后4位"))
    else:
        return MaskRule(kind=kind, keep=str(raw["keep"]), head=head, tail=tail, fill=fill,
                        repeat=raw.get("repeat", False))
    return None


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _read_fields(raw: Any,
                 problems: list[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    if not isinstance(raw, Mapping):
        problems.append(("fields", "required: the fields each party class publishes",
                         "必填：各类行政相对人公示的字段"))
        return {}
    out: dict[str, dict[str, str]] = {}
    for party in sorted(set(PARTY_CLASSES) | set(raw)):
        plan = raw.get(party)
        if party not in PARTY_CLASSES or not isinstance(plan, Mapping):
            problems.append((f"fields.{party}",
                             f"a field plan for each of {', '.join(PARTY_CLASSES)}",
                             "须为自然人、个体工商户、法人及非法人组织各列字段"))
            continue
        out[party] = {str(k): str(v) for k, v in plan.items()}
        problems.extend(_plan_problems(party, plan))
    return out


def _plan_problems(party: str, plan: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    allowed = {"publish", "drop", *MASK_KINDS}
    for code in sorted(set(FIELDS) | set(plan)):
        path, action = f"fields.{party}.{code}", plan.get(code)
        if code not in FIELDS:
            yield path, "not a 双公示 field", "不是双公示字段"
        elif action is None:
            yield (path, "required: publish, drop or a field kind",
                   f"{FIELDS[code]}：必填，须写明公示、删除或脱敏方式")
        elif action not in allowed:
            yield (path, "publish, drop or a field kind",
                   f"{FIELDS[code]}须为公示、删除或一种脱敏方式")
        elif code in ID_FIELDS and action not in ("drop", "id_number"):
            yield (path, "a natural person's ID number is dropped or masked as id_number",
                   f"{FIELDS[code]}：自然人的身份证件号码不得完整公示，只能删除或按身份证件号码遮蔽")


# --- masking values ----------------------------------------------------------------------------
def _mask_ends(value: str, head: int, tail: int, fill: str) -> str:
    """Keep `head` and `tail` of the value's letters, digits and characters, fill each other one
    (separators stay); all of it filled when keeping both would show it whole."""
    positions = [i for i, ch in enumerate(value) if ch.isalnum()]
    if not positions:
        return fill
    if head + tail >= len(positions):
        hidden = set(positions)
    else:
        hidden = set(positions[head:len(positions) - tail])
    return "".join(fill if i in hidden else ch for i, ch in enumerate(value))


def _mask_name(value: str, fill: str, repeat: bool) -> str:
    name = value.strip()
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    if len(name) <= keep:
        return fill
    return name[:keep] + (fill * (len(name) - keep) if repeat else fill)


_PHONE_PREFIX: Final = re.compile(r"\s*(?:\+|00)86[\s-]*")


def _phone_prefix(value: str) -> int:
    match = _PHONE_PREFIX.match(unicodedata.normalize("NFKC", value))
    return len(match.group()) if match else 0


_HAN: Final = r"[\u4e00-\u9fff]"
_PLACE: Final = r"(?:(?![省市县区旗州盟乡镇村路街巷号])[\u4e00-\u9fff])"
_COUNTY: Final = re.compile(
    rf"(?:{_HAN}{{1,10}}?(?:省|自治区|特别行政区))?(?:{_PLACE}{{1,10}}?(?:市|自治州|州|地区|盟))?"
    rf"(?:{_PLACE}{{1,10}}?(?:自治县|自治旗|县|区|市|旗))?")


def county_prefix(address: str) -> str:
    """The part of an address down to the county level (省, 市, 县/区/县级市/旗); what follows
    it is below county level. Empty when the address names no such unit first."""
    match = _COUNTY.match(address.strip())
    return match.group() if match else ""


@dataclass(frozen=True)
class FieldRedaction:
    field: str
    kind: str  # the mask kind, or "drop"
    replacement: str | None  # None: the field was left out


@dataclass(frozen=True)
class MaskedFields:
    published: dict[str, str | None]
    redactions: tuple[FieldRedaction, ...]


def mask_fields(fields: Mapping[str, str | None], party_class: str,
                rules: RedactionRules) -> MaskedFields:
    """The 双公示 fields of one party as the rule set publishes them for its class: each field
    published, left out or masked, every change recorded. A field the class's plan does not
    name is refused, never published unexamined."""
    plan = rules.fields.get(party_class)
    if plan is None:
        raise _refuse([("party_class", f"one of {', '.join(PARTY_CLASSES)}",
                        "行政相对人类别须为自然人、个体工商户或法人及非法人组织")],
                      "party", "行政相对人")
    unknown = sorted(set(fields) - set(plan))
    if unknown:
        raise _refuse([(code, f"not in the field set of {party_class}",
                        f"不在{PARTY_CLASSES[party_class]}的公示字段中") for code in unknown],
                      "fields", "公示字段")
    published: dict[str, str | None] = {}
    record: list[FieldRedaction] = []
    for code, value in fields.items():
        action = plan[code]
        rule = rules.masks.get(action)
        if rule is not None and rule.keep == "drop":
            action = "drop"
        if action == "drop":
            if value:
                record.append(FieldRedaction(code, "drop", None))
        elif rule is None or not value:
            published[code] = value
        else:
            published[code] = masked = rule.apply(value)
            if masked != value:
                record.append(FieldRedaction(code, action, masked))
    return MaskedFields(published, tuple(record))


# --- scanning free text ------------------------------------------------------------------------
@dataclass(frozen=True)
class Hit:
    """Something personal found in free text: `start`/`end` index the original text, `text`
    is what stands there, `reason` why it was taken for what `kind` says."""
    kind: str
    start: int
    end: int
    text: str
    reason: str
    reason_zh: str


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    kind: str | None  # None: claimed (an organisation's code) but not personal
    reason: str
    reason_zh: str


@dataclass(frozen=True)
class _Folded:
    """A text in NFKC form, each of its characters mapped back to the original's index."""
    text: str
    origin: tuple[int, ...]

    @classmethod
    def of(cls, original: str) -> _Folded:
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(original):
            folded = unicodedata.normalize("NFKC", ch)
            chars.append(folded)
            origin.extend([i] * len(folded))
        return cls("".join(chars), tuple(origin))

    def span(self, start: int, end: int) -> tuple[int, int]:
        return self.origin[start], self.origin[end - 1] + 1


_ALNUM_BEFORE: Final = r"(?<![0-9A-Za-z])"
_ALNUM_AFTER: Final = r"(?![0-9A-Za-z])"
_ID18: Final = re.compile(
    rf"{_ALNUM_BEFORE}[0-9]{{6}}[ -]?[0-9]{{8}}[ -]?[0-9]{{3}}[0-9Xx]{_ALNUM_AFTER}")
_ID15: Final = re.compile(rf"{_ALNUM_BEFORE}[0-9]{{15}}{_ALNUM_AFTER}")
_USCC: Final = re.compile(rf"{_ALNUM_BEFORE}[0-9A-Za-z]{{18}}{_ALNUM_AFTER}")
_CARD: Final = re.compile(
    rf"{_ALNUM_BEFORE}(?:[0-9]{{13,19}}|[0-9]{{4,6}}(?:[ -][0-9]{{3,6}}){{1,4}}){_ALNUM_AFTER}")
_MOBILE: Final = re.compile(
    rf"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9][ -]?[0-9]{{4}}[ -]?[0-9]{{4}}"
    rf"{_ALNUM_AFTER}")
# a label of a certificate's or a file's number, and a list of such numbers after it
_NUMBER_LABEL: Final = re.compile(
    r"(?:(?<!身份)证号|执法证件号|证书号|编号|案号|文号)[:\s]*(?:[0-9A-Za-z-]+\s*[、,/和及]\s*)*$")
_UNIT: Final = r"(?:街道|乡|镇|村|社区|路|街|巷|大道|胡同|弄|小区|组)"
_COMPONENT: Final = re.compile(rf"{_PLACE}{{1,8}}?{_UNIT}(?:社区|小区)?")
_NUMBER: Final = r"(?:[0-9]+(?:-[0-9]+)*(?:号楼|号院|号|弄|栋|幢|单元|层|楼|室|户|组))"
_ADDRESS: Final = re.compile(
    rf"(?:(?P<county>[县区市旗])|(?P<cue>住址|住所|地址|家住|现住址|现住|户籍地|居住地):?\s*)"
    rf"(?P<detail>(?:{_COMPONENT.pattern})+(?P<number>{_NUMBER}+(?:[0-9]+(?:-[0-9]+)*)?)?)")
_INSTITUTION: Final = re.compile(
    r"人民政府|政府|办事处|派出所|卫生院|卫生室|委员会|村民委员会|居民委员会|村委|居委|党委|党支部|支部|中心|小学|中学"
    r"|学校|幼儿园|医院|法庭|司法所|财政所|供电所|站|所|局|队")


def _digits(text: str) -> str:
    return re.sub(r"[ -]", "", text).upper()


def id_check_char(body: str) -> str:
    """GB 11643-1999's check character of the first 17 digits (ISO 7064 MOD 11-2)."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def uscc_check_char(body: str) -> str:
    """GB 32100-2015's check character of the first 17 characters (MOD 31)."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        value = int(ch) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _region_ok(code: str) -> bool:
    # 9 + a province's first digit: the foreigners' permanent residence ID card (2023)
    return int(code[:2]) in PROVINCES or (code[0] == "9" and code[1] in "123456")


def _birth(text: str, as_of: date | None) -> date | None:
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
    return born if EARLIEST_BIRTH <= born <= (as_of or LATEST_BIRTH) else None


def _id18(text: str, as_of: date | None, valid: bool) -> Iterator[_Candidate]:
    for match in _ID18.finditer(text):
        code = _digits(match.group())
        born = _birth(code[6:14], as_of) if _region_ok(code) else None
        if born is None or (code[17] == id_check_char(code[:17])) != valid:
            continue
        if valid:
            yield _Candidate(*match.span(), "resident_id",
                             f"GB 11643 check character {code[17]} valid, born {born}",
                             f"校验码{code[17]}正确（GB 11643），出生日期{born}")
        else:
            yield _Candidate(*match.span(), "resident_id_suspect",
                             f"region and birth date {born} plausible, check character "
                             f"{code[17]} where {id_check_char(code[:17])} is due",
                             f"地区码和出生日期{born}合理，校验码应为{id_check_char(code[:17])}")


def _resident_ids(text: str, as_of: date | None) -> Iterator[_Candidate]:
    return _id18(text, as_of, True)


def _suspect_ids(text: str, as_of: date | None) -> Iterator[_Candidate]:
    return _id18(text, as_of, False)


def _resident_ids_15(text: str, as_of: date | None) -> Iterator[_Candidate]:
    for match in _ID15.finditer(text):
        code = match.group()
        born = _birth("19" + code[6:12], as_of) if _region_ok(code) else None
        if born is not None:
            yield _Candidate(*match.span(), "resident_id_15",
                             f"15-digit form (no check digit): region and birth date {born}",
                             f"15位身份号码：地区码和出生日期{born}合理")


def _credit_codes(text: str, as_of: date | None) -> Iterator[_Candidate]:
    for match in _USCC.finditer(text):
        code = match.group().upper()
        if (any(c not in USCC_CHARS for c in code) or not code[2:8].isdigit()
                or code[17] != uscc_check_char(code[:17])):
            continue
        if code.startswith("92"):
            yield _Candidate(*match.span(), "uscc_personal",
                             f"GB 32100 check character {code[17]} valid; 92: 个体工商户",
                             f"校验码{code[17]}正确（GB 32100），92为个体工商户")
        else:
            yield _Candidate(*match.span(), None, "an organisation's code", "组织的代码")


def _bank_cards(text: str, as_of: date | None) -> Iterator[_Candidate]:
    for match in _CARD.finditer(text):
        digits = _digits(match.group())
        if 13 <= len(digits) <= 19 and _card_prefix(digits) and luhn_valid(digits):
            yield _Candidate(*match.span(), "bank_card",
                             f"{len(digits)} digits, Luhn check valid",
                             f"{len(digits)}位数字，Luhn校验通过")


def _card_prefix(digits: str) -> bool:
    """A payment card's major industry identifier: 3 travel, 4-6 banking, 9 national (9558…);
    2 only as Mastercard's 2221-2720 range."""
    return digits[0] in "34569" or (len(digits) == 16 and 222100 <= int(digits[:6]) <= 272099)


def _mobiles(text: str, as_of: date | None) -> Iterator[_Candidate]:
    for match in _MOBILE.finditer(text):
        # a certificate's or a file's number is no phone (执法证号 14…: 14 is Shanxi's code)
        if _NUMBER_LABEL.search(text, max(0, match.start() - 60), match.start()):
            continue
        yield _Candidate(*match.span(), "mobile", "mainland mobile number 1[3-9] + 9 digits",
                         "大陆手机号码（1[3-9]开头的11位）")


def _addresses(text: str, as_of: date | None) -> Iterator[_Candidate]:
    for match in _ADDRESS.finditer(text):
        detail = match.group("detail")
        parts = len(_COMPONENT.findall(detail))
        institution = _INSTITUTION.match(text, match.end())
        if match.group("cue") or match.group("number") or (parts >= 2 and not institution):
            yield _Candidate(*match.span("detail"), "address",
                             "detail below county level" + (" after an address cue"
                                                            if match.group("cue") else ""),
                             "县级以下的详细地址")


# precedence: a span claimed by an earlier scanner is not reported again by a later one
_SCANNERS: Final = (_resident_ids, _credit_codes, _resident_ids_15, _bank_cards, _suspect_ids,
                    _mobiles, _addresses)


def scan_text(text: str, *, as_of: date | None = None) -> tuple[Hit, ...]:
    """Every personal number or address found in `text`, in order, none twice; `as_of` (the
    decision date) bounds a plausible birth date."""
    folded = _Folded.of(text)
    claimed: list[tuple[int, int]] = []
    hits: list[Hit] = []
    for scanner in _SCANNERS:
        for found in scanner(folded.text, as_of):
            if any(found.start < end and start < found.end for start, end in claimed):
                continue
            claimed.append((found.start, found.end))
            if found.kind is not None:
                start, end = folded.span(found.start, found.end)
                hits.append(Hit(found.kind, start, end, text[start:end], found.reason,
                                found.reason_zh))
    return tuple(sorted(hits, key=lambda hit: hit.start))


# --- applying and proving redactions -----------------------------------------------------------
@dataclass(frozen=True)
class Resolution:
    """The reviewer's decision on a span: `mask` it (a hit's own kind unless `kind` says
    another; a span no scan found needs `kind`) or `keep` it, with the reason (consent, the
    public interest) recorded."""
    start: int
    end: int
    action: str
    kind: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class RedactionEntry:
    start: int
    end: int
    kind: str
    replacement: str


@dataclass(frozen=True)
class Redacted:
    text: str
    record: tuple[RedactionEntry, ...]
    kept: tuple[Resolution, ...]


def unresolved(hits: Sequence[Hit], resolutions: Sequence[Resolution]) -> tuple[Hit, ...]:
    decided = {(r.start, r.end) for r in resolutions}
    return tuple(hit for hit in hits if (hit.start, hit.end) not in decided)


def apply_redactions(original: str, hits: Sequence[Hit], resolutions: Sequence[Resolution],
                     rules: RedactionRules) -> Redacted:
    """The text as published: each masked span replaced by its kind's mask, with the record
    of what was replaced by what. Refused, with nothing applied, while a hit is unresolved or
    a resolution is malformed."""
    problems = [(f"hits.{hit.start}-{hit.end}", f"unresolved {hit.kind}",
                 f"未处理的{HIT_KINDS[hit.kind]}") for hit in unresolved(hits, resolutions)]
    problems += [(f"hits.{hit.start}-{hit.end}", "not what the text holds there",
                  "扫描结果与原文不符") for hit in hits if original[hit.start:hit.end] != hit.text]
    found = {(hit.start, hit.end): hit for hit in hits}
    problems.extend(_resolution_problems(original, found, resolutions, rules))
    if problems:
        raise _refuse(problems, "redaction", "脱敏处理")
    pieces: list[str] = []
    record: list[RedactionEntry] = []
    cursor = 0
    for res in sorted((r for r in resolutions if r.action == "mask"), key=lambda r: r.start):
        kind = res.kind or HIT_MASK[found[(res.start, res.end)].kind]
        replacement = rules.masks[kind].apply(original[res.start:res.end])
        pieces += [original[cursor:res.start], replacement]
        record.append(RedactionEntry(res.start, res.end, kind, replacement))
        cursor = res.end
    pieces.append(original[cursor:])
    kept = tuple(r for r in resolutions if r.action == "keep")
    return Redacted("".join(pieces), tuple(record), kept)


def _resolution_problems(original: str, found: Mapping[tuple[int, int], Hit],
                         resolutions: Sequence[Resolution],
                         rules: RedactionRules) -> Iterator[tuple[str, str, str]]:
    masked: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for res in resolutions:
        span = (res.start, res.end)
        problem = _resolution_problem(original, found, res, rules)
        if problem is None and span in seen:
            problem = ("resolved once", "只能处理一次")
        if problem is None and res.action == "mask" and any(
                res.start < end and start < res.end for start, end in masked):
            problem = ("overlaps another masked span", "与另一遮蔽部分重叠")
        if problem is not None:
            yield f"resolutions.{res.start}-{res.end}", *problem
        seen.add(span)
        if res.action == "mask":
            masked.append(span)


def _resolution_problem(original: str, found: Mapping[tuple[int, int], Hit], res: Resolution,
                        rules: RedactionRules) -> tuple[str, str] | None:
    hit = found.get((res.start, res.end))
    if not 0 <= res.start < res.end <= len(original):
        return "a span of the text", "须为原文中的一段"
    if res.action == "keep":
        if hit is None or not res.reason.strip():
            return "keeps a hit, with its reason", "保留须针对扫描结果并写明理由（同意或公共利益）"
        return None
    if res.action != "mask":
        return "action mask or keep", "处理方式须为遮蔽（mask）或保留（keep）"
    if res.kind is None and hit is None:
        return "a span no scan found needs its kind", "人工标注的遮蔽须写明类别"
    if res.kind is not None and res.kind not in rules.masks:
        return (f"kind one of {', '.join(rules.masks)}",
                f"遮蔽类别须为{'、'.join(MASK_KINDS.values())}之一")
    return None


def verify_redactions(original: str, published: str,
                      record: Sequence[RedactionEntry]) -> bool:
    """Whether `published` is `original` with exactly the recorded spans replaced by their
    recorded replacements, each of which changes what it replaced."""
    pieces: list[str] = []
    cursor = 0
    for entry in sorted(record, key=lambda e: e.start):
        if entry.start < cursor or not entry.start < entry.end <= len(original):
            return False
        if entry.replacement == original[entry.start:entry.end]:
            return False
        pieces += [original[cursor:entry.start], entry.replacement]
        cursor = entry.end
    pieces.append(original[cursor:])
    return "".join(pieces) == published
