"""Request, response and event schemas of the disclosure publisher (disclosure), major version 1.
RPC methods take keyword arguments only; each request schema describes those kwargs."""
from marshmallow import fields, validate

from contracts.records.messages import Empty  # noqa: F401 (re-export)
from contracts.records.messages import Health as ServiceHealth
from contracts.records.messages import TreeHeadSigned as RecordsTreeHeadSigned
from shared.contracts.registry import StrictSchema
from shared.persistence.paging import cursor_field
from shared.rulesets import vocabulary

ACT_TYPES = list(vocabulary.ACT_TYPES)
PARTY_KINDS = list(vocabulary.PARTY_KINDS)
STATES = ["draft", "published", "withheld", "withdrawn", "expired", "repaired"]
OUTCOMES = ["publish", "withhold", "partial"]
# the outcomes of 行政复议 or 诉讼 that withdraw a publication (行政处罚法 第四十八条)
OUTCOME_GROUNDS = ["changed", "revoked", "illegal", "void"]
# and `not_publishable`: published though it must not be (004 第五十七条（四）)
WITHDRAWAL_GROUNDS = [*OUTCOME_GROUNDS, "not_publishable"]
ACTIONS = ["drafted", "published", "withheld", "corrected", "withdrawn", "expired", "resolved",
           "credit_repaired"]
REDACTION_ACTIONS = ["mask", "keep"]
Id = lambda **kw: fields.String(validate=validate.Length(min=1, max=64), **kw)
Uuid = lambda **kw: fields.String(validate=validate.Regexp(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    error="must be a lower-case UUID"), **kw)
Sha256 = lambda **kw: fields.String(validate=validate.Regexp(
    r"^[0-9a-f]{64}$", error="must be 64 lower-case hex digits"), **kw)
When = lambda **kw: fields.AwareDateTime(format="iso", **kw)
Text = lambda n=2000, **kw: fields.String(validate=validate.Length(min=1, max=n), **kw)
Code = lambda **kw: fields.String(validate=validate.Regexp(
    r"^[a-z][a-z0-9_]{0,63}$", error="must be a code: lower-case letters, digits, _"), **kw)
# a day as the publication keeps it (ISO 8601, YYYY-MM-DD)
Day = lambda **kw: fields.String(validate=validate.Regexp(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", error="must be a date YYYY-MM-DD"), **kw)
# a moment as the publication's JSON keeps it (ISO 8601 with its offset)
Moment = lambda **kw: fields.String(validate=validate.Regexp(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+([+-][0-9]{2}:[0-9]{2}|Z)$",
    error="must be an ISO 8601 time with its offset"), **kw)
Money = lambda **kw: fields.String(validate=validate.Regexp(
    r"^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$", error="must be an amount in yuan such as "
                                                    "\"60000\" or \"1500.50\""), **kw)


class Party(StrictSchema):
    """The party the decision is addressed to (行政相对人)."""
    kind = fields.String(required=True, validate=validate.OneOf(PARTY_KINDS), metadata={
        "description": "organisation (法人及非法人组织) or individual (自然人, 个体工商户)"})
    name = Text(200, required=True)
    credit_code = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
        error="must be an 18-character unified social credit code (GB 32100)"),
        metadata={"description": "统一社会信用代码 (organisations, 个体工商户)"})
    representative = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(min=1, max=100),
                                   metadata={"description": "法定代表人 (organisations)"})
    id_type = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=40),
                            metadata={"description": "证件类型 (individuals): never public"})
    id_number = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=40),
                              metadata={"description": "证件号码 (individuals): never public"})


class CreateDraft(StrictSchema):
    """A decision issued in a case system other than the record keeper's."""
    agency = Id(required=True)
    act_type = fields.String(required=True, validate=validate.OneOf(ACT_TYPES))
    decision_no = Text(100, required=True, metadata={"description": "决定书文号"})
    case_name = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=200),
                              metadata={"description": "案件名称"})
    case_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=64),
                            metadata={"description": "the case in the agency's own system"})
    decision_date = fields.Date(required=True, metadata={"description": "决定日期: the deadline "
                                                                         "counts from it"})
    authority = Text(200, required=True, metadata={"description": "执法机关 / 执法主体"})
    party = fields.Nested(Party, required=True)
    facts = Text(4000, required=True, metadata={"description": "违法事实"})
    legal_basis = Text(2000, required=True, metadata={"description": "法律依据"})
    conclusion = Text(2000, required=True, metadata={"description": "执法结论 (处罚内容)"})
    fine_amount = Money(load_default=None, allow_none=True, metadata={
        "description": "罚款 in yuan; the 双公示 record gives it in 万元"})
    violation_type = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(min=1, max=200),
                                   metadata={"description": "违法行为类型"})


class PublicationRef(StrictSchema):
    publication_id = Uuid(required=True)


MAX_PAGE = 200


class ListPublications(StrictSchema):
    """A page of the agency's publications, the earliest due first (a publisher's queue with
    state=draft); follow `next` for the rest."""
    agency = Id(required=True)
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE),
                           metadata={"description": f"publications per page, at most {MAX_PAGE}"})
    cursor = cursor_field()


class Review(StrictSchema):
    """保密审查 before publishing (002 第七条, 004 第十九条): publish, withhold, or withhold
    the fields a trade secret or privacy touches and publish the rest."""
    publication_id = Uuid(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    grounds = fields.List(Code(), load_default=list, validate=validate.Length(max=10),
                          metadata={"description": "withheld grounds (rule set disclosure."
                                                   "withheld_grounds codes): at least one to "
                                                   "withhold; scope `whole` to withhold, `part` "
                                                   "to withhold in part"})
    withheld_fields = fields.List(Code(), load_default=list, validate=validate.Length(max=40),
                                  metadata={"description": "partial: the summary and 双公示 "
                                                           "fields not published"})
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=2000), metadata={
                               "description": "why: required to withhold (wholly or in part)"})
    completions = fields.Dict(keys=Code(), values=fields.String(
        validate=validate.Length(min=1, max=2000)), load_default=dict, metadata={
            "description": "values for the summary fields the draft lacks (a decision from the "
                           "record keeper names no 案件名称): only fields it lacks"})
    display_class = Code(load_default=None, allow_none=True, metadata={
        "description": "1.2: the display class (rule set disclosure.display_windows: general "
                       "一般, serious 严重) that sets how long a published penalty stays public; "
                       "required to publish a penalty decided from the rule's in-force day; "
                       "minor 轻微 is never published (withhold it on ground minor_penalty)"})


class Resolution(StrictSchema):
    """The reviewer's decision on one hit the scan of a draft's free text found."""
    hit = fields.String(required=True, validate=validate.Length(min=1, max=120), metadata={
        "description": "the hit's id as the draft's redaction.hits name it"})
    action = fields.String(required=True, validate=validate.OneOf(REDACTION_ACTIONS), metadata={
        "description": "mask: replaced by the rule set's mask; keep: published as it is"})
    kind = Code(load_default=None, allow_none=True, metadata={
        "description": "mask: the rule set's mask kind to use instead of the hit's own "
                       "(disclosure.redaction.masks)"})
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=2000), metadata={
                               "description": "keep: required — the person's consent or the "
                                              "public interest (000 第十三条第二款)"})


class ResolveRedactions(StrictSchema):
    """1.1: hits of a draft's free text resolved before publishing (004 第十九条 保密审查)."""
    publication_id = Uuid(required=True)
    resolutions = fields.List(fields.Nested(Resolution), required=True,
                              validate=validate.Length(min=1, max=200))


class Withdraw(StrictSchema):
    """行政处罚法 第四十八条: a published decision changed, revoked, declared illegal or void
    (by 行政复议, a court or the agency) is withdrawn within 3 working days, with its reason
    published."""
    publication_id = Uuid(required=True)
    ground = fields.String(required=True, validate=validate.OneOf(WITHDRAWAL_GROUNDS))
    reason = Text(2000, required=True, metadata={"description": "published with the withdrawal"})
    decided_on = fields.Date(required=True, metadata={
        "description": "the day the decision was changed, revoked or declared illegal or void: "
                       "the 3 working days count from it"})
    by = Text(200, required=True, metadata={"description": "who decided it (复议机关, 人民法院, "
                                                            "the agency itself)"})


OUTCOME_PROCEDURES = ["reconsideration", "litigation"]


class Outcome(StrictSchema):
    """1.2: a 行政复议 (reconsideration) or 诉讼 (litigation) outcome that changed, revoked,
    declared illegal or void a published decision: the publication is withdrawn (行政处罚法
    第四十八条)."""
    publication_id = Uuid(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOME_GROUNDS))
    procedure = fields.String(required=True, validate=validate.OneOf(OUTCOME_PROCEDURES))
    authority = Text(200, required=True, metadata={"description": "复议机关 or 人民法院"})
    document_no = Text(200, required=True, metadata={
        "description": "the 复议决定书 or 判决书/裁定书 number"})
    decided_on = fields.Date(required=True, metadata={
        "description": "the outcome's date: the 3 working days count from it"})
    reason = Text(1000, load_default=None, allow_none=True, metadata={
        "description": "what the public is told besides the outcome (optional)"})
class CreditRepair(StrictSchema):
    """1.2: a 信用修复 decision that takes a published penalty down before its display window
    ends (信用修复管理办法), allowed once the class's minimum window has passed."""
    publication_id = Uuid(required=True)
    reason = Text(2000, required=True, metadata={"description": "why the record is repaired"})
    basis = Text(500, required=True, metadata={"description": "the rule the repair rests on"})
    decided_on = fields.Date(required=True, metadata={
        "description": "the day the repair was decided: not before the minimum has passed"})
    document = Text(200, required=True, metadata={
        "description": "the repair decision's document reference (文号)"})


class AgencyRef(StrictSchema):
    agency = Id(required=True)


class Deadline(StrictSchema):
    due = Day(required=True)
    rule = fields.String(required=True, metadata={"description": "the rule-set period"})
    amount = fields.Integer(required=True)
    unit = fields.String(required=True)
    basis = fields.String(required=True)
    start = Day(required=True)


class ReviewView(StrictSchema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    grounds = fields.List(fields.Dict(), required=True, metadata={
        "description": "[{code, label, basis}] as the rule set has them"})
    withheld_fields = fields.List(fields.String(), required=True)
    reason = fields.String(required=True, allow_none=True)
    by = fields.String(required=True)
    at = Moment(required=True)


class WithdrawalView(StrictSchema):
    ground = fields.String(required=True, validate=validate.OneOf(WITHDRAWAL_GROUNDS))
    reason = fields.String(required=True)
    decided_on = Day(required=True)
    by = fields.String(required=True)
    due = Day(required=True, metadata={"description": "3 working days after decided_on"})
    late = fields.Boolean(required=True)
    at = Moment(required=True)


class HistoryItem(StrictSchema):
    seq = fields.Integer(required=True)
    action = fields.String(required=True, validate=validate.OneOf(ACTIONS))
    at = When(required=True)
    actor_id = fields.String(required=True)
    actor_role = fields.String(required=True)
    body = fields.Dict(required=True)
    leaf_index = fields.Integer(required=True, allow_none=True, metadata={
        "description": "the leaf of the agency's Merkle log it is (public acts), else null"})


class Publication(StrictSchema):
    id = Uuid(required=True)
    agency = fields.String(required=True)
    ruleset = fields.String(required=True)
    source = fields.String(required=True, validate=validate.OneOf(["records", "rpc"]))
    case_id = fields.String(required=True, allow_none=True)
    decision_no = fields.String(required=True)
    act_type = fields.String(required=True)
    party_kind = fields.String(required=True)
    decision_date = fields.Date(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    summary = fields.Dict(required=True, metadata={
        "description": "the rule set's summary fields, code → {label, value}"})
    credit = fields.Dict(required=True, metadata={
        "description": "the 双公示 record, code → {label, value, public}; empty for an act the "
                       "rule set keeps none for"})
    missing = fields.List(fields.String(), required=True, metadata={
        "description": "summary fields the draft lacks: review must complete them"})
    published = fields.Dict(required=True, allow_none=True, metadata={
        "description": "what the public sees: the summary and public 双公示 fields less those "
                       "withheld; null until published"})
    deadline = fields.Nested(Deadline, required=True)
    review = fields.Nested(ReviewView, required=True, allow_none=True)
    withdrawal = fields.Nested(WithdrawalView, required=True, allow_none=True)
    created_at = When(required=True)
    display_window = fields.Dict(allow_none=True, metadata={
        "description": "1.2: {class, decision_date, ends, repairable_from, basis}: shown "
                       "through `ends`, taken down the day after; null when none applies"})
    credit_repair = fields.Dict(allow_none=True, metadata={
        "description": "1.2: the 信用修复 that took it down early {reason, basis, decided_on, "
                       "document, by, at}"})
    history = fields.List(fields.Nested(HistoryItem), required=True)
    redaction = fields.Dict(load_default=None, allow_none=True, metadata={
        "description": "1.1: {basis, party_class, fields: the party's fields masked or dropped "
                       "[{field, kind, replacement}], texts: the free text as served, hits: "
                       "[{id, text_of, kind, kind_zh, start, end, text, reason, reason_zh, "
                       "resolution}] (resolution null while open), record: what the published "
                       "act's leaf holds of the redactions (null until published)}"})


class PublicationItem(StrictSchema):
    """A publication in a listing: what a publisher's queue shows of it."""
    id = Uuid(required=True)
    agency = fields.String(required=True)
    decision_no = fields.String(required=True)
    act_type = fields.String(required=True)
    case_id = fields.String(required=True, allow_none=True)
    decision_date = fields.Date(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    due = fields.Date(required=True, metadata={"description": "the publication deadline"})
    missing = fields.List(fields.String(), required=True)


class PublicationPage(StrictSchema):
    items = fields.List(fields.Nested(PublicationItem), required=True)
    next = fields.String(required=True, allow_none=True, metadata={
        "description": "pass as `cursor` for the next page; null on the last"})


class TreeHead(StrictSchema):
    """A signed tree head of the agency's publication log (RFC 9162)."""
    agency = fields.String(required=True)
    size = fields.Integer(required=True)
    root = Sha256(required=True)
    signed_at = When(required=True)
    key_id = fields.String(required=True)
    signature = fields.String(required=True, metadata={"description": "Ed25519, base64, of "
                                                                      "`statement`"})
    statement = fields.String(required=True, metadata={"description": "exactly what was signed"})


class InclusionRequest(StrictSchema):
    agency = Id(required=True)
    leaf_index = fields.Integer(required=True, validate=validate.Range(min=0, max=2 ** 62))
    size = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 62), metadata={
        "description": "the tree the proof is into: a signed tree head's size"})


class Inclusion(StrictSchema):
    agency = fields.String(required=True)
    leaf_index = fields.Integer(required=True)
    size = fields.Integer(required=True)
    leaf = fields.String(required=True, metadata={
        "description": "the leaf as hashed (RFC 9162: SHA-256 of 0x00 ‖ its UTF-8 bytes): "
                       "canonical JSON of the public act"})
    proof = fields.List(fields.String(), required=True, metadata={
        "description": "RFC 9162 §2.1.3 inclusion proof, hex"})


class ConsistencyRequest(StrictSchema):
    agency = Id(required=True)
    first = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 62))
    second = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 62))


class Consistency(StrictSchema):
    agency = fields.String(required=True)
    first = fields.Integer(required=True)
    second = fields.Integer(required=True)
    proof = fields.List(fields.String(), required=True, metadata={
        "description": "RFC 9162 §2.1.4 consistency proof, hex; empty when first = second"})


class Health(ServiceHealth):
    disclosure = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True, metadata={
        "description": "per agency served: its rule set, the publication periods and whether "
                       "review comes before publishing"})


# ---- events -----------------------------------------------------------------------------------

class PublicationDue(StrictSchema):
    publication_id = Uuid(required=True)
    decision_no = fields.String(required=True)
    act_type = fields.String(required=True)
    due = fields.Date(required=True)
    workdays = fields.Integer(required=True, metadata={
        "description": "due soon: working days left; overdue: working days past due"})


class DecisionPublished(StrictSchema):
    publication_id = Uuid(required=True)
    decision_no = fields.String(required=True)
    act_type = fields.String(required=True)
    case_id = fields.String(required=True, allow_none=True)
    published = fields.Dict(required=True, metadata={"description": "what the public sees"})
    withheld_fields = fields.List(fields.String(), required=True)
    leaf_index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    root = Sha256(required=True)
    late = fields.Boolean(required=True, metadata={"description": "published after its due date"})
    at = When(required=True)


class PublicationWithdrawn(StrictSchema):
    publication_id = Uuid(required=True)
    decision_no = fields.String(required=True)
    ground = fields.String(required=True, validate=validate.OneOf(WITHDRAWAL_GROUNDS))
    reason = fields.String(required=True)
    late = fields.Boolean(required=True)
    leaf_index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    root = Sha256(required=True)
    at = When(required=True)


class PublicationTakenDown(StrictSchema):
    """1.2: a publication taken off the portal at the end of its display window (expired) or
    early on a 信用修复 decision (repaired)."""
    publication_id = Uuid(required=True)
    decision_no = fields.String(required=True)
    display_class = fields.String(required=True)
    ends = Day(required=True)
    leaf_index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    root = Sha256(required=True)
    at = When(required=True)
    document = fields.String(allow_none=True, metadata={
        "description": "the 信用修复 decision's document reference (repaired only)"})


# ---- the registers published before enforcement (事前公开), 1.1 ---------------------------------

REGISTER_KINDS = ["subjects", "entrusted", "officers", "powers", "items", "inspections",
                  "legal_bases", "discretion", "service_guides", "flow_charts"]
QUALIFICATION = ["qualified", "unknown_officer", "removed", "not_yet_valid", "expired",
                 "category_not_covered", "region_not_covered"]
# a workbook travels in the request (base64): at most this many bytes (the import's own bound,
# services.disclosure.spreadsheets.Limits.file_bytes)
MAX_WORKBOOK_BYTES = 5 * 1024 * 1024
Kind = lambda **kw: fields.String(validate=validate.OneOf(REGISTER_KINDS), metadata={
    "description": "the register: subjects 行政执法主体名录, entrusted 受委托组织, officers "
                   "行政执法人员清单, powers 权责清单, items 行政执法事项清单, inspections "
                   "随机抽查事项清单, legal_bases 执法依据, discretion 裁量基准, service_guides "
                   "服务指南, flow_charts 行政执法流程图"}, **kw)
Kinds = lambda **kw: fields.List(Kind(), validate=validate.Length(min=1, max=10), **kw)
Revision = lambda **kw: fields.Integer(validate=validate.Range(min=0), **kw)
# why a register was revised (000《公示办法》第十八条, 002 第十七条, 004 第二十条)
REVISION_REASONS = ["law_changed", "functions_changed", "other"]
REVISION_REASON_TEXT = ("why the registers changed (000 第十八条, 002 第十七条, 004 第二十条): "
                        "law_changed 法律法规规章立改废释, functions_changed 机构职能调整, "
                        "other 其他; null: not given")


class ImportRegister(StrictSchema):
    """An agency's registers as a workbook (.xlsx) laid out as export_register and the template
    make it: one sheet per register, named by its Chinese title, the Chinese headers in row 1."""
    agency = Id(required=True)
    workbook_base64 = fields.String(required=True, validate=[
        validate.Length(min=4, max=4 * ((MAX_WORKBOOK_BYTES + 2) // 3)),
        validate.Regexp(r"^[A-Za-z0-9+/]*={0,2}$", error="must be base64 (RFC 4648)")],
        metadata={"description": f"the .xlsx, base64; at most {MAX_WORKBOOK_BYTES} bytes"})
    kinds = Kinds(load_default=None, allow_none=True, metadata={
        "description": "the registers this workbook replaces (an entry missing from its sheet "
                       "is taken off); null: every sheet that holds an entry"})
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(REVISION_REASONS), metadata={
                               "description": REVISION_REASON_TEXT})
    reason_text = Text(500, load_default=None, allow_none=True, metadata={
        "description": "the reason in words (kept with each revision this import makes)"})


class RegisterRevised(StrictSchema):
    kind = Kind(required=True)
    title = fields.String(required=True)
    revision = Revision(required=True, metadata={"description": "the register's latest "
                                                                "revision after the import"})
    revised = fields.Boolean(required=True, metadata={
        "description": "false: the sheet is the register as it stands, nothing recorded"})
    entries = fields.Integer(required=True)
    added = fields.Integer(required=True)
    changed = fields.Integer(required=True)
    removed = fields.Integer(required=True)


class RegistersImported(StrictSchema):
    agency = Id(required=True)
    sha256 = Sha256(required=True, metadata={"description": "of the workbook imported"})
    registers = fields.List(fields.Nested(RegisterRevised), required=True)


class ExportRegister(StrictSchema):
    agency = Id(required=True)
    kinds = Kinds(load_default=None, allow_none=True, metadata={
        "description": "the registers exported; null: all (csv: exactly one)"})
    format = fields.String(load_default="xlsx", validate=validate.OneOf(["xlsx", "csv"]))
    on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the registers as they stood at the end of this day; null: today"})


class ExportedRegister(StrictSchema):
    agency = Id(required=True)
    format = fields.String(required=True, validate=validate.OneOf(["xlsx", "csv"]))
    media_type = fields.String(required=True)
    filename = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = Sha256(required=True)
    content_base64 = fields.String(required=True)


class GetRegister(StrictSchema):
    agency = Id(required=True)
    kind = Kind(required=True)
    on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the register as it stood at the end of this day (China time); "
                       "null: as it stands"})


class RegisterRevisionView(StrictSchema):
    revision = Revision(required=True)
    at = When(required=True)
    by = fields.String(required=True)
    sha256 = Sha256(required=True, metadata={"description": "of the workbook imported"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "entries added, changed, removed"})
    reason = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(REVISION_REASONS),
                           metadata={"description": REVISION_REASON_TEXT})
    reason_text = fields.String(load_default=None, allow_none=True)


class RegisterEntry(StrictSchema):
    key = fields.List(fields.String(), required=True, metadata={
        "description": "the values of the columns that name the entry"})
    number = fields.Integer(required=True, metadata={"description": "the entry's version"})
    recorded_at = When(required=True)
    recorded_by = fields.String(required=True)
    values = fields.Dict(keys=fields.String(), required=True, metadata={
        "description": "the entry by field key: dates YYYY-MM-DD, lists as lists"})
    public = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "officers: whether the public register shows the officer on the day "
                       "(the certificate valid); null for other registers"})


class Register(StrictSchema):
    agency = Id(required=True)
    kind = Kind(required=True)
    title = fields.String(required=True)
    on = fields.Date(required=True, allow_none=True)
    revision = Revision(required=True)
    entries = fields.List(fields.Nested(RegisterEntry), required=True)
    revisions = fields.List(fields.Nested(RegisterRevisionView), required=True)


class RegisterHistoryRequest(StrictSchema):
    agency = Id(required=True)
    kind = Kind(required=True)
    from_revision = Revision(load_default=0, metadata={"description": "0: the empty register"})
    to_revision = Revision(load_default=None, allow_none=True, metadata={
        "description": "null: the latest"})


class EntryChange(StrictSchema):
    key = fields.List(fields.String(), required=True)
    headers = fields.List(fields.String(), required=True, metadata={
        "description": "the Chinese headers of the fields changed"})
    before = fields.Dict(keys=fields.String(), required=True)
    after = fields.Dict(keys=fields.String(), required=True)
    changed_fields = fields.List(fields.String(), required=True, data_key="fields", metadata={
        "description": "the keys of the fields changed"})


class RegisterHistory(StrictSchema):
    agency = Id(required=True)
    kind = Kind(required=True)
    from_revision = Revision(required=True)
    to_revision = Revision(required=True)
    added = fields.List(fields.Dict(keys=fields.String()), required=True)
    changed = fields.List(fields.Nested(EntryChange), required=True)
    removed = fields.List(fields.Dict(keys=fields.String()), required=True)
    revisions = fields.List(fields.Nested(RegisterRevisionView), required=True, metadata={
        "description": "the revisions between the two"})


class OfficerQualifiedRequest(StrictSchema):
    agency = Id(required=True)
    certificate_no = fields.String(required=True, validate=[
        validate.Length(min=1, max=40),
        validate.Regexp(r"^[0-9A-Za-z\u4e00-\u9fff-]+$",
                        error="must be a certificate number: letters, digits, 汉字, -")],
        metadata={"description": "执法证件号"})
    on = fields.Date(required=True, metadata={"description": "the day the officer acted"})
    category = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=100),
                             metadata={"description": "执法类别 the act needs"})
    region = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=100),
                           metadata={"description": "执法区域 the act was in"})


class OfficerQualification(StrictSchema):
    agency = Id(required=True)
    certificate_no = fields.String(required=True)
    on = fields.Date(required=True)
    qualified = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(QUALIFICATION))
    reason = fields.String(required=True)
    reason_zh = fields.String(required=True)
    officer = fields.Dict(keys=fields.String(), required=True, allow_none=True, metadata={
        "description": "the certificate's entry the verdict was judged on"})


class OfficerLapsed(StrictSchema):
    """An officer's certificate passed its 有效期: the public register no longer shows the
    officer from the day after valid_until."""
    certificate_no = fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=100))
    valid_until = Day(required=True, metadata={"description": "the certificate's last day"})
    noticed_on = Day(required=True)
    categories = fields.List(fields.String(), required=True)
    regions = fields.List(fields.String(), required=True)


# ---- requests to correct a publication (000 第十九条, 002 第十八条, 004 第二十一条), 1.2 --------

CORRECTION_STATES = ["filed", "verified", "corrected", "rejected", "forwarded", "answered"]
CORRECTION_DECISIONS = ["correct", "reject", "forward"]
CORRECTION_ACTS = ["file", "verify", "correct", "reject", "forward", "answer"]
MAX_EVIDENCE = 20


class Requester(StrictSchema):
    """Who asks: personal data, kept with the request and never published."""
    kind = fields.String(required=True, validate=validate.OneOf(["person", "organisation"]))
    name = Text(100, required=True)
    contact = Text(200, required=True, metadata={"description": "telephone, address or mail"})


class FileCorrection(StrictSchema):
    """A request to correct a publication, entered by staff (the portal's form calls the same
    use case): acknowledged with the agency's next number of the year, 更正〔2026〕7号."""
    publication_id = Uuid(required=True)
    requester = fields.Nested(Requester, required=True)
    problem = Text(2000, required=True, metadata={"description": "what is wrong"})
    evidence = fields.List(Text(500), load_default=list,
                           validate=validate.Length(max=MAX_EVIDENCE), metadata={
                               "description": f"references to the evidence (at most "
                                              f"{MAX_EVIDENCE}): vault ids, document numbers"})
    received_on = fields.Date(load_default=None, allow_none=True, metadata={
        "description": "the day the request was received (default: today)"})


class CorrectionRef(StrictSchema):
    correction_id = Uuid(required=True)


class VerifyCorrection(StrictSchema):
    correction_id = Uuid(required=True)
    findings = Text(2000, required=True, metadata={"description": "what the check found"})


class DecideCorrection(StrictSchema):
    """correct (审核属实: the fields as corrected), reject (with reasons) or forward (to the
    competent agency, named: 002 第十八条)."""
    correction_id = Uuid(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(CORRECTION_DECISIONS))
    fields_ = fields.Dict(data_key="fields", attribute="fields", keys=fields.String(
        validate=validate.Regexp(r"^(summary|credit)\.[a-z][a-z0-9_]{0,63}$",
                                 error="must be summary.<code> or credit.<code>")),
        values=Text(2000), load_default=dict, validate=validate.Length(max=40), metadata={
            "description": "correct: the published fields as corrected"})
    reason = Text(2000, required=True, metadata={"description": "why (published for a "
                                                                "correction, sent for the rest)"})
    forward_to = Text(200, load_default=None, allow_none=True, metadata={
        "description": "forward: the competent agency"})


class AnswerCorrection(StrictSchema):
    """The written answer to the requester (004 第二十一条): its text and date."""
    correction_id = Uuid(required=True)
    text = Text(5000, required=True)
    answered_on = fields.Date(required=True)


class ListCorrections(StrictSchema):
    agency = Id(required=True)
    state = fields.String(load_default=None, allow_none=True,
                          validate=validate.OneOf(CORRECTION_STATES))
    publication_id = Uuid(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))
    cursor = cursor_field()


class CorrectionStep(StrictSchema):
    act = fields.String(required=True, validate=validate.OneOf(CORRECTION_ACTS))
    state = fields.String(required=True)
    by = fields.String(required=True)
    role = fields.String(required=True)
    at = Moment(required=True)
    body = fields.Dict(required=True)


CORRECTION_CHANNELS = ["staff", "portal"]


class CorrectionAttachment(StrictSchema):
    """An attachment sent with a request through the portal: scanned (its type sniffed from the
    content) and kept write-once in the vault."""
    object_id = Uuid(required=True, metadata={"description": "the vault object"})
    name = fields.String(required=True)
    media_type = fields.String(required=True, metadata={"description": "sniffed, not claimed"})
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)


class Correction(StrictSchema):
    id = Uuid(required=True)
    agency = fields.String(required=True)
    number = fields.String(required=True, metadata={"description": "更正〔2026〕7号"})
    year = fields.Integer(required=True)
    seq = fields.Integer(required=True)
    publication_id = Uuid(required=True)
    state = fields.String(required=True, validate=validate.OneOf(CORRECTION_STATES))
    requester = fields.Nested(Requester, required=True)
    problem = fields.String(required=True)
    evidence = fields.List(fields.String(), required=True)
    decision = fields.Dict(required=True, allow_none=True)
    answer = fields.Dict(required=True, allow_none=True, metadata={
        "description": "{text, answered_on, by, at, document}: document is the rendered "
                       "更正申请答复书 {template_id, version, render_id, format, media_type, "
                       "sha256, size, object_ref (the vault object, null where the renderer "
                       "has no vault)}"})
    deadline = fields.Dict(required=True, allow_none=True, metadata={
        "description": "null: none of the rule sets' seeds sets a period (000 第十九条 及时)"})
    steps = fields.List(fields.Nested(CorrectionStep), required=True)
    created_at = When(required=True)
    channel = fields.String(required=True, validate=validate.OneOf(CORRECTION_CHANNELS),
                            metadata={"description": "staff (file_correction) or portal (the "
                                                     "public form, POST /disclosure/corrections)"})
    attachments = fields.List(fields.Nested(CorrectionAttachment), required=True, metadata={
        "description": "what the requester attached through the portal, kept in the vault "
                       "(never published, never served back)"})


class CorrectionItem(StrictSchema):
    id = Uuid(required=True)
    number = fields.String(required=True)
    publication_id = Uuid(required=True)
    state = fields.String(required=True)
    created_at = When(required=True)


class CorrectionPage(StrictSchema):
    items = fields.List(fields.Nested(CorrectionItem), required=True)
    next = fields.String(required=True, allow_none=True)


class PublicationCorrected(StrictSchema):
    publication_id = Uuid(required=True)
    decision_no = fields.String(required=True)
    correction_id = Uuid(required=True)
    number = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", attribute="fields", required=True, metadata={
        "description": "summary.<code> / credit.<code> → {before, after}"})
    published = fields.Dict(required=True, metadata={"description": "what the public sees now"})
    leaf_index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    root = Sha256(required=True)
    at = When(required=True)


# ---- the 双公示 file for the provincial credit platform ---------------------------------------

CREDIT_TEMPLATES = ("legal_person", "natural_person")
CREDIT_FORMATS = ("csv", "xlsx")


class ExportCredit(StrictSchema):
    agency = Id(required=True)
    from_ = fields.Date(required=True, data_key="from", attribute="from", metadata={
        "description": "the first decision date (处罚决定日期) exported"})
    to = fields.Date(required=True, metadata={"description": "the last decision date exported"})
    template = fields.String(required=True, validate=validate.OneOf(CREDIT_TEMPLATES), metadata={
        "description": "legal_person: 法人及非法人组织; natural_person: 自然人"})
    format = fields.String(required=True, validate=validate.OneOf(CREDIT_FORMATS))


class ExportedCredit(StrictSchema):
    agency = Id(required=True)
    template = fields.String(required=True, validate=validate.OneOf(CREDIT_TEMPLATES))
    from_ = fields.Date(required=True, data_key="from", attribute="from")
    to = fields.Date(required=True)
    format = fields.String(required=True, validate=validate.OneOf(CREDIT_FORMATS))
    rows = fields.Integer(required=True, metadata={"description": "publications in the file"})
    media_type = fields.String(required=True)
    filename = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = Sha256(required=True)
    content_base64 = fields.String(required=True)


# ---- the signed tree heads kept by the vault ----------------------------------------------------

class TreeHeadSigned(RecordsTreeHeadSigned):
    """The agency's log of public acts after a leaf was appended: its signed tree head (the
    tree_head answer) with the RFC 9162 §2.1.4 consistency proof (hex hashes) from `previous`
    (null for the log's first head). `statement` is exactly what was signed, canonical JSON
    {"type": "sanxiang.disclosure.tree_head.v1", "agency", "size", "root" (hex), "signed_at"}.
    The same fields as the record keeper's tree_head_signed.v1, which the vault keeps alike."""


# ---- the annual statistics report and the supervisor's view --------------------------------------

class AnnualReportRequest(StrictSchema):
    agency = Id(required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))


class AnnualReportRef(StrictSchema):
    agency = Id(required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    version = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                             metadata={"description": "a version compiled; the latest if null"})


class AnnualDue(StrictSchema):
    year = fields.Integer(required=True)
    due = fields.String(required=True, metadata={"description": "the day the report falls due"})
    recipients = fields.List(fields.String(), required=True)
    public = fields.Boolean(required=True)
    figures = fields.List(fields.String(), required=True)
    basis = fields.String(required=True)


class AnnualGap(StrictSchema):
    figure = fields.String(required=True)
    label = fields.String(required=True)
    reason = fields.String(required=True)


class AnnualReport(StrictSchema):
    id = Uuid(required=True)
    agency = fields.String(required=True)
    ruleset = fields.String(required=True)
    year = fields.Integer(required=True)
    version = fields.Integer(required=True)
    versions = fields.Integer(required=True, metadata={"description": "versions compiled"})
    state = fields.String(required=True, validate=validate.OneOf(["compiled", "published"]))
    due = fields.Nested(AnnualDue, required=True)
    figures = fields.Dict(required=True, metadata={
        "description": "per figure group of the rule set: the publisher's own (publications "
                       "by act type, withheld by ground, corrections by outcome, withdrawals "
                       "by ground, overdue) and the record keeper's (records.annual_figures: "
                       "penalties, coercive_measures, complaints, inspection_plan — the "
                       "last with register_items, the items on the agency's 随机抽查事项清单 "
                       "at the year's end)"})
    gaps = fields.List(fields.Nested(AnnualGap), required=True, metadata={
        "description": "the figures missing and why — never counted as zero"})
    document = fields.Dict(required=True, metadata={"description": "the rendered document"})
    compiled_at = fields.String(required=True)
    compiled_by = fields.String(required=True)
    published = fields.Dict(required=True, allow_none=True)


class AnnualReportPublished(StrictSchema):
    report_id = Uuid(required=True)
    year = fields.Integer(required=True)
    version = fields.Integer(required=True)
    figures = fields.Dict(required=True)
    gaps = fields.List(fields.Nested(AnnualGap), required=True)
    late = fields.Boolean(required=True)
    leaf_index = fields.Integer(required=True)
    tree_size = fields.Integer(required=True)
    root = Sha256(required=True)
    at = When(required=True)


class AnnualReportOverdue(StrictSchema):
    agency = Id(required=True)
    year = fields.Integer(required=True)
    due = fields.String(required=True)
    workdays_late = fields.Integer(required=True, metadata={
        "description": "working days past the due day on the legal calendar"})
    recipients = fields.List(fields.String(), required=True)
    basis = fields.String(required=True)
    latest_version = fields.Integer(required=True)
    state = fields.String(required=True)


class PublicationWithheld(StrictSchema):
    publication_id = Uuid(required=True)
    decision_no = fields.String(required=True)
    act_type = fields.String(required=True)
    decision_date = fields.String(required=True)
    grounds = fields.List(fields.Dict(), required=True)
    reason = fields.String(required=True, allow_none=True)
    at = When(required=True)


class Period(StrictSchema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class SupervisionRequest(StrictSchema):
    agencies = fields.List(Id(), load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=100), metadata={
                               "description": "the agencies; every agency served if null"})
    period = fields.Nested(Period, required=True)


class SupervisionItem(StrictSchema):
    code = fields.String(required=True, validate=validate.OneOf(
        ["not_published", "not_updated", "published_forbidden"]))
    article = fields.String(required=True)
    label = fields.String(required=True)
    count = fields.Integer(required=True)
    publications = fields.List(fields.Dict(), required=True, metadata={
        "description": "each: kind, publication_id, decision_no, act_type, decision_date, "
                       "due, on (the day it happened), state, and what the kind adds"})


class AgencySupervision(StrictSchema):
    agency = fields.String(required=True)
    items = fields.List(fields.Nested(SupervisionItem), required=True)


class SupervisionReport(StrictSchema):
    period = fields.Dict(required=True)
    as_of = fields.String(required=True)
    agencies = fields.List(fields.Nested(AgencySupervision), required=True)


# ---- the registers on the public portal -------------------------------------------------------

class RevisedRegister(StrictSchema):
    kind = Kind(required=True)
    title = fields.String(required=True)
    revision = Revision(required=True, metadata={"description": "its new revision"})


class RegistersRevised(StrictSchema):
    """An import changed some of an agency's registers (published before enforcement)."""
    agency = Id(required=True)
    registers = fields.List(fields.Nested(RevisedRegister), required=True,
                            validate=validate.Length(min=1))
    reason = fields.String(required=True, allow_none=True,
                           validate=validate.OneOf(REVISION_REASONS),
                           metadata={"description": REVISION_REASON_TEXT})
    reason_text = fields.String(required=True, allow_none=True)
    at = When(required=True)
