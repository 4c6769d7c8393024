"""The rule-set file format: shared code vocabularies, marshmallow schemas, cross-field
checks, YAML reading that keeps each key's line, and the inheritance merge.
``shared.rulesets.repository`` resolves ``extends`` with these and serves the effective rules."""
from __future__ import annotations

import datetime as _dt
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable

import yaml
from marshmallow import Schema, ValidationError, fields, validate

# --- Shared vocabularies -------------------------------------------------------------------
# Codes are the contract between services (records, review, disclosure); labels are the
# canonical Chinese names. A rule-set entry may carry its seed's own wording as its label.

ACT_TYPES = {  # 004 第三条
    "inspection": "行政检查", "penalty": "行政处罚", "coercion": "行政强制",
    "licence": "行政许可", "confirmation": "行政确认", "registration": "行政登记",
    "levy": "行政征收", "requisition": "行政征用", "charge": "行政收费",
    "benefit": "行政给付", "adjudication": "行政裁决",
}

AV_SITUATIONS = {
    "restrict_liberty": "限制人身自由",
    "seal": "查封场所、设施或者财物",
    "seize": "扣押财物",
    "demolish": "强制拆除",
    "substitute_performance": "代履行",
    "remove_obstruction": "排除妨碍",
    "restore_original_state": "恢复原状",
    "non_cooperation": "当事人或者有关人员不配合执法",
    "life_health_major_property": "直接涉及人身自由、生命健康、重大财产权益的现场执法",
    "onsite_inspection": "现场检查",
    "random_inspection": "随机抽查",
    "evidence_collection": "调查取证",
    "evidence_preservation": "证据保全、先行登记保存",
    "sampling": "抽样取证",
    "interview": "询问",
    "hearing": "听证",
    "coercive_measure": "行政强制",
    "service": "执法文书送达",
    "service_lien": "留置送达",
    "service_public_notice": "公告送达",
    "dispute_prone": "容易引发争议的现场执法",
    "mass_incident": "处置群体性事件、重大突发事件",
    # Added for 000《全过程记录办法》第二十六条第二款 (dispute-prone simple-procedure acts).
    "simple_procedure_dispute_prone": "容易引起行政争议的简易程序执法行为",
    # Added for 000《全过程记录办法》第二十八条 and 004 第四十条 (checking rectification).
    "rectification_check": "责令改正后的改正情况核查",
    # Added for 001 附件2 第八条: whole-case recording "where conditions permit".
    "case_handling": "查处违法行为、处理违法案件",
}

MEASURES = {
    "suspend_production_rectify": "责令停产停业整顿",
    "suspend_production": "责令停产停业",
    "stop_construction": "责令停止建设",
    "stop_work": "责令停止施工",
    "revoke_licence": "吊销许可证件",
    "cancel_qualification": "撤销执业资格或者岗位证书",
    "withdraw_licence": "撤回行政许可",
    "annul_licence": "撤销行政许可",
    # The remaining kinds of 行政处罚法 第九条, so proposals can name them; no seed lists them.
    "warning": "警告",
    "notice_of_criticism": "通报批评",
    "confiscation": "没收违法所得、没收非法财物",
    "reduce_qualification": "降低资质等级",
    "restrict_business": "限制开展生产经营活动",
    "close_order": "责令关闭",
    "restrict_employment": "限制从业",
    "detention": "行政拘留",
}

GROUNDS = {
    "public_interest": "涉及重大公共利益",
    "social_impact_risk": "可能造成重大社会影响或者引发社会风险",
    "major_rights": "直接关系当事人或者第三人重大权益",
    "after_hearing": "经过听证程序作出",
    "complex_legal_relations": "案件情况疑难复杂、涉及多个法律关系",
    "required_by_law": "法律、法规、规章规定应当进行法制审核",
    "other": "其他需要进行法制审核的情形",
}

COERCIVE_EXECUTION_METHODS = {  # 行政强制法 第十二条, 第五十条, 第五十二条
    "late_payment_penalty": "加处罚款或者滞纳金",
    "transfer_deposits": "划拨存款、汇款",
    "dispose_seized": "拍卖或者依法处理查封、扣押的场所、设施或者财物",
    "remove_obstruction": "排除妨碍",
    "restore_original_state": "恢复原状",
    "substitute_performance": "代履行",
    "immediate_substitute_performance": "立即代履行",
    "other": "其他强制执行方式",
}

# licence_action names what a decision does to a licence. On a licence decision (行政许可法
# 第八、六十九、七十条) “revoke” is taken as 撤销, its usual English; in a penalty it can only
# be 吊销许可证件 (行政处罚法 第九条（三）). Either way it counts as the catalogued measure.
LICENCE_ACTIONS = {
    "grant": "准予行政许可", "refuse": "不予行政许可", "change": "变更行政许可",
    "renew": "延续行政许可", "deregister": "注销行政许可", "withdraw": "撤回行政许可",
    "annul": "撤销行政许可", "revoke": "撤销行政许可（行政处罚中为吊销许可证件）",
}
LICENCE_ACTION_MEASURES = {
    ("withdraw", "licence"): "withdraw_licence",
    ("annul", "licence"): "annul_licence",
    ("revoke", "licence"): "annul_licence",
    ("revoke", "penalty"): "revoke_licence",
}

PARTY_KINDS = {"organisation": "单位", "individual": "个人"}
PROCEDURES = {"simple": "简易程序", "general": "普通程序"}
PERIOD_UNITS = {"workdays": "个工作日", "natural_days": "日（自然日）", "hours": "小时",
                # Only for recurring cycles such as 001 附件2 第五条 “每半年”.
                "months": "个月"}
SERVICE_METHODS = {
    "direct": "直接送达", "lien": "留置送达", "entrusted": "委托送达", "forwarded": "转交送达",
    "post": "邮寄送达", "fax_email": "传真、电子邮件送达", "public_notice": "公告送达",
}
START_MODES = {"ex_officio": "依职权启动", "application": "依申请启动",
               "complaint": "投诉、举报", "referral": "移送案件线索"}
RETENTION_CONDITIONS = {
    "penalty_evidence": "作为行政处罚证据使用",
    "obstruction": "当事人或者现场其他人员阻碍执法、妨碍公务",
    "major_emergency_mass_incident": "处置重大突发事件、群体性事件",
    "major_difficult_complex": "其他重大、疑难、复杂的执法活动",
    "used_as_evidence": "音像资料作为证据使用（制作光盘附卷）",
}
RETENTION_SUBJECTS = {"av": "音像记录", "case_file": "执法案卷", "text_record": "文字记录"}
MASKED_INFORMATION = {
    "state_secret": "国家秘密", "trade_secret": "商业秘密", "privacy": "个人隐私",
    "informant": "举报人信息", "complainant": "投诉人信息", "third_party": "其他第三人信息",
}
REPORT_RECIPIENTS = {"government": "本级人民政府", "superior": "上级主管部门", "public": "社会公众"}

REQUIRED_PERIODS = ("av_storage", "case_archive", "publish_licence_penalty",
                    "publish_other_decision", "withdraw_changed_publication",
                    "review", "review_extension")

ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
REF_RE = re.compile(r"^(?P<id>[a-z][a-z0-9]*(-[a-z0-9]+)*)(@(?P<version>[1-9][0-9]*))?$")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


# --- Strict fields ---------------------------------------------------------------------------
# marshmallow's stock fields coerce (True is an int, "yes" is a bool, 2.0 an int); a rule
# file that says something loosely should be told so, not silently reinterpreted.

class StrictInt(fields.Field):
    def __init__(self, minimum: int | None = None, **kw):
        super().__init__(**kw)
        self.minimum = minimum

    def _deserialize(self, value, attr, data, **kw):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError(f"must be a whole number, got {type(value).__name__} {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ValidationError(f"must be >= {self.minimum}, got {value}")
        return value


class StrictBool(fields.Field):
    def _deserialize(self, value, attr, data, **kw):
        if not isinstance(value, bool):
            raise ValidationError(f"must be true or false, got {value!r}")
        return value


class Text(fields.String):
    """A non-blank string."""

    def _deserialize(self, value, attr, data, **kw):
        if not isinstance(value, str):
            raise ValidationError(f"must be text, got {type(value).__name__} {value!r}")
        if not value.strip():
            raise ValidationError("must not be blank")
        return value


class DecimalString(fields.Field):
    """Money and ratios: quoted decimal strings, because a YAML float cannot hold cents exactly."""

    def __init__(self, minimum: str | None = None, maximum: str | None = None,
                 exclusive_minimum: bool = False, **kw):
        super().__init__(**kw)
        self.minimum = Decimal(minimum) if minimum is not None else None
        self.maximum = Decimal(maximum) if maximum is not None else None
        self.exclusive_minimum = exclusive_minimum

    def _deserialize(self, value, attr, data, **kw):
        if not isinstance(value, str):
            raise ValidationError(
                f"must be a quoted decimal string such as \"50000\", got {value!r}")
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValidationError(f"not a decimal number: {value!r}") from None
        if not amount.is_finite():
            raise ValidationError(f"not a finite number: {value!r}")
        if self.minimum is not None:
            if amount < self.minimum or (self.exclusive_minimum and amount == self.minimum):
                op = ">" if self.exclusive_minimum else ">="
                raise ValidationError(f"must be {op} {self.minimum}, got {value}")
        if self.maximum is not None and amount > self.maximum:
            raise ValidationError(f"must be <= {self.maximum}, got {value}")
        return value


class Code(fields.Field):
    def __init__(self, vocabulary: dict | None = None, vocabulary_name: str = "", **kw):
        super().__init__(**kw)
        self.vocabulary = vocabulary
        self.vocabulary_name = vocabulary_name

    def _deserialize(self, value, attr, data, **kw):
        if not isinstance(value, str) or not CODE_RE.match(value):
            raise ValidationError(f"must be a snake_case code, got {value!r}")
        if self.vocabulary is not None and value not in self.vocabulary:
            raise ValidationError(
                f"unknown code {value!r}: not in the {self.vocabulary_name} vocabulary "
                f"({', '.join(self.vocabulary)})")
        return value


class OneOf(fields.Field):
    def __init__(self, choices, **kw):
        super().__init__(**kw)
        self.choices = tuple(choices)

    def _deserialize(self, value, attr, data, **kw):
        if value not in self.choices or isinstance(value, bool):
            raise ValidationError(f"must be one of {', '.join(map(str, self.choices))}; "
                                  f"got {value!r}")
        return value


class ListOf(fields.Field):
    """A list whose items are checked by ``inner``; with ``unique_code`` items are entries
    whose ``code`` must be unique (or plain codes that must be unique)."""

    def __init__(self, inner: fields.Field | type[Schema], unique_code: bool = True, **kw):
        super().__init__(**kw)
        self.inner = inner
        self.unique_code = unique_code

    def _deserialize(self, value, attr, data, partial=None, **kw):
        if not isinstance(value, list):
            raise ValidationError(f"must be a list, got {type(value).__name__}")
        errors: dict[int, Any] = {}
        seen: dict[Any, int] = {}
        for i, item in enumerate(value):
            try:
                if isinstance(self.inner, type) and issubclass(self.inner, Schema):
                    self.inner().load(item, partial=partial)
                else:
                    self.inner.deserialize(item)
            except ValidationError as exc:
                errors[i] = exc.messages
                continue
            if self.unique_code:
                code = item.get("code") if isinstance(item, dict) else item
                if code is not None and code in seen:
                    errors[i] = ({"code": [f"duplicate code {code!r} (also item {seen[code]})"]}
                                 if isinstance(item, dict)
                                 else [f"duplicate {code!r} (also item {seen[code]})"])
                seen.setdefault(code, i)
        if errors:
            raise ValidationError(errors)
        return value


class MapOf(fields.Field):
    """A mapping of code → entry; keys from ``keys`` vocabulary or any snake_case code."""

    def __init__(self, inner: type[Schema], keys: dict | None = None, keys_name: str = "", **kw):
        super().__init__(**kw)
        self.inner = inner
        self.key_field = Code(keys, keys_name)

    def _deserialize(self, value, attr, data, partial=None, **kw):
        if not isinstance(value, dict):
            raise ValidationError(f"must be a mapping, got {type(value).__name__}")
        errors: dict[str, Any] = {}
        for key, item in value.items():
            try:
                self.key_field.deserialize(key)
            except ValidationError as exc:
                errors[str(key)] = exc.messages
                continue
            try:
                self.inner().load(item, partial=partial)
            except ValidationError as exc:
                errors[key] = exc.messages
        if errors:
            raise ValidationError(errors)
        return value


def _nested(schema: type[Schema], **kw) -> fields.Nested:
    return fields.Nested(schema, **kw)


# --- Entry schemas ---------------------------------------------------------------------------

class FieldItemSchema(Schema):
    code = Code(required=True)
    label = Text(required=True)


def entry_schema(vocabulary: dict | None = None, name: str = "", **extra) -> type[Schema]:
    """{code, label, basis, note?} with ``code`` drawn from ``vocabulary`` when given."""
    attrs = {"code": Code(vocabulary, name, required=True), "label": Text(required=True),
             "basis": Text(required=True), "note": Text()}
    attrs.update(extra)
    return Schema.from_dict(attrs, name=f"Entry_{name or 'free'}")


class PeriodSchema(Schema):
    amount = StrictInt(minimum=0, required=True)
    unit = OneOf(PERIOD_UNITS, required=True)
    basis = Text(required=True)
    starts = Text()
    note = Text()


def rule_schema(value_field: fields.Field, name: str, **extra) -> type[Schema]:
    """A single rule: {value, basis, note?} (plus extras)."""
    attrs = {"value": value_field, "basis": Text(required=True), "note": Text()}
    attrs.update(extra)
    return Schema.from_dict(attrs, name=f"Rule_{name}")


class SourceSchema(Schema):
    seed = Text()
    document = Text(required=True)
    number = Text()
    issued = fields.Date()
    laws = ListOf(Text(), unique_code=False)


# av -------------------------------------------------------------------------------------------
AvSituation = entry_schema(AV_SITUATIONS, "AV-situation")


class AvSchema(Schema):
    mandatory_situations = ListOf(AvSituation, required=True)
    discretionary_situations = ListOf(AvSituation, required=True)
    conduct = ListOf(entry_schema(name="av-conduct"))
    storage_labels = ListOf(entry_schema(name="av-label"))
    offsite_backup = _nested(rule_schema(StrictBool(required=True), "offsite_backup"))


# retention -------------------------------------------------------------------------------------
class RetentionClassSchema(Schema):
    code = Code(required=True)
    label = Text(required=True)
    applies_to = OneOf(RETENTION_SUBJECTS, required=True)
    years = StrictInt(minimum=1)
    permanent = StrictBool()
    per_archives_rules = StrictBool()
    minimum = StrictBool()
    conditions = ListOf(Code(RETENTION_CONDITIONS, "retention-condition"), required=True)
    basis = Text(required=True)
    note = Text()


class RetentionSchema(Schema):
    classes = ListOf(RetentionClassSchema, required=True)


# major decisions --------------------------------------------------------------------------------
_act_type_list = ListOf(Code(ACT_TYPES, "act-type"))


class FineThresholdSchema(Schema):
    amount = DecimalString(minimum="0", exclusive_minimum=True, required=True)
    basis = Text(required=True)
    note = Text()


class MajorDecisionsSchema(Schema):
    act_types = ListOf(entry_schema(ACT_TYPES, "act-type"), required=True)
    measures = ListOf(entry_schema(MEASURES, "measure", act_types=_act_type_list), required=True)
    fine_thresholds = MapOf(FineThresholdSchema, PARTY_KINDS, "party-kind", required=True)
    hearing_held_is_major = _nested(rule_schema(StrictBool(required=True), "hearing"),
                                    required=True)
    general_grounds = ListOf(entry_schema(GROUNDS, "ground", act_types=_act_type_list),
                             required=True)
    coercive_execution_is_major = _nested(rule_schema(
        StrictBool(required=True), "coercive_execution",
        exceptions=ListOf(Code(COERCIVE_EXECUTION_METHODS, "coercive-execution-method"))),
        required=True)
    all_non_simple_procedure = _nested(Schema.from_dict(
        {"mode": OneOf(("may", "must"), required=True), "basis": Text(required=True),
         "note": Text()}, name="AllNonSimple"))


# review -------------------------------------------------------------------------------------------
class ReviewSchema(Schema):
    materials = ListOf(entry_schema(name="material",
                                    required=OneOf(("always", "when_applicable"), required=True)),
                       required=True)
    review_points = ListOf(entry_schema(name="review-point"), required=True)
    opinion_types = ListOf(entry_schema(name="opinion", when=Text()), required=True)
    approving_opinions = ListOf(Code(), required=True)
    collective_discussion_required = _nested(rule_schema(
        OneOf(("always", "when_law_requires"), required=True), "collective"), required=True)
    reviewer_ratio = _nested(rule_schema(
        DecimalString(minimum="0", maximum="1", exclusive_minimum=True, required=True),
        "reviewer_ratio", in_principle=StrictBool()), required=True)
    pause_reasons = ListOf(entry_schema(name="pause-reason"), required=True)
    recusal_required = _nested(rule_schema(StrictBool(required=True), "recusal"), required=True)
    legal_qualification_required = _nested(rule_schema(
        OneOf(("first_time_penalty_reviewers", "all_reviewers"), required=True),
        "legal_qualification"))
    reviewer_background = _nested(rule_schema(OneOf(("legal_preferred",), required=True),
                                              "reviewer_background"))
    legal_counsel = _nested(rule_schema(OneOf(("may", "required"), required=True),
                                        "legal_counsel"))
    opinion_document = _nested(Schema.from_dict(
        {"copies": StrictInt(minimum=1, required=True),
         "online_replaces_paper": StrictBool(required=True),
         "basis": Text(required=True), "note": Text()}, name="OpinionDocument"))
    disagreement = _nested(rule_schema(OneOf(("head_decides", "leaders_reexamine"),
                                             required=True), "disagreement"))
    # When the review clock starts: on complete materials (000, 002) or on receipt (001).
    clock_starts = _nested(rule_schema(OneOf(("complete_materials", "receipt"), required=True),
                                       "clock_starts"))


# disclosure -----------------------------------------------------------------------------------
class DueSchema(Schema):
    month = StrictInt(minimum=1, required=True)
    day = StrictInt(minimum=1, required=True)


class AnnualReportSchema(Schema):
    due = _nested(DueSchema)
    recipients = ListOf(Code(REPORT_RECIPIENTS, "report-recipient"), required=True)
    contents = ListOf(FieldItemSchema, required=True)
    basis = Text(required=True)
    note = Text()


class DisclosureSchema(Schema):
    summary_fields = ListOf(entry_schema(name="summary-field"), required=True)
    published_results = ListOf(entry_schema(name="published-result"))
    annual_report = _nested(AnnualReportSchema)
    withheld_grounds = ListOf(entry_schema(
        name="withheld-ground",
        exception=OneOf(("none", "consent_or_public_interest"), required=True)), required=True)
    prepublication_review = _nested(rule_schema(StrictBool(required=True), "prepub"),
                                    required=True)


# records --------------------------------------------------------------------------------------
class EmergencyStartSchema(Schema):
    allowed = StrictBool(required=True)
    approval_period = Code()
    basis = Text(required=True)
    note = Text()


class StartModeSchema(Schema):
    code = Code(START_MODES, "start-mode", required=True)
    label = Text(required=True)
    document = Text()
    requires = ListOf(FieldItemSchema, required=True)
    emergency_start = _nested(EmergencyStartSchema)
    basis = Text(required=True)
    note = Text()


class ServiceMethodSchema(Schema):
    code = Code(SERVICE_METHODS, "service-method", required=True)
    label = Text(required=True)
    av = OneOf(("required", "optional"))
    requires = ListOf(FieldItemSchema)
    basis = Text(required=True)
    note = Text()


class AccessSchema(Schema):
    party_may_read = _nested(rule_schema(StrictBool(required=True), "party_read"), required=True)
    party_may_copy = _nested(rule_schema(StrictBool(required=True), "party_copy"))
    masked = _nested(rule_schema(ListOf(Code(MASKED_INFORMATION, "masked-information"),
                                        required=True), "masked"), required=True)
    external_release = _nested(rule_schema(OneOf(("legal_procedure", "approval", "head_approval"),
                                                 required=True), "release"), required=True)
    officers_may_keep_records = _nested(rule_schema(StrictBool(required=True), "keep"))
    access_logged = _nested(rule_schema(StrictBool(required=True), "logged"))


class RecordsSchema(Schema):
    stages = ListOf(entry_schema(name="stage"), required=True)
    start_modes = ListOf(StartModeSchema, required=True)
    investigation_document_kinds = ListOf(entry_schema(name="investigation-document"),
                                          required=True)
    simple_procedure_items = ListOf(entry_schema(name="simple-procedure-item"))
    service_methods = ListOf(ServiceMethodSchema, required=True)
    access = _nested(AccessSchema, required=True)


# top level -------------------------------------------------------------------------------------
class RuleSetSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(
        ID_RE, error="must be lower-case words joined by '-', e.g. lingchuan-emergency"))
    version = StrictInt(minimum=1, required=True)
    effective = fields.Date(required=True)
    title = Text(required=True)
    source = _nested(SourceSchema, required=True)
    extends = fields.String(validate=validate.Regexp(
        REF_RE, error="must be a rule-set id, optionally with @version (base, base@1)"))
    periods = MapOf(PeriodSchema, required=True)
    av = _nested(AvSchema, required=True)
    retention = _nested(RetentionSchema, required=True)
    major_decisions = _nested(MajorDecisionsSchema, required=True)
    review = _nested(ReviewSchema, required=True)
    disclosure = _nested(DisclosureSchema, required=True)
    records = _nested(RecordsSchema, required=True)


IDENTITY_KEYS = ("id", "version", "effective", "title", "source", "extends")
SECTIONS = ("periods", "av", "retention", "major_decisions", "review", "disclosure", "records")


def _inheritable(schema: type[Schema], prefix: str = "") -> list[str]:
    out = []
    for name, field in schema._declared_fields.items():
        if not prefix and name in IDENTITY_KEYS:
            continue
        out.append(prefix + name)
        nested = getattr(field, "nested", None)
        if isinstance(nested, type) and "basis" not in nested._declared_fields:
            out.extend(_inheritable(nested, f"{prefix}{name}."))
    return out


# When a file's parent cannot be found, whatever it could inherit may be absent; a rule
# (a map with a basis) and the identity keys must still be complete.
ORPHAN_PARTIAL = tuple(_inheritable(RuleSetSchema))


# --- Checks that span fields --------------------------------------------------------------------

def cross_check(data: dict, partial: bool) -> list[tuple[tuple, str]]:
    """Rules marshmallow cannot express field by field; returns (path, rule) pairs.

    Written defensively: it runs even when field validation failed, on whatever is there.
    """
    out: list[tuple[tuple, str]] = []

    def get(*path):
        node: Any = data
        for key in path:
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                node = node[key]
            else:
                return None
        return node

    periods = get("periods")
    if isinstance(periods, dict) and not partial:
        for name in REQUIRED_PERIODS:
            if name not in periods:
                out.append((("periods",), f"required period {name!r} is missing"))

    av = get("av") or {}
    if isinstance(av, dict):
        mandatory = av.get("mandatory_situations")
        discretionary = av.get("discretionary_situations")
        if isinstance(mandatory, list) and isinstance(discretionary, list):
            codes = {e.get("code") for e in mandatory if isinstance(e, dict)}
            for i, entry in enumerate(discretionary):
                if isinstance(entry, dict) and entry.get("code") in codes:
                    out.append((("av", "discretionary_situations", i, "code"),
                                f"{entry['code']!r} is also a mandatory situation; "
                                "a situation is either mandatory or discretionary"))

    classes = get("retention", "classes")
    if isinstance(classes, list):
        for i, cls in enumerate(classes):
            if not isinstance(cls, dict):
                continue
            kinds = [k for k in ("years", "permanent", "per_archives_rules")
                     if k in cls and cls[k] is not False]
            if len(kinds) != 1:
                out.append((("retention", "classes", i),
                            "give exactly one of years: N, permanent: true, "
                            f"per_archives_rules: true (got {', '.join(kinds) or 'none'})"))

    opinions = get("review", "opinion_types")
    approving = get("review", "approving_opinions")
    if isinstance(opinions, list) and isinstance(approving, list):
        codes = {e.get("code") for e in opinions if isinstance(e, dict)}
        for i, code in enumerate(approving):
            if code not in codes:
                out.append((("review", "approving_opinions", i),
                            f"{code!r} is not one of this rule set's opinion_types"))

    due = get("disclosure", "annual_report", "due")
    if isinstance(due, dict) and isinstance(due.get("month"), int) \
            and isinstance(due.get("day"), int):
        try:
            _dt.date(2000, due["month"], due["day"])  # a leap year: 2-29 is a real due date
        except ValueError:
            out.append((("disclosure", "annual_report", "due"),
                        f"no such day of the year: month {due['month']}, day {due['day']}"))

    modes = get("records", "start_modes")
    if isinstance(modes, list) and isinstance(periods, dict):
        for i, mode in enumerate(modes):
            ref = get("records", "start_modes", i, "emergency_start", "approval_period") \
                if isinstance(mode, dict) else None
            if isinstance(ref, str) and ref not in periods:
                out.append((("records", "start_modes", i, "emergency_start", "approval_period"),
                            f"names period {ref!r}, which this rule set does not define"))
    return out


# --- Reading YAML with line numbers ---------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: the schema parses them, and canonical JSON
    (hence the fingerprint) needs plain strings anyway."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

MAX_DEPTH = 40


class Document:
    """One file as read: its data, where each key path sits, and reading errors."""

    def __init__(self, file: str, data: Any, lines: dict[tuple, int], errors: list[dict]):
        self.file = file
        self.data = data
        self.lines = lines
        self.errors = errors

    @property
    def key(self) -> tuple[Any, Any]:
        data = self.data if isinstance(self.data, dict) else {}
        return data.get("id"), data.get("version")

    @property
    def ref(self) -> str:
        ident, version = self.key
        return f"{ident}@{version}"


def error_dict(file: str, line: int | None, path: Iterable, rule: str) -> dict:
    return {"file": file, "line": line, "path": ".".join(str(p) for p in path), "rule": rule}


def read_document(path: Path) -> Document:
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Document(file, None, {}, [error_dict(file, None, (), "file not found")])
    except (OSError, UnicodeDecodeError) as exc:
        return Document(file, None, {}, [error_dict(file, None, (), f"cannot read: {exc}")])
    loader = _Loader(text)
    lines: dict[tuple, int] = {(): 1}
    errors: list[dict] = []
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(file, None, lines, [error_dict(file, 1, (), "file is empty")])

        def build(node: yaml.Node, path: tuple, depth: int) -> Any:
            if depth > MAX_DEPTH:
                errors.append(error_dict(file, node.start_mark.line + 1, path,
                                         "nested too deeply (recursive alias?)"))
                return None
            if isinstance(node, yaml.MappingNode):
                out: dict = {}
                for key_node, value_node in node.value:
                    line = key_node.start_mark.line + 1
                    if key_node.tag == "tag:yaml.org,2002:merge":
                        errors.append(error_dict(
                            file, line, path, "YAML merge keys (<<) are not allowed; use extends"))
                        continue
                    key = (loader.construct_object(key_node)
                           if isinstance(key_node, yaml.ScalarNode) else None)
                    if not isinstance(key, str):
                        errors.append(error_dict(file, line, path,
                                                 f"key must be text, YAML read {key!r}; quote it"))
                        continue
                    if key in out:
                        errors.append(error_dict(file, line, path + (key,),
                                                 f"duplicate key {key!r} (first on line "
                                                 f"{lines[path + (key,)]})"))
                        continue
                    lines[path + (key,)] = line
                    out[key] = build(value_node, path + (key,), depth + 1)
                return out
            if isinstance(node, yaml.SequenceNode):
                items = []
                for i, item in enumerate(node.value):
                    lines[path + (i,)] = item.start_mark.line + 1
                    items.append(build(item, path + (i,), depth + 1))
                return items
            return loader.construct_object(node)

        data = build(node, (), 0)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        return Document(file, None, lines,
                        [error_dict(file, line, (), f"YAML syntax: {exc.problem}")])
    except yaml.YAMLError as exc:
        return Document(file, None, lines, [error_dict(file, None, (), f"YAML: {exc}")])
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        errors.append(error_dict(file, 1, (), "the file must be a mapping of keys to values"))
        data = None
    return Document(file, data, lines, errors)


def yaml_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir()
                  if p.suffix in (".yaml", ".yml") and p.is_file() and not p.name.startswith("."))


# --- Inheritance ----------------------------------------------------------------------------

def merge(parent: Any, child: Any) -> Any:
    """Child over parent: maps deep-merge, lists and scalars replace, None drops the key,
    and a map holding a ``basis`` is one rule, replaced whole."""
    if (isinstance(parent, dict) and isinstance(child, dict)
            and "basis" not in parent and "basis" not in child):
        out = dict(parent)
        for key, value in child.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value)
            else:
                out[key] = value
        return out
    return child


def walk_paths(data: Any, path: tuple = ()):
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from walk_paths(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from walk_paths(value, path + (i,))


def canonical_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def messages_to_paths(messages: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    out: list[tuple[tuple, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            sub = path if key == "_schema" else path + (key,)
            out.extend(messages_to_paths(value, sub))
    elif isinstance(messages, (list, tuple)):
        for value in messages:
            out.extend(messages_to_paths(value, path))
    else:
        out.append((path, _PLAIN.get(str(messages), str(messages))))
    return out


_PLAIN = {"Unknown field.": "unknown key: not part of the rule-set format",
          "Missing data for required field.": "required key is missing",
          "Not a valid mapping type.": "must be a mapping of keys to values",
          "Invalid input type.": "must be a mapping of keys to values",
          "Not a valid date.": "must be a date written YYYY-MM-DD"}
