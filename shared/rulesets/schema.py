"""The rule-set file format as marshmallow schemas: one per section, entries and rules
(a value with its basis), and which keys a file may inherit from its parent."""
from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, fields, validate

from shared.rulesets.fields import (
    DECLARED_CODES,
    Code,
    DecimalString,
    ListOf,
    MapOf,
    OneOf,
    StrictBool,
    StrictInt,
    Text,
    nested,
)
from shared.rulesets.vocabulary import (
    ACT_TYPES,
    ANNUAL_FIGURES,
    AV_SITUATIONS,
    COERCIVE_EXECUTION_METHODS,
    DIGEST_ALGORITHMS,
    ENFORCEMENT_LEVELS,
    EXTENSIBLE,
    FINDINGS,
    GROUNDS,
    MASKED_INFORMATION,
    MEASURES,
    PARTY_KINDS,
    PERIOD_UNITS,
    REPORT_RECIPIENTS,
    RETENTION_CONDITIONS,
    RETENTION_SUBJECTS,
    SECTORS,
    SERVICE_METHODS,
    START_MODES,
)

ID_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
REF_RE = re.compile(r"^(?P<id>[a-z][a-z0-9]*(-[a-z0-9]+)*)(@(?P<version>[1-9][0-9]*))?$")


# --- Entry schemas ---------------------------------------------------------------------------

class FieldItemSchema(Schema):
    code = Code(required=True)
    label = Text(required=True)


def entry_schema(vocabulary: dict | None = None, name: str = "",
                 **extra: fields.Field) -> type[Schema]:
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


def rule_schema(value_field: fields.Field, name: str, **extra: fields.Field) -> type[Schema]:
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
    offsite_backup = nested(rule_schema(StrictBool(required=True), "offsite_backup"))


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


class ArchivesTermSchema(Schema):
    """A 档案保管期限 (永久, 定期30年, 定期10年): years, or permanent."""
    code = Code(required=True)
    label = Text(required=True)
    years = StrictInt(minimum=1)
    permanent = StrictBool()
    basis = Text(required=True)
    note = Text()


class RetentionSchema(Schema):
    classes = ListOf(RetentionClassSchema, required=True)
    # the archives terms a class kept "per the archives rules" takes, the agency's choice among
    # them, and the digests (sha256, and sm3 where asked) every stored object is recorded with
    archives_terms = ListOf(ArchivesTermSchema)
    archives_term = nested(rule_schema(Code(required=True), "archives_term"))
    digests = nested(rule_schema(ListOf(OneOf(DIGEST_ALGORITHMS), required=True), "digests"))


# major decisions --------------------------------------------------------------------------------
_act_type_list = ListOf(Code(ACT_TYPES, "act-type"))


class FineThresholdSchema(Schema):
    amount = DecimalString(minimum="0", exclusive_minimum=True, required=True)
    basis = Text(required=True)
    note = Text()


# An item of an agency's own 目录清单 compiled by the factors of 002《法制审核办法》第九条第二款
# — the kind of act, 执法层级, 所属领域, 涉案金额 — each dimension it names confining it; it fires
# when a proposal meets every one it names.
CatalogueItem = entry_schema(
    name="catalogue-item", act_types=_act_type_list,
    levels=ListOf(Code(ENFORCEMENT_LEVELS, "enforcement-level")),
    sectors=ListOf(Code(SECTORS, "sector")),
    amount_involved_from=DecimalString(minimum="0"))


class MajorDecisionsSchema(Schema):
    act_types = ListOf(entry_schema(ACT_TYPES, "act-type"), required=True)
    measures = ListOf(entry_schema(MEASURES, "measure", act_types=_act_type_list), required=True)
    fine_thresholds = MapOf(FineThresholdSchema, PARTY_KINDS, "party-kind", required=True)
    hearing_held_is_major = nested(rule_schema(StrictBool(required=True), "hearing"),
                                    required=True)
    general_grounds = ListOf(entry_schema(GROUNDS, "ground", act_types=_act_type_list),
                             required=True)
    coercive_execution_is_major = nested(rule_schema(
        StrictBool(required=True), "coercive_execution",
        exceptions=ListOf(Code(COERCIVE_EXECUTION_METHODS, "coercive-execution-method"))),
        required=True)
    all_non_simple_procedure = nested(Schema.from_dict(
        {"mode": OneOf(("may", "must"), required=True), "basis": Text(required=True),
         "note": Text()}, name="AllNonSimple"))
    catalogue = ListOf(CatalogueItem)


# review -------------------------------------------------------------------------------------------
class ReviewSchema(Schema):
    materials = ListOf(entry_schema(name="material",
                                    required=OneOf(("always", "when_applicable"), required=True)),
                       required=True)
    review_points = ListOf(entry_schema(name="review-point"), required=True)
    opinion_types = ListOf(entry_schema(name="opinion", when=Text()), required=True)
    approving_opinions = ListOf(Code(), required=True)
    # Opinions that leave the decision to the leaders' collective discussion (陵川 001 附件3
    # 第七条（八）“由局机关领导集体研究决定”): the review then waits for it, and the leaders'
    # conclusion decides. Absent: none does.
    collective_opinions = ListOf(Code())
    collective_discussion_required = nested(rule_schema(
        OneOf(("always", "when_law_requires"), required=True), "collective"), required=True)
    reviewer_ratio = nested(rule_schema(
        DecimalString(minimum="0", maximum="1", exclusive_minimum=True, required=True),
        "reviewer_ratio", in_principle=StrictBool()), required=True)
    pause_reasons = ListOf(entry_schema(name="pause-reason"), required=True)
    recusal_required = nested(rule_schema(StrictBool(required=True), "recusal"), required=True)
    legal_qualification_required = nested(rule_schema(
        OneOf(("first_time_penalty_reviewers", "all_reviewers"), required=True),
        "legal_qualification"))
    reviewer_background = nested(rule_schema(OneOf(("legal_preferred",), required=True),
                                              "reviewer_background"))
    # With value `required` and `opinion_material` (one of `materials`, the counsel's
    # 法律意见书), no opinion is issued before that material is on file (陵川 001 工作方案
    # 四(三)一). Without `opinion_material` the counsel's part is not tracked.
    legal_counsel = nested(rule_schema(OneOf(("may", "required"), required=True),
                                        "legal_counsel", opinion_material=Code()))
    opinion_document = nested(Schema.from_dict(
        {"copies": StrictInt(minimum=1, required=True),
         "online_replaces_paper": StrictBool(required=True),
         "basis": Text(required=True), "note": Text()}, name="OpinionDocument"))
    disagreement = nested(rule_schema(OneOf(("head_decides", "leaders_reexamine"),
                                             required=True), "disagreement"))
    # When the review clock starts: on complete materials (000, 002) or on receipt (001).
    clock_starts = nested(rule_schema(OneOf(("complete_materials", "receipt"), required=True),
                                       "clock_starts"))


# disclosure -----------------------------------------------------------------------------------
class DueSchema(Schema):
    month = StrictInt(minimum=1, required=True)
    day = StrictInt(minimum=1, required=True)


class AnnualReportSchema(Schema):
    due = nested(DueSchema)
    recipients = ListOf(Code(REPORT_RECIPIENTS, "report-recipient"), required=True)
    contents = ListOf(FieldItemSchema, required=True)
    # the figure groups the report carries (services.disclosure.domain.annual), all where absent
    figures = ListOf(Code(ANNUAL_FIGURES, "annual-figure"))
    basis = Text(required=True)
    note = Text()


# How a natural person's data is masked before publishing (000《公示办法》第十三条第二款; 002
# 第十五条; 004 第十九条): per kind of value how much shows, per party class what each 双公示
# field becomes (publish, drop or a kind of mask). The disclosure publisher reads it in full
# (services.disclosure.domain.redaction); here its shape and the ID-number rules.
class MaskSchema(Schema):
    keep = OneOf(("surname", "ends", "county", "drop"), required=True)
    head = StrictInt(minimum=0)
    tail = StrictInt(minimum=0)
    fill = fields.String(required=True, validate=validate.Length(min=1, max=8))
    repeat = StrictBool()


class RedactionSchema(Schema):
    basis = Text(required=True)
    masks = MapOf(MaskSchema, required=True)
    # `fields` is a Schema's own attribute: the key is read into party_fields
    party_fields = fields.Dict(keys=Code(), values=fields.Dict(keys=Code(), values=Code()),
                               required=True, data_key="fields")


# Public display windows (信用修复管理办法, 发改委令2025年第36号, from 2026-04-01): per class of
# penalty whether it is published at all, and the shortest and longest time it stays on the
# portal in calendar months from the decision date (services.disclosure.domain.windows).
class DisplayClassSchema(Schema):
    code = Code(required=True)
    label = Text(required=True)
    published = StrictBool(required=True)
    min_months = StrictInt(minimum=0)
    max_months = StrictInt(minimum=1)
    basis = Text(required=True)
    note = Text()


class DisplayWindowsSchema(Schema):
    # decisions made from this day on (YYYY-MM-DD) are classed and given a window
    in_force = Text(required=True, validate=validate.Regexp(r"^\d{4}-\d{2}-\d{2}$"))
    classes = ListOf(DisplayClassSchema, required=True)
    act_types = _act_type_list
    basis = Text(required=True)
    note = Text()


# The 双公示 file sent to the provincial credit platform (services.disclosure.domain.credit):
# its columns are credit_fields (one template per kind of party); here how personal values go
# out (`as_published`: as the public sees them, a column kept from the public masked as the
# redaction rules mask it; `full`: the drafted values, for a government channel), the date
# layout, and the agency's own codes the standard asks for (处罚机关 and 数据来源单位).
class CreditExportSchema(Schema):
    personal_data = OneOf(("as_published", "full"), required=True)
    date_format = OneOf(("YYYY/MM/DD", "YYYY-MM-DD"), required=True)
    authority_code = Text()
    source = Text()
    source_code = Text()
    basis = Text(required=True)
    note = Text()


class DisclosureSchema(Schema):
    summary_fields = ListOf(entry_schema(name="summary-field"), required=True)
    published_results = ListOf(entry_schema(name="published-result"))
    annual_report = nested(AnnualReportSchema)
    # scope: `whole` — the decision is withheld (000 第十三条第一款); `part` — the fields it
    # touches are withheld and the rest published (trade secrets, privacy: 第十三条第二款)
    withheld_grounds = ListOf(entry_schema(
        name="withheld-ground",
        exception=OneOf(("none", "consent_or_public_interest"), required=True),
        scope=OneOf(("whole", "part"))), required=True)
    prepublication_review = nested(rule_schema(StrictBool(required=True), "prepub"),
                                    required=True)
    # The 双公示 record of a decision (发改办财金〔2018〕424号): its columns for the kinds of act
    # it is kept for and the kinds of party, whether the column is shown to the public (a natural
    # person's ID number is for government sharing only) and whether a draft must have it.
    credit_fields = ListOf(entry_schema(
        name="credit-field", act_types=_act_type_list,
        party_kinds=ListOf(Code(PARTY_KINDS, "party-kind")),
        public=StrictBool(required=True), required=StrictBool(required=True)))
    redaction = nested(RedactionSchema)
    display_windows = nested(DisplayWindowsSchema)
    credit_export = nested(CreditExportSchema)


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
    emergency_start = nested(EmergencyStartSchema)
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
    party_may_read = nested(rule_schema(StrictBool(required=True), "party_read"), required=True)
    party_may_copy = nested(rule_schema(StrictBool(required=True), "party_copy"))
    masked = nested(rule_schema(ListOf(Code(MASKED_INFORMATION, "masked-information"),
                                        required=True), "masked"), required=True)
    external_release = nested(rule_schema(OneOf(("legal_procedure", "approval", "head_approval"),
                                                 required=True), "release"), required=True)
    officers_may_keep_records = nested(rule_schema(StrictBool(required=True), "keep"))
    access_logged = nested(rule_schema(StrictBool(required=True), "logged"))


class RecordsSchema(Schema):
    stages = ListOf(entry_schema(name="stage"), required=True)
    start_modes = ListOf(StartModeSchema, required=True)
    investigation_document_kinds = ListOf(entry_schema(name="investigation-document"),
                                          required=True)
    simple_procedure_items = ListOf(entry_schema(name="simple-procedure-item"))
    service_methods = ListOf(ServiceMethodSchema, required=True)
    access = nested(AccessSchema, required=True)


# vocabulary and findings -------------------------------------------------------------------------
# Codes of a rule set's own beside the shared vocabularies: a new agency's measure (责令关闭 is
# shared; a local one is not), AV situation (e.g. drone inspection) or field.
VocabularySchema = Schema.from_dict(
    {key: ListOf(entry_schema(name=f"declared-{name}")) for key, (_, name) in EXTENSIBLE.items()},
    name="Vocabulary")

# The article each finding is judged under in this rule set (the agency's own, inherited from
# base where its seeds are silent).
FindingArticle = Schema.from_dict({"basis": Text(required=True), "note": Text()},
                                  name="FindingArticle")


# top level -------------------------------------------------------------------------------------
class RuleSetSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(
        ID_RE, error="must be lower-case words joined by '-', e.g. lingchuan-emergency"))
    version = StrictInt(minimum=1, required=True)
    effective = fields.Date(required=True)
    title = Text(required=True)
    source = nested(SourceSchema, required=True)
    extends = fields.String(validate=validate.Regexp(
        REF_RE, error="must be a rule-set id, optionally with @version (base, base@1)"))
    periods = MapOf(PeriodSchema, required=True)
    av = nested(AvSchema, required=True)
    retention = nested(RetentionSchema, required=True)
    major_decisions = nested(MajorDecisionsSchema, required=True)
    review = nested(ReviewSchema, required=True)
    disclosure = nested(DisclosureSchema, required=True)
    records = nested(RecordsSchema, required=True)
    vocabulary = nested(VocabularySchema)
    findings = MapOf(FindingArticle, FINDINGS, "finding")


def validate_ruleset(data: dict, partial: Any = False) -> dict:
    """RuleSetSchema's errors for `data`, its `vocabulary` section's codes admitted beside the
    shared vocabularies they extend."""
    declared = data.get("vocabulary") if isinstance(data, dict) else None
    codes: dict[str, frozenset[str]] = {}
    if isinstance(declared, dict):
        for key, (_, name) in EXTENSIBLE.items():
            entries = declared.get(key)
            if isinstance(entries, list):
                codes[name] = frozenset(str(e.get("code")) for e in entries
                                        if isinstance(e, dict))
    token = DECLARED_CODES.set(codes)
    try:
        return RuleSetSchema().validate(data, partial=partial)
    finally:
        DECLARED_CODES.reset(token)


IDENTITY_KEYS = ("id", "version", "effective", "title", "source", "extends")
SECTIONS = ("periods", "av", "retention", "major_decisions", "review", "disclosure", "records")


def _inheritable(schema: type[Schema], prefix: str = "") -> list[str]:
    out = []
    for name, field in schema._declared_fields.items():
        if not prefix and name in IDENTITY_KEYS:
            continue
        out.append(prefix + name)
        nested = getattr(field, "nested", None)
        if (isinstance(nested, type) and issubclass(nested, Schema)
                and "basis" not in nested._declared_fields):
            out.extend(_inheritable(nested, f"{prefix}{name}."))
    return out


# When a file's parent cannot be found, whatever it could inherit may be absent; a rule
# (a map with a basis) and the identity keys must still be complete.
ORPHAN_PARTIAL = tuple(_inheritable(RuleSetSchema))
