"""Request, response and event schemas of the record keeper (records), major version 1.
RPC methods take keyword arguments only; each request schema describes those kwargs."""
from marshmallow import ValidationError, fields, validate, validates_schema

from contracts.records.content import CONTENT, FilingApproval
from shared.contracts import access, operations
from shared.contracts.jsonschema import Requires
from shared.contracts.registry import RULESET_REF, CalendarCoverage, Deadline, StrictSchema
from shared.persistence.paging import cursor_field
from shared.rulesets import vocabulary

ACT_TYPES = list(vocabulary.ACT_TYPES)
STAGES = ["initiation", "investigation", "decision", "service_execution", "archive"]
START_MODES = list(vocabulary.CASE_START_MODES)
# the most one page of a listing holds (shared.persistence.paging): cases listed, cases examined for
# findings
MAX_CASES_PAGE, MAX_FINDINGS_PAGE = 200, 50
# list_cases v1 pages by offset: how deep it may reach (list_cases_v2's cursor has no limit)
MAX_OFFSET = 10_000
# what one case plausibly holds (beyond shared.contracts.bounds, which admits 1,000 items to any
# list)
MAX_PARTIES, MAX_PERSONS, MAX_HANDLERS = 100, 200, 20
# the secrets a record's content may be classified as (000 第三十三、三十四、三十九条)
SECRET_CATEGORIES = ["state_secret", "commercial_secret", "personal_privacy"]
CaseId = lambda **kw: fields.String(required=True, validate=validate.Length(min=1, max=36),
                                    **kw)
Text = lambda **kw: fields.String(validate=validate.Length(min=1, max=4000), **kw)
When = lambda **kw: fields.AwareDateTime(format="iso", **kw)
Money = lambda **kw: fields.String(validate=validate.Regexp(r"^\d{1,12}(\.\d{1,2})?$"),
                                   metadata={"description": "CNY amount as a decimal string"}, **kw)


class Empty(StrictSchema):
    pass


# ---- case ------------------------------------------------------------------------------

class Party(StrictSchema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    kind = fields.String(required=True, validate=validate.OneOf(["organisation", "individual"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    id_number = fields.String(load_default=None, allow_none=True,
                              metadata={"description": "身份证号 or 统一社会信用代码"})
    representative = fields.String(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)


class Person(StrictSchema):
    id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    role = fields.String(required=True, validate=validate.OneOf(
        ["informant", "complainant", "witness", "third_party", "applicant", "agent"]))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    id_number = fields.String(load_default=None, allow_none=True)
    phone = fields.String(load_default=None, allow_none=True)
    address = fields.String(load_default=None, allow_none=True)


class Emergency(StrictSchema):
    reason = Text(required=True,
                  metadata={"description": "why the procedure started before approval"})


class Application(StrictSchema):
    """申请 (004 第二十九条); an oral one is written down, read back and confirmed."""
    applicant_person_id = fields.String(required=True)
    matters = Text(required=True)
    facts_and_reasons = Text(required=True)
    submitted_at = When(required=True)
    oral = fields.Boolean(required=True)
    read_back = fields.Boolean(load_default=False)
    confirmed_by_signature = fields.Boolean(required=True)

    @validates_schema
    def _oral(self, data, **kw):
        if data.get("oral") and not data.get("read_back"):
            raise ValidationError("an oral application must be read back to the applicant "
                                  "(004 第二十九条)", "read_back")
        if not data.get("confirmed_by_signature"):
            raise ValidationError("the applicant must sign or seal the application",
                                  "confirmed_by_signature")


class Source(StrictSchema):
    """案源 (000 第十三条, 004 第三十条)."""
    kind = fields.String(required=True, validate=validate.OneOf(["complaint", "report",
                                                                 "referral"]))
    provider_person_id = fields.String(load_default=None, allow_none=True)
    referring_body = fields.String(load_default=None, allow_none=True)
    received_at = When(required=True)
    content = Text(required=True)


class OpenCase(StrictSchema):
    case_no = fields.String(required=True, validate=validate.Length(min=1, max=64),
                            metadata={"description": "案号, unique within the agency"})
    agency = fields.String(required=True, validate=validate.Length(min=1, max=64))
    act_type = fields.String(required=True, validate=validate.OneOf(ACT_TYPES))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "案件名称"})
    start_mode = fields.String(required=True, validate=validate.OneOf(START_MODES))
    occurred_at = When(required=True)
    parties = fields.List(fields.Nested(Party), required=True,
                          validate=validate.Length(min=1, max=MAX_PARTIES))
    persons = fields.List(fields.Nested(Person), load_default=list,
                          validate=validate.Length(max=MAX_PERSONS))
    handlers = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                           required=True, validate=validate.Length(min=2, max=MAX_HANDLERS),
                           metadata={"description": "actor ids of the officers; at least two "
                                                    "(行政处罚法 第四十二条)"})
    filing_approval = fields.Nested(FilingApproval, load_default=None, allow_none=True)
    emergency = fields.Nested(Emergency, load_default=None, allow_none=True)
    application = fields.Nested(Application, load_default=None, allow_none=True)
    source = fields.Nested(Source, load_default=None, allow_none=True)
    # each start mode's block (the JSON Schema says so too: one if/then per mode)
    json_requires = Requires("start_mode", {
        "ex_officio": "filing_approval", "emergency": "emergency",
        "application": "application", "complaint": "source", "referral": "source"})

    @validates_schema
    def _mode(self, data, **kw):
        self.json_requires.check(data)
        ids = {p["id"] for p in data.get("persons", [])}
        app = data.get("application")
        if app and app["applicant_person_id"] not in ids:
            raise ValidationError("must name a person listed in persons",
                                  "application.applicant_person_id")


class CaseRef(StrictSchema):
    case_id = CaseId()


class ApproveEmergency(StrictSchema):
    case_id = CaseId()
    filing_approval = fields.Nested(FilingApproval, required=True)


class DecideSource(StrictSchema):
    case_id = CaseId()
    decision = fields.String(required=True, validate=validate.OneOf(["start", "not_start"]))
    reason = Text(required=True)
    legal_basis = Text(required=True)
    filing_approval = fields.Nested(FilingApproval, load_default=None, allow_none=True)
    notified_at = When(required=True, metadata={"description": "when the source was told"})
    notice_method = fields.String(required=True, validate=validate.OneOf(
        ["written", "phone", "sms", "email", "in_person", "system"]))
    notice_content = Text(required=True)
    # starting a case needs its 立案审批表 (the JSON Schema says so too)
    json_requires = Requires("decision", {"start": "filing_approval"}, exclusive=False,
                             message="starting a case needs its 立案审批表")

    @validates_schema
    def _start(self, data, **kw):
        self.json_requires.check(data)


class AdvanceStage(StrictSchema):
    case_id = CaseId()
    to_stage = fields.String(required=True, validate=validate.OneOf(STAGES[1:-1]))
    occurred_at = When(required=True)
    reason = Text(load_default=None, allow_none=True)


class AppendRecord(StrictSchema):
    # for the JSON Schema export: content's schema is chosen by record_type
    json_variants = ("record_type", "content", CONTENT)

    case_id = CaseId()
    record_type = fields.String(required=True, validate=validate.OneOf(sorted(CONTENT)), metadata={
        "description": "selects the content schema: components content.<record_type>"})
    occurred_at = When(required=True)
    content = fields.Dict(required=True, metadata={
        "description": "validated by the content schema of record_type"})
    situations = fields.List(fields.String(), load_default=list, metadata={
        "description": "situation codes of the rule set (seizure, sealing…) this act involved"})


class Secrecy(StrictSchema):
    """A record's content classified as it is recorded (定密)."""
    category = fields.String(required=True, validate=validate.OneOf(SECRET_CATEGORIES),
                             metadata={"description": "国家秘密 state_secret, 商业秘密 "
                                                      "commercial_secret, 个人隐私 "
                                                      "personal_privacy"})
    content_fields = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z_][a-z0-9_]{0,63}$")),
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=50),
        metadata={"description": "the top-level fields of the content classified; absent or "
                                 "null: the whole content"})
    reason = Text(required=True, metadata={"description": "why, with the basis (定密依据)"})


class AppendRecordV2(AppendRecord):
    """append_record with the content's classification, where it is secret from the start."""
    classification = fields.Nested(Secrecy, load_default=None, allow_none=True, metadata={
        "description": "the content (or fields of it) is 国家秘密 / 商业秘密 / 个人隐私: a "
                       "classification entry follows the record in the same transaction, and "
                       "a party's view leaves the content out (000 第三十三、三十四条)"})


class Interruption(StrictSchema):
    at = When(required=True)
    reason = Text(required=True)
    resumed_at = When(load_default=None, allow_none=True)
    explanation = Text(required=True, metadata={
        "description": "said on resuming, or written down when recording could not resume"})


VAULT_OBJECT_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class Media(StrictSchema):
    """The AV file as the vault holds it (1.4: the record keeper checks it against the vault's
    object before writing — the same SHA-256 and size, an AV object, of this case or of none)."""
    object_ref = fields.String(required=True, validate=validate.Regexp(
        VAULT_OBJECT_ID, error="must be the vault's object id (a lower-case UUID, as "
                               "vault.complete_upload answers it); a location such as "
                               "vault://… is not accepted since 1.4"), metadata={
        "description": "the vault object (vault.get_object's object_id) holding the file"})
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    size_bytes = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 53 - 1),
                                metadata={"description": "up to 2^53 − 1, JSON's exact integers"})
    format = fields.String(required=True, validate=validate.Length(min=1, max=20))


class EvidenceNote(StrictSchema):
    """AV used as evidence: maker, extractor, extraction time (000 第三十七条)."""
    maker = fields.String(required=True)
    extractor = fields.String(required=True)
    extracted_at = When(required=True)


class RecordAv(StrictSchema):
    case_id = CaseId()
    party = fields.String(required=True, metadata={"description": "party name as labelled"})
    handler = fields.String(required=True, metadata={"description": "承办人"})
    unit = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(min=1, max=100), metadata={
                             "description": "股室 that made and stores it, a storage label "
                                            "(001 附件2 第七条)"})
    device_no = fields.String(required=True, validate=validate.Length(min=1, max=64))
    started_at = When(required=True)
    ended_at = When(required=True)
    place = fields.String(required=True, validate=validate.Length(min=1, max=200))
    opening_statement_made = fields.Boolean(required=True, metadata={
        "description": "time, place, officers, reason and target stated at the start "
                       "(000 第二十一条)"})
    interruptions = fields.List(fields.Nested(Interruption), load_default=list)
    situations = fields.List(fields.String(), load_default=list)
    media = fields.Nested(Media, required=True)
    stored_at = When(required=True, metadata={"description": "when stored into the system"})
    evidence_note = fields.Nested(EvidenceNote, load_default=None, allow_none=True)

    @validates_schema
    def _times(self, data, **kw):
        if data["ended_at"] < data["started_at"]:
            raise ValidationError("must not be before started_at", "ended_at")
        if data["stored_at"] < data["ended_at"]:
            raise ValidationError("must not be before ended_at", "stored_at")


class Decision(StrictSchema):
    act_type = fields.String(required=True, validate=validate.OneOf(ACT_TYPES))
    party_id = fields.String(required=True)
    fine_amount = Money(load_default=None, allow_none=True)
    measures = fields.List(fields.String(), load_default=list)
    hearing_held = fields.Boolean(load_default=False)
    grounds = fields.List(fields.String(), load_default=list, metadata={
        "description": "general grounds of the catalogue the handler declares"})
    procedure = fields.String(load_default="general", validate=validate.OneOf(["simple",
                                                                               "general"]))
    licence_action = fields.String(load_default=None, allow_none=True,
                                   validate=validate.OneOf(["withdraw", "revoke", "annul"]),
                                   metadata={"description": "撤回 withdraw; on a penalty revoke is "
                                             "吊销, on a licence decision 撤销 (annul)"})
    coercive_execution = fields.String(load_default=None, allow_none=True)
    # New in 1.2 (optional; absent where not given): the factors of 002《法制审核办法》第九条
    # 第二款 an agency's 目录清单 may be compiled by — a catalogue item naming one fires only
    # on a proposal that gives it.
    enforcement_level = fields.String(allow_none=True, validate=validate.OneOf(
        sorted(vocabulary.ENFORCEMENT_LEVELS)), metadata={
            "description": "执法层级 of the deciding body"})
    sector = fields.String(allow_none=True, validate=validate.Length(min=1, max=40), metadata={
        "description": "所属领域: a sector code, shared or declared in the rule set"})
    amount_involved = Money(allow_none=True)  # 涉案金额 (CNY)
    facts = Text(required=True, metadata={"description": "违法事实"})
    legal_basis = Text(required=True, metadata={"description": "法律依据"})
    conclusion = Text(required=True, metadata={"description": "执法结论"})


class ProposeDecision(StrictSchema):
    case_id = CaseId()
    occurred_at = When(required=True)
    decision = fields.Nested(Decision, required=True)


class CounselOpinion(StrictSchema):
    """The legal counsel's 法律意见书 on the proposal (陵川 001 工作方案 四(三)一: 法律顾问应通过
    出具法律意见书等形式进行审核)."""
    counsel = fields.String(required=True, validate=validate.Length(min=1, max=64),
                            metadata={"description": "the legal counsel who gave it"})
    issued_at = When(required=True)
    summary = Text(required=True, metadata={"description": "what the opinion concludes"})
    document = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(min=1, max=256),
                             metadata={"description": "where the signed opinion is kept"})


class EnterLegalReview(StrictSchema):
    case_id = CaseId()
    proposal_seq = fields.Integer(required=True, validate=validate.Range(min=1))
    opinion = fields.String(required=True,
                            metadata={"description": "an opinion type of the rule set"})
    reasons = Text(required=True)
    reviewers = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    reviewed_at = When(required=True)
    collective_discussion_required = fields.Boolean(load_default=False, metadata={
        "description": "the law requires 集体讨论 here (行政处罚法 第五十七条第二款), as the "
                       "review board's own opinion flags it: an approval is then not final "
                       "until a collective_discussion record deciding on it follows; always "
                       "owed where the rule set says so (周村 004 第五十五条)"})
    counsel_opinion = fields.Nested(CounselOpinion, load_default=None, allow_none=True, metadata={
        "description": "the legal counsel's 法律意见书, required before any opinion where the "
                       "rule set says so (review.legal_counsel: required; 陵川 001 工作方案 "
                       "四(三)一), as the review board requires it as a material"})


class IssueDecision(StrictSchema):
    case_id = CaseId()
    proposal_seq = fields.Integer(required=True, validate=validate.Range(min=1))
    decision_no = fields.String(required=True, validate=validate.Length(min=1, max=64),
                                metadata={"description": "决定书文号, e.g. 陵应急罚〔2025〕12号"})
    issued_at = When(required=True)
    signed_by = fields.String(required=True, metadata={"description": "负责人 who signed"})


class CloseCase(StrictSchema):
    case_id = CaseId()
    closed_at = When(required=True)
    reason = Text(required=True, metadata={"description": "结案理由"})


class ArchiveCase(StrictSchema):
    case_id = CaseId()
    archived_at = When(required=True)
    archive_no = fields.String(required=True, validate=validate.Length(min=1, max=64))
    location = fields.String(required=True)


class CorrectEntry(StrictSchema):
    case_id = CaseId()
    seq = fields.Integer(required=True, validate=validate.Range(min=1))
    reason = Text(required=True)
    content = fields.Dict(required=True, metadata={"description": "the corrected content"})


class GetEntries(StrictSchema):
    case_id = CaseId()
    from_seq = fields.Integer(load_default=1, validate=validate.Range(min=1))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=1000))


class ListCases(StrictSchema):
    """A page of the agency's cases, newest opened first; follow `next` for the rest."""
    agency = fields.String(required=True, validate=validate.Length(min=1, max=64))
    stage = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STAGES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_CASES_PAGE),
                           metadata={"description": f"cases per page, at most {MAX_CASES_PAGE}"})
    cursor = cursor_field()


class ListCasesV1(StrictSchema):
    """list_cases (v1): a list of the agency's cases, newest opened first, by offset."""
    agency = fields.String(required=True, validate=validate.Length(min=1, max=64))
    stage = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STAGES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET),
                            metadata={"description": f"at most {MAX_OFFSET:,}: deeper pages "
                                                     "through list_cases_v2's cursor"})


class ReplayEvents(StrictSchema):
    event_types = fields.List(fields.String(validate=validate.Regexp(r"^[a-z_]+\.v[1-9][0-9]*$")),
                              load_default=None, allow_none=True,
                              metadata={"description": "only these; all when absent"})
    since = When(load_default=None, allow_none=True)
    agency = fields.String(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=64), metadata={
        "description": "only this agency's events; a supervisor may name any agency, a "
                       "legal_unit only its own. Absent: a supervisor's replay covers every "
                       "agency, a legal_unit's its own"})


class Replayed(StrictSchema):
    requeued = fields.Integer(required=True)


class AgencyRef(StrictSchema):
    agency = fields.String(required=True, validate=validate.Length(min=1, max=64))


class AgencyFindings(StrictSchema):
    """The findings of a page of the agency's cases, oldest opened first; follow `next`."""
    agency = fields.String(required=True, validate=validate.Length(min=1, max=64))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_FINDINGS_PAGE),
                           metadata={"description": f"cases examined per page, at most "
                                                    f"{MAX_FINDINGS_PAGE}"})
    cursor = cursor_field()


# the most one page of the access log holds
MAX_ACCESS_PAGE = access.MAX_ACCESS_PAGE
# an open deadline the record keeper holds: the emergency start's approval, the archive
DEADLINE_KINDS = ["emergency_approval", "case_archive"]
CASE_STATUSES = ["open", "closed", "archived"]
Agency = lambda **kw: fields.String(validate=validate.Length(min=1, max=64), **kw)


class AccessLogQuery(access.AccessLogQuery):
    """A page of the agency's access log, newest first (调阅监督: 002 第十九条; 003)."""
    case_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=36),
                            metadata={"description": "only reads of this case"})


class FindCases(StrictSchema):
    """A page of the agency's cases that match every filter given, newest opened first."""
    agency = Agency(required=True)
    handler = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=64),
                            metadata={"description": "cases this actor id handles"})
    mine = fields.Boolean(load_default=False, metadata={
        "description": "cases the caller handles (its own actor id as `handler`)"})
    party = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(min=1, max=200),
                          metadata={"description": "a party's exact name or id number"})
    stage = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STAGES))
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(CASE_STATUSES))
    opened_from = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "opened on or after this day (CST)"})
    opened_to = fields.Date(load_default=None, allow_none=True,
                            metadata={"description": "opened on or before this day (CST)"})
    open_deadlines = fields.Boolean(load_default=False, metadata={
        "description": "only cases with a deadline still open (emergency approval pending, "
                       "archive pending)"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_CASES_PAGE),
                           metadata={"description": f"cases per page, at most {MAX_CASES_PAGE}"})
    cursor = cursor_field()

    @validates_schema
    def _range(self, data: dict, **_: object) -> None:
        if data.get("mine") and data.get("handler"):
            raise ValidationError("give handler or mine, not both", field_name="handler")
        if data.get("opened_from") and data.get("opened_to") \
                and data["opened_to"] < data["opened_from"]:
            raise ValidationError("must not be before opened_from", field_name="opened_to")


class DueDeadlines(StrictSchema):
    """The agency's open deadlines falling due within `within` working days (the shared
    calendar's), overdue ones included, soonest first."""
    agency = Agency(required=True)
    within = fields.Integer(load_default=5, validate=validate.Range(min=0, max=60),
                            metadata={"description": "working days from today, 0 to 60"})
    mine = fields.Boolean(load_default=False,
                          metadata={"description": "only cases the caller handles"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_CASES_PAGE))
    cursor = cursor_field()


class ClassifyEntry(Secrecy):
    """Mark an entry's content as secret (定密): an entry of its own appended to the chain,
    nothing rewritten."""
    case_id = CaseId()
    seq = fields.Integer(required=True, validate=validate.Range(min=1),
                         metadata={"description": "the entry whose content is classified"})


# ---- responses -------------------------------------------------------------------------

class CaseView(StrictSchema):
    id = fields.String(required=True)
    case_no = fields.String(required=True)
    agency = fields.String(required=True)
    ruleset = fields.String(required=True, validate=validate.Regexp(RULESET_REF))
    act_type = fields.String(required=True)
    title = fields.String(required=True)
    start_mode = fields.String(required=True)
    stage = fields.String(required=True)
    status = fields.String(required=True)
    parties = fields.List(fields.Nested(Party), required=True)
    persons = fields.List(fields.Dict(), required=True)
    handlers = fields.List(fields.String(), required=True)
    opened_at = When(required=True)
    emergency_due = fields.Nested(Deadline, allow_none=True)
    emergency_approved_at = When(allow_none=True)
    closed_at = When(allow_none=True)
    archive_due = fields.Nested(Deadline, allow_none=True)
    archived_at = When(allow_none=True)
    head_seq = fields.Integer(required=True)
    head_hash = fields.String(required=True, allow_none=True, metadata={
        "description": "null only in a party's view of a chain written before personal data "
                       "was sealed: its hashes would let a party test guesses"})


_WITHHELD = ("; null in a party's view from the first entry whose hashed body still spells a "
             "protected person's data (written before such data was sealed)")


class EntryView(StrictSchema):
    seq = fields.Integer(required=True)
    kind = fields.String(required=True)
    stage = fields.String(required=True)
    occurred_at = When(required=True)
    recorded_at = When(required=True)
    actor_id = fields.String(required=True)
    actor_role = fields.String(required=True)
    corrects_seq = fields.Integer(allow_none=True)
    content = fields.Dict(required=True, metadata={
        "description": "in a party's view, every spelling of a protected person's name, id "
                       "number, phone or address replaced by ［已隐去］ (000 第三十四条)"})
    hashed_body = fields.String(required=True, allow_none=True, metadata={
        "description": "the exact text hashed: entry_hash = SHA-256(prev_hash + \"\\n\" + "
                       "hashed_body). A text naming a protected person is in it only as "
                       "{\"commitment\": SHA-256(32-byte random salt + the text as JSON)}; "
                       "the salt is never shown, so a masked view verifies and no guess "
                       "can be tested" + _WITHHELD})
    prev_hash = fields.String(required=True, allow_none=True,
                              metadata={"description": "the previous entry's entry_hash"
                                                       + _WITHHELD})
    entry_hash = fields.String(required=True, allow_none=True,
                               metadata={"description": "SHA-256 hex" + _WITHHELD})
    withheld = fields.List(fields.Nested(lambda: Withheld()), metadata={
        "description": "in a party's view, what of this entry was left out as classified "
                       "(000 第三十三、三十四条): the category, never the content; with it "
                       "hashed_body is null (new in 1.3; absent where nothing was withheld)"})


class Withheld(StrictSchema):
    category = fields.String(required=True, validate=validate.OneOf(SECRET_CATEGORIES))
    label = fields.String(required=True, metadata={"description": "国家秘密 / 商业秘密 / 个人隐私"})
    content_fields = fields.List(fields.String(), required=True, allow_none=True, metadata={
        "description": "the content fields left out; null: the whole content"})
    classified_by_seq = fields.Integer(required=True, allow_none=True, metadata={
        "description": "the classification entry that marked it"})
    basis = fields.String(required=True)


class AppendResult(StrictSchema):
    case_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    entry_hash = fields.String(required=True)
    stage = fields.String(required=True)
    deadline = fields.Nested(Deadline, allow_none=True)
    classification = fields.Dict(allow_none=True)


FAILURES = ["entry_altered", "missing_entries", "checkpoint_mismatch", "truncated",
            "head_mismatch", "checkpoint_signature_invalid",
            # (1.4) against what the vault keeps write-once: the chain stops before the vault's
            # checkpoint, the entry there differs, the agency's log does not prove it, or its
            # signature does not hold under the key the vault pinned
            "anchor_truncated", "anchor_mismatch", "anchor_not_included",
            "anchor_signature_invalid"]


class ChainBreak(StrictSchema):
    seq = fields.Integer(required=True, metadata={"description": "the first bad entry"})
    failure = fields.String(required=True, validate=validate.OneOf(FAILURES))
    problem = fields.String(required=True)
    expected = fields.String(required=True)
    found = fields.String(required=True)
    checkpoint_seq = fields.Integer(allow_none=True, metadata={
        "description": "the signed checkpoint that showed the failure, if one did"})
    since_seq = fields.Integer(allow_none=True, metadata={
        "description": "checkpoint_mismatch: the earliest entry that may differ (just after "
                       "the last checkpoint the chain still leads to); seq is the "
                       "checkpoint's own entry, whose hash differs from the signed one"})


class ChainHead(StrictSchema):
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)


class CheckpointCheck(StrictSchema):
    seq = fields.Integer(required=True)
    signed_at = fields.String(required=True)
    key_id = fields.String(required=True)
    head_hash = fields.String(required=True, metadata={"description": "the signed hash"})
    recomputed = fields.String(required=True, allow_none=True, metadata={
        "description": "the chain's hash at seq; null when the chain breaks or ends before"})
    signature_valid = fields.Boolean(required=True)
    head_matches = fields.Boolean(required=True)
    valid = fields.Boolean(required=True)


class AnchorCheckpoint(StrictSchema):
    seq = fields.Integer(required=True)
    head_hash = fields.String(required=True, metadata={"description": "the hash it signed"})
    signed_at = fields.String(required=True)
    key_id = fields.String(required=True)
    leaf_index = fields.Integer(required=True, metadata={
        "description": "its leaf in the agency's Merkle log"})
    object_id = fields.String(required=True, allow_none=True, metadata={
        "description": "the vault object it is kept in, write-once"})
    store = fields.String(required=True, allow_none=True, metadata={
        "description": "the store that object is in"})
    stored_at = fields.String(required=True, allow_none=True)
    signature_valid = fields.Boolean(required=True, metadata={
        "description": "under the verification key the vault pinned"})
    entry_hash = fields.String(required=True, allow_none=True, metadata={
        "description": "the database's entry at seq; null when there is none"})


class AnchorTreeHead(StrictSchema):
    size = fields.Integer(required=True)
    root = fields.String(required=True)
    signed_at = fields.String(required=True)
    key_id = fields.String(required=True)
    object_id = fields.String(required=True, allow_none=True)
    store = fields.String(required=True, allow_none=True)
    signature_valid = fields.Boolean(required=True)
    covers = fields.Boolean(required=True, metadata={
        "description": "whether the head is past the checkpoint's leaf (a head stored a "
                       "moment before the checkpoint proves nothing either way)"})
    included = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "the checkpoint proven a leaf of the tree from the records database's "
                       "log; null when the head does not cover it"})


class Anchor(StrictSchema):
    """The case against what the vault keeps write-once (new in 1.4)."""
    anchored = fields.Boolean(required=True)
    reason = fields.String(required=True, allow_none=True, validate=validate.OneOf(
        ["vault_not_deployed", "no_checkpoint_in_vault"]), metadata={
        "description": "why it was not anchored; null when it was"})
    detail = fields.String(required=True, allow_none=True)
    ok = fields.Boolean(required=True, allow_none=True)
    failure = fields.String(required=True, allow_none=True, validate=validate.OneOf(FAILURES))
    checkpoint = fields.Nested(AnchorCheckpoint, required=True, allow_none=True, metadata={
        "description": "the vault's last checkpoint of the case, the one relied on"})
    tree_head = fields.Nested(AnchorTreeHead, required=True, allow_none=True, metadata={
        "description": "the vault's last tree head of the agency"})


class Verification(StrictSchema):
    case_id = fields.String(required=True)
    ok = fields.Boolean(required=True)
    failure = fields.String(required=True, allow_none=True, validate=validate.OneOf(FAILURES),
                            metadata={"description": "what failed first; null when ok"})
    entries_checked = fields.Integer(required=True)
    head_seq = fields.Integer(required=True, metadata={"description": "the case's recorded head"})
    head_hash = fields.String(required=True)
    chain_head = fields.Nested(ChainHead, required=True, metadata={
        "description": "where the entries lead: the last entry that verified and its hash"})
    first_bad = fields.Nested(ChainBreak, required=True, allow_none=True)
    checkpoint = fields.Nested(CheckpointCheck, required=True, allow_none=True,
                               metadata={"description": "the latest signed checkpoint"})
    checkpoints_checked = fields.Integer(required=True, metadata={
        "description": "every signed checkpoint is checked against the entry at its seq"})
    anchor = fields.Nested(Anchor, metadata={
        "description": "the case against the vault's last checkpoint of it and the agency's "
                       "last tree head (1.4); `ok` is false when it fails"})


class FindingOfficer(StrictSchema):
    certificate_no = fields.String(required=True, metadata={"description": "执法证件号"})
    name = fields.String(required=True, metadata={"description": "as the record names the officer"})
    on = fields.String(required=True, metadata={"description": "the record's day (China time)"})
    status = fields.String(required=True, metadata={
        "description": "the register's officer_qualified status"})
    reason = fields.String(required=True)


class Finding(StrictSchema):
    code = fields.String(required=True)
    article = fields.String(required=True, metadata={"description": "seed article breached"})
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    seq = fields.Integer(allow_none=True)
    message = fields.String(required=True)
    due = fields.String(allow_none=True)
    at = fields.String(allow_none=True)
    officer = fields.Nested(FindingOfficer, allow_none=True, metadata={
        "description": "the officer an officer_unqualified or officer_unknown finding "
                       "names; absent on the others"})


_NEXT = ("the cursor for the next page (pass it as `cursor`); null on the last page")


class CasePage(StrictSchema):
    items = fields.List(fields.Nested(CaseView), required=True)
    next = fields.String(required=True, allow_none=True, metadata={"description": _NEXT})


class FindingPage(StrictSchema):
    items = fields.List(fields.Nested(Finding), required=True,
                        metadata={"description": "the findings of the cases of this page"})
    cases = fields.Integer(required=True, metadata={"description": "cases examined"})
    next = fields.String(required=True, allow_none=True, metadata={"description": _NEXT})


AccessPage = access.AccessPage


class DueItem(StrictSchema):
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    title = fields.String(required=True)
    handlers = fields.List(fields.String(), required=True)
    kind = fields.String(required=True, validate=validate.OneOf(DEADLINE_KINDS))
    due = fields.String(required=True, metadata={"description": "the day it falls due (CST)"})
    overdue = fields.Boolean(required=True)
    workdays_left = fields.Integer(required=True, metadata={
        "description": "working days from today to the due day (0: due today; negative: "
                       "overdue)"})
    deadline = fields.Nested(Deadline, required=True)


class DuePage(StrictSchema):
    until = fields.String(required=True, metadata={
        "description": "the last day counted: `within` working days after today"})
    items = fields.List(fields.Nested(DueItem), required=True)
    next = fields.String(required=True, allow_none=True, metadata={"description": _NEXT})


class Checkpoint(StrictSchema):
    case_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    head_hash = fields.String(required=True)
    signed_at = fields.String(required=True)
    key_id = fields.String(required=True)
    signature = fields.String(required=True)
    statement = fields.String(required=True)
    public_key = fields.String(required=True)


class Health(StrictSchema):
    service = fields.String(required=True)
    version = fields.String(required=True)
    rulesets = fields.List(fields.String(), required=True)
    contracts = fields.Dict(required=True)
    missing_peers = fields.List(fields.String(), required=True)
    calendar = fields.Nested(CalendarCoverage, required=True)
    peers = operations.peers_field()
    outbox = operations.outbox_field()
    dead_letters = operations.dead_letters_field()


# ---- events ----------------------------------------------------------------------------

class CaseOpened(StrictSchema):
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    act_type = fields.String(required=True)
    title = fields.String(required=True)
    start_mode = fields.String(required=True)
    parties = fields.List(fields.Nested(Party), required=True)
    opened_at = When(required=True)
    emergency_due = fields.Nested(Deadline, allow_none=True)


class StageChanged(StrictSchema):
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    from_stage = fields.String(required=True)
    to_stage = fields.String(required=True)
    seq = fields.Integer(required=True)


class EntryAppended(StrictSchema):
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    seq = fields.Integer(required=True)
    kind = fields.String(required=True)
    record_type = fields.String(allow_none=True)
    stage = fields.String(required=True)
    entry_hash = fields.String(required=True)


class DecisionProposed(StrictSchema):
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    case_title = fields.String(required=True, metadata={"description": "案件名称"})
    proposal_seq = fields.Integer(required=True)
    decision = fields.Nested(Decision, required=True)
    party = fields.Nested(Party, required=True, metadata={"description": "the party decided on"})
    major = fields.Boolean(required=True)
    fired = fields.List(fields.Dict(), required=True,
                        metadata={"description": "every catalogue rule that made it major"})
    handlers = fields.List(fields.String(), required=True, metadata={
        "description": "the case handlers (承办人), who may not review it"})
    participants = fields.List(fields.String(), required=True, metadata={
        "description": "every other actor who appended to the case (prior involvement)"})


class DecisionIssued(StrictSchema):
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    seq = fields.Integer(required=True)
    proposal_seq = fields.Integer(required=True)
    decision_no = fields.String(required=True)
    issued_at = When(required=True)
    decision = fields.Nested(Decision, required=True)
    major = fields.Boolean(required=True)
    legal_review_seq = fields.Integer(allow_none=True)
    party = fields.Nested(Party, required=True)
    agency_name = fields.String(required=True)


class CaseClosed(StrictSchema):
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    closed_at = When(required=True)
    reason = fields.String(required=True)
    seq = fields.Integer(required=True)


class AvObject(StrictSchema):
    """A stored AV record of the case with its storage labels as recorded (000 第三十二条,
    002 第十七条; 001 附件2 第七条: 股室, device number, officer, time, party and case).
    The labels are optional: an AV record registered before a label existed has none."""
    seq = fields.Integer(required=True, metadata={"description": "the av_record entry"})
    object_ref = fields.String(required=True)
    sha256 = fields.String(required=True)
    party = fields.String(metadata={"description": "party name as labelled"})
    handler = fields.String(metadata={"description": "承办人"})
    unit = fields.String(metadata={"description": "股室 (001 附件2 第七条)"})
    device_no = fields.String(metadata={"description": "执法记录设备编号"})
    started_at = When(metadata={"description": "使用时间: start of the recording"})
    ended_at = When(metadata={"description": "使用时间: end of the recording"})
    place = fields.String()


class LogConsistencyRequest(StrictSchema):
    """Of the caller's own agency's log."""
    first = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 62))
    second = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 62))


class LogConsistency(StrictSchema):
    agency = fields.String(required=True)
    first = fields.Integer(required=True)
    second = fields.Integer(required=True)
    proof = fields.List(fields.String(), required=True, metadata={
        "description": "RFC 9162 §2.1.4 consistency proof, hex; empty when first = second"})


class CheckpointSigned(StrictSchema):
    """A case's head signed (the `statement` is exactly what was signed, canonical JSON:
    {"type": "sanxiang.records.checkpoint.v1", "case_id", "seq", "head_hash", "signed_at"},
    sorted keys, no spaces, UTF-8; `signature` standard base64 Ed25519 by the record keeper's
    checkpoint key `key_id`), and the leaf it became in the agency's Merkle log."""
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    seq = fields.Integer(required=True)
    head_hash = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    signed_at = fields.String(required=True)
    key_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{16}$"))
    signature = fields.String(required=True, validate=validate.Length(max=128))
    statement = fields.String(required=True, validate=validate.Length(max=2000))
    leaf_index = fields.Integer(required=True, validate=validate.Range(min=0), metadata={
        "description": "0-based; the leaf is the statement's UTF-8 bytes (RFC 9162 leaf hash "
                       "SHA-256(0x00 ‖ leaf))"})


class TreeSize(StrictSchema):
    size = fields.Integer(required=True, validate=validate.Range(min=1))
    root = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class TreeHeadSigned(StrictSchema):
    """The agency's Merkle log of checkpoints after a leaf was appended (RFC 9162 §2.1: MTH
    over the leaves in the order signed). `statement` is exactly what was signed, canonical
    JSON {"type": "sanxiang.records.tree_head.v1", "agency", "size", "root" (hex),
    "signed_at"}, signed as a checkpoint is. `consistency` is the RFC 9162 §2.1.4 proof (hex
    hashes) from `previous` (null for the log's first head) to this head."""
    agency = fields.String(required=True)
    size = fields.Integer(required=True, validate=validate.Range(min=1))
    root = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    signed_at = fields.String(required=True)
    key_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{16}$"))
    signature = fields.String(required=True, validate=validate.Length(max=128))
    statement = fields.String(required=True, validate=validate.Length(max=2000))
    previous = fields.Nested(TreeSize, required=True, allow_none=True)
    consistency = fields.List(fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$")),
                              required=True, validate=validate.Length(max=64))


class ArchiveDue(StrictSchema):
    """What an archive needs: identity, the chain head to seal, the AV objects, retention."""
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    title = fields.String(required=True)
    act_type = fields.String(required=True)
    parties = fields.List(fields.String(), required=True)
    handlers = fields.List(fields.String(), required=True)
    due = fields.Nested(Deadline, required=True)
    head_seq = fields.Integer(required=True)
    head_hash = fields.String(required=True)
    entries = fields.Integer(required=True)
    av_objects = fields.List(fields.Nested(AvObject), required=True)
    retention = fields.List(fields.Dict(), required=True)


# ---- annual_figures (1.5) ---------------------------------------------------------------------

class AnnualFiguresRequest(StrictSchema):
    agency = fields.String(required=True, validate=validate.Length(min=1, max=64))
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100),
                          metadata={"description": "the calendar year, China time"})


class CountItem(StrictSchema):
    code = fields.String(required=True)
    label = fields.String(load_default=None, allow_none=True)
    count = fields.Integer(required=True)


class PenaltyFigures(StrictSchema):
    decisions = fields.Integer(required=True, metadata={
        "description": "decision_issued entries of the year whose proposal's act_type is "
                       "penalty"})
    major = fields.Integer(required=True, metadata={
        "description": "of them, issued as major decisions (after legal review)"})
    fines_total = fields.String(required=True, metadata={
        "description": "the sum of their fine_amount, yuan, as a decimal string"})
    by_kind = fields.List(fields.Nested(CountItem), required=True, metadata={
        "description": "per kind: each measure code of the proposal (行政处罚法 第九条) and "
                       "`fine` where a fine was imposed; a decision counts under each kind"})


class CoerciveFigures(StrictSchema):
    decisions = fields.Integer(required=True, metadata={
        "description": "decision_issued entries of the year whose act_type is coercion"})
    by_kind = fields.List(fields.Nested(CountItem), required=True, metadata={
        "description": "coercive situations (限制人身自由, 查封, 扣押, 强制拆除, 代履行, 排除妨碍, "
                       "恢复原状) declared on entries that occurred in the year"})


class ComplaintFigures(StrictSchema):
    received = fields.Integer(required=True, metadata={
        "description": "cases opened in the year with start_mode complaint or referral"})
    by_kind = fields.List(fields.Nested(CountItem), required=True, metadata={
        "description": "by `<start_mode>:<start_state>`: approved 立案查处, not_started 不予立案, "
                       "pending_decision 尚在审查"})


class MissingFigure(StrictSchema):
    figure = fields.String(required=True)
    reason = fields.String(required=True)
    reason_zh = fields.String(required=True)


class InspectionFigures(StrictSchema):
    inspection_cases = fields.Integer(required=True, metadata={
        "description": "cases of act_type inspection opened in the year"})
    random_inspections = fields.Integer(required=True, metadata={
        "description": "random_inspection (随机抽查) situations declared on entries of the year"})
    planned = fields.Integer(required=True, allow_none=True, metadata={
        "description": "always null: the record keeper keeps no inspection plan (see missing)"})
    missing = fields.Nested(MissingFigure, required=True)


class RecordFigures(StrictSchema):
    cases_opened = fields.Integer(required=True)
    cases_by_act_type = fields.List(fields.Nested(CountItem), required=True)
    decisions_issued = fields.Integer(required=True)
    penalties = fields.Nested(PenaltyFigures, required=True)
    coercive_measures = fields.Nested(CoerciveFigures, required=True)
    complaints = fields.Nested(ComplaintFigures, required=True)
    inspection_plan = fields.Nested(InspectionFigures, required=True)


class AnnualFigures(StrictSchema):
    agency = fields.String(required=True)
    year = fields.Integer(required=True)
    figures = fields.Nested(RecordFigures, required=True)
    counted_at = fields.String(required=True)
