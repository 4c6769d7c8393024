"""Request, response and event schemas of the review board (review), major version 1.
RPC methods take keyword arguments only; each request schema describes those kwargs."""
from marshmallow import fields, validate

from contracts.records.messages import Decision, Empty, Health, Party  # noqa: F401 (re-export)
from shared.contracts import access
from shared.contracts.registry import RULESET_REF, Deadline, StrictSchema
from shared.persistence.paging import cursor_field

STATES = ["awaiting_materials", "under_review", "paused", "opinion_issued", "contested",
          "awaiting_collective_discussion", "decided"]
Id = lambda **kw: fields.String(validate=validate.Length(min=1, max=64), **kw)
Text = lambda **kw: fields.String(validate=validate.Length(min=1, max=4000), **kw)
When = lambda **kw: fields.AwareDateTime(format="iso", **kw)
Ids = lambda **kw: fields.List(Id(), **kw)


# ---- classification (open) ------------------------------------------------------------------

class Proposal(StrictSchema):
    act_type = fields.String(required=True)
    party_kind = fields.String(load_default=None, allow_none=True,
                               validate=validate.OneOf(["organisation", "individual"]))
    fine_amount = fields.String(load_default=None, allow_none=True,
                                validate=validate.Regexp(r"^\d{1,12}(\.\d{1,2})?$"))
    measures = fields.List(fields.String(), load_default=list)
    hearing_held = fields.Boolean(load_default=False)
    grounds = fields.List(fields.String(), load_default=list)
    procedure = fields.String(load_default="general")
    licence_action = fields.String(load_default=None, allow_none=True)
    coercive_execution = fields.String(load_default=None, allow_none=True)


class Classify(StrictSchema):
    ruleset = fields.String(required=True, metadata={"description": "rule set id or id@version"})
    proposal = fields.Nested(Proposal, required=True)


class Classification(StrictSchema):
    ruleset = fields.String(required=True)
    major = fields.Boolean(required=True)
    fired = fields.List(fields.Dict(), required=True,
                        metadata={"description": "every catalogue rule that fired, with basis"})
    review_allowed = fields.Boolean(required=True, metadata={
        "description": "major, or a rule allows an optional review (周村 第五十一条)"})
    optional = fields.List(fields.Dict(), required=True)
    notes = fields.List(fields.String(), required=True)
    fingerprint = fields.String(required=True, metadata={"description": "rule set sha256"})


# ---- requests -------------------------------------------------------------------------------

class Material(StrictSchema):
    code = fields.String(required=True, metadata={"description": "a material code of the rule set"})
    title = Text(required=True)
    ref = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500),
                        metadata={"description": "where the file is (vault reference, case entry)"})
    sha256 = fields.String(load_default=None, allow_none=True,
                           validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    note = fields.String(load_default=None, allow_none=True)


class RequestReview(StrictSchema):
    agency = Id(required=True)
    case_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    case_no = fields.String(required=True, validate=validate.Length(min=1, max=64))
    case_title = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(max=200),
                               metadata={"description": "案件名称"})
    proposal_seq = fields.Integer(required=True, validate=validate.Range(min=1))
    decision = fields.Nested(Decision, required=True)
    party = fields.Nested(Party, required=True)
    handlers = Ids(required=True, validate=validate.Length(min=1),
                   metadata={"description": "the case handlers (承办人): they may not review it"})
    participants = Ids(load_default=list, metadata={
        "description": "everyone else who acted in the case (prior involvement)"})
    requested_at = When(required=True)
    materials = fields.List(fields.Nested(Material), load_default=list)
    applicable = fields.List(fields.String(), load_default=list, metadata={
        "description": "when_applicable materials that exist here (e.g. an assessment report)"})


class ReviewRef(StrictSchema):
    review_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class SubmitMaterials(ReviewRef):
    materials = fields.List(fields.Nested(Material), required=True,
                            validate=validate.Length(min=1))
    applicable = fields.List(fields.String(), load_default=list)
    submitted_at = When(required=True)


class RegisterStaff(StrictSchema):
    agency = Id(required=True)
    person_id = Id(required=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    position = fields.String(load_default=None, allow_none=True,
                             validate=validate.Length(max=60), metadata={"description": "职务"})
    roles = fields.List(fields.String(validate=validate.OneOf(
        ["officer", "reviewer", "legal_counsel"])), required=True, validate=validate.Length(min=1))
    legal_qualification = fields.Boolean(required=True, metadata={"description": "法律职业资格"})
    qualification_no = fields.String(load_default=None, allow_none=True,
                                     validate=validate.Length(max=64))
    prior_penalty_reviews = fields.Integer(load_default=0, validate=validate.Range(min=0),
                                           metadata={"description": "penalty reviews done "
                                                     "before this system"})
    active = fields.Boolean(load_default=True)
    note = fields.String(load_default=None, allow_none=True)


class AssignReviewer(ReviewRef):
    reviewer_id = Id(required=True)
    reason = Text(required=True, metadata={"description": "why this reviewer (recorded)"})


class DeclareInterest(ReviewRef):
    person_id = Id(required=True)
    interest = Text(required=True, metadata={"description": "the interest (利害关系) declared"})


class StopClock(ReviewRef):
    reason = fields.String(required=True,
                           metadata={"description": "a pause reason of the rule set"})
    stopped_at = When(required=True)
    note = fields.String(load_default=None, allow_none=True)


class ResumeClock(ReviewRef):
    resumed_at = When(required=True)
    note = fields.String(load_default=None, allow_none=True)


class ExtendDeadline(ReviewRef):
    reason = Text(required=True)
    approved_at = When(required=True)


class RecordFinding(ReviewRef):
    point = fields.String(required=True, metadata={"description": "a review point of the rule set"})
    result = fields.String(required=True, validate=validate.OneOf(["pass", "flaw", "fail"]))
    note = fields.String(load_default=None, allow_none=True)
    recorded_at = When(required=True)


class DocumentInfo(StrictSchema):
    """What the 意见书 prints that the review does not know; defaults are used otherwise."""
    doc_number = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^\S+〔\d{4}〕\d+号$"), metadata={"description": "文书编号, default from the case no."})
    submitting_unit = fields.String(load_default=None, allow_none=True,
                                    validate=validate.Length(max=60))
    submitting_unit_kind = fields.String(load_default=None, allow_none=True,
                                         validate=validate.Length(max=10))
    reviewing_unit = fields.String(load_default=None, allow_none=True,
                                   validate=validate.Length(max=60))


class IssueOpinion(ReviewRef):
    opinion = fields.String(required=True,
                            metadata={"description": "an opinion type of the rule set"})
    reasons = Text(required=True)
    issued_at = When(required=True)
    collective_discussion_required = fields.Boolean(load_default=False, metadata={
        "description": "the law requires 集体讨论 here (行政处罚法 第五十七条第二款); "
                       "always owed where the rule set says so (周村)"})
    document = fields.Nested(DocumentInfo, load_default=None, allow_none=True)


class ContestOpinion(ReviewRef):
    reason = Text(required=True)
    contested_at = When(required=True)


class RecordConsultation(ReviewRef):
    held_at = When(required=True)
    participants = fields.List(fields.String(), required=True, validate=validate.Length(min=2))
    summary = Text(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(
        ["opinion_accepted", "reviewers_to_revise", "no_agreement"]))


class HeadDecide(ReviewRef):
    outcome = fields.String(required=True, validate=validate.OneOf(["uphold", "replace"]))
    opinion = fields.String(load_default=None, allow_none=True,
                            metadata={"description": "the opinion that replaces it (replace)"})
    reasons = Text(required=True)
    decided_at = When(required=True)


class RecordCollectiveDiscussion(ReviewRef):
    held_at = When(required=True)
    participants = fields.List(fields.String(), required=True, validate=validate.Length(min=2))
    summary = Text(required=True)
    conclusion = fields.String(required=True, validate=validate.OneOf(["approve", "not_approve"]))


class ListReviews(StrictSchema):
    agency = Id(required=True)
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATES))
    case_id = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


# pages by cursor: how many items one call returns at most
MAX_REVIEWS_PAGE = 200
MAX_HISTORY_PAGE = 500


class ListReviewsPage(StrictSchema):
    """A page of the agency's reviews, newest requested first; follow `next` for the rest."""
    agency = Id(required=True)
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATES))
    case_id = fields.String(load_default=None, allow_none=True)
    limit = fields.Integer(load_default=50,
                           validate=validate.Range(min=1, max=MAX_REVIEWS_PAGE),
                           metadata={"description": f"reviews per page, at most "
                                                    f"{MAX_REVIEWS_PAGE}"})
    cursor = cursor_field()


class ReviewHistoryRef(ReviewRef):
    """One review with a page of its history, oldest first; follow `history_next`."""
    history_limit = fields.Integer(load_default=100,
                                   validate=validate.Range(min=1, max=MAX_HISTORY_PAGE),
                                   metadata={"description": f"history entries per page, at "
                                                            f"most {MAX_HISTORY_PAGE}"})
    history_cursor = cursor_field()


class AgencyRef(StrictSchema):
    agency = Id(required=True)


class CheckManualReview(StrictSchema):
    agency = Id(required=True)
    case_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    proposal_seq = fields.Integer(required=True, validate=validate.Range(min=1))
    act_type = fields.String(required=True, metadata={
        "description": "the proposal's act type (行政处罚法 第五十八条第二款 for penalties)"})
    reviewers = fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                            required=True, validate=validate.Length(min=1), metadata={
                                "description": "as the manual entry names them: person_id "
                                               "or name in the staff register"})


# ---- responses ------------------------------------------------------------------------------

class Finding(StrictSchema):
    result = fields.String(required=True)
    note = fields.String(allow_none=True)
    by = fields.String(required=True)
    at = fields.String(required=True)


class Review(StrictSchema):
    id = fields.String(required=True)
    agency = fields.String(required=True)
    ruleset = fields.String(required=True, validate=validate.Regexp(RULESET_REF))
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    case_title = fields.String(allow_none=True)
    proposal_seq = fields.Integer(required=True)
    decision = fields.Dict(required=True)
    party = fields.Dict(allow_none=True)
    classification = fields.Dict(required=True)
    handlers = fields.List(fields.String(), required=True)
    participants = fields.List(fields.String(), required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    requested_at = fields.DateTime(required=True, format="iso")
    requested_by = fields.String(required=True)
    source_message_id = fields.String(allow_none=True)
    materials = fields.List(fields.Dict(), required=True)
    applicable = fields.List(fields.String(), required=True)
    missing = fields.List(fields.Dict(), required=True,
                          metadata={"description": "materials still owed (returned if any)"})
    received_on = fields.String(allow_none=True)
    complete_on = fields.String(allow_none=True)
    clock_start = fields.String(allow_none=True)
    stops = fields.List(fields.Dict(), required=True)
    extension = fields.Dict(allow_none=True)
    deadline = fields.Nested(Deadline, allow_none=True,
                             metadata={"description":
                                       "null while the clock is stopped or not started"})
    first_deadline = fields.Nested(Deadline, allow_none=True)
    reminded_for = fields.String(allow_none=True)
    overdue_for = fields.String(allow_none=True)
    assignments = fields.List(fields.Dict(), required=True)
    interests = fields.List(fields.Dict(), required=True)
    findings = fields.Dict(keys=fields.String(), values=fields.Nested(Finding), required=True)
    opinion = fields.Dict(allow_none=True)
    disagreement = fields.Dict(allow_none=True)
    collective = fields.Dict(allow_none=True)
    document_info = fields.Dict(allow_none=True)
    updated_at = fields.DateTime(required=True, format="iso")
    history = fields.List(fields.Dict(), metadata={"description": "get_review only"})


_NEXT = "the cursor for the next page (pass it as `{}`); null on the last page"


class ReviewWithHistoryPage(Review):
    history = fields.List(fields.Dict(), required=True, metadata={
        "description": "a page of the review's history, oldest first"})
    history_next = fields.String(required=True, allow_none=True,
                                 metadata={"description": _NEXT.format("history_cursor")})


class ReviewPage(StrictSchema):
    items = fields.List(fields.Nested(Review), required=True)
    next = fields.String(required=True, allow_none=True,
                         metadata={"description": _NEXT.format("cursor")})


class StaffMember(StrictSchema):
    agency = fields.String(required=True)
    person_id = fields.String(required=True)
    name = fields.String(required=True)
    position = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)
    legal_qualification = fields.Boolean(required=True)
    qualification_no = fields.String(allow_none=True)
    prior_penalty_reviews = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    note = fields.String(allow_none=True)


class Staffing(StrictSchema):
    agency = fields.String(required=True)
    ruleset = fields.String(required=True)
    officers = fields.Integer(required=True)
    reviewers = fields.Integer(required=True)
    legally_qualified = fields.Integer(required=True)
    ratio_required = fields.String(required=True)
    ratio_actual = fields.String(allow_none=True)
    reviewers_required = fields.Integer(required=True)
    met = fields.Boolean(required=True)
    in_principle = fields.Boolean(required=True, metadata={
        "description": "原则上: the ratio is a principle, not a hard floor"})
    basis = fields.String(required=True)


class RegisterProblem(StrictSchema):
    code = fields.String(required=True, validate=validate.OneOf(
        ["not_registered", "ambiguous", "not_a_reviewer", "legal_qualification_required"]))
    message = fields.String(required=True)
    basis = fields.String(required=True)


class ReviewerCheck(StrictSchema):
    named = fields.String(required=True, metadata={"description": "as the entry names them"})
    person_id = fields.String(allow_none=True, metadata={"description": "null: not found"})
    name = fields.String(allow_none=True)
    problems = fields.List(fields.Nested(RegisterProblem), required=True,
                           metadata={"description": "empty: registered, a reviewer, qualified"})


class BoardReviewRef(StrictSchema):
    review_id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    opinion = fields.String(allow_none=True)


class ManualReviewCheck(StrictSchema):
    agency = fields.String(required=True)
    ruleset = fields.String(required=True, validate=validate.Regexp(RULESET_REF))
    review = fields.Nested(BoardReviewRef, allow_none=True, metadata={
        "description": "the board's own review of the proposal, if it holds one: a manual "
                       "entry would pre-empt or override it"})
    reviewers = fields.List(fields.Nested(ReviewerCheck), required=True)


class Copy(StrictSchema):
    copy = fields.Integer(required=True)
    destination = fields.String(required=True, validate=validate.OneOf(
        ["case_file", "review_archive", "other"]))
    label = fields.String(required=True)
    online_replaces_paper = fields.Boolean(required=True)


class OpinionDocument(StrictSchema):
    template_id = fields.String(required=True)
    copies = fields.List(fields.Nested(Copy), required=True)
    data = fields.Dict(required=True, metadata={
        "description": "fields of the renderer's legal_review_opinion template"})


# ---- events ---------------------------------------------------------------------------------

class _About(StrictSchema):
    review_id = fields.String(required=True)
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    proposal_seq = fields.Integer(required=True)


class ReviewRequested(_About):
    decision = fields.Nested(Decision, required=True)
    party = fields.Nested(Party, required=True)
    fired = fields.List(fields.Dict(), required=True)
    handlers = fields.List(fields.String(), required=True)
    requested_at = fields.String(required=True)


class MaterialsCompleted(_About):
    complete_on = fields.Date(required=True)
    clock_start = fields.Date(required=True)
    deadline = fields.Nested(Deadline, required=True)


class ClockStopped(_About):
    reason = fields.String(required=True)
    label = fields.String(required=True)
    basis = fields.String(required=True)
    stopped_on = fields.Date(required=True)
    note = fields.String(allow_none=True)


class ClockResumed(_About):
    reason = fields.String(required=True)
    stopped_on = fields.Date(required=True)
    resumed_on = fields.Date(required=True)
    deadline = fields.Nested(Deadline, required=True)


class FindingLine(StrictSchema):
    point = fields.String(required=True)
    result = fields.String(required=True, validate=validate.OneOf(["pass", "flaw", "fail"]))
    note = fields.String(allow_none=True)


class OpinionIssued(_About):
    opinion = fields.String(required=True, metadata={"description": "opinion code of the rule set"})
    label = fields.String(required=True)
    approving = fields.Boolean(required=True, metadata={
        "description": "the decision may be made on this opinion (when final)"})
    final = fields.Boolean(required=True, metadata={
        "description": "false while 集体讨论 is still owed (周村)"})
    stage = fields.String(required=True, validate=validate.OneOf(
        ["reviewers", "head_decision", "collective_discussion"]))
    reasons = fields.String(required=True)
    reviewers = fields.List(fields.String(), required=True)
    issued_at = fields.String(required=True)
    on_time = fields.Boolean(required=True)
    findings = fields.List(fields.Nested(FindingLine), required=True)
    collective = fields.Dict(allow_none=True)
    document = fields.Nested(OpinionDocument, required=True)


class ReviewOverdue(_About):
    due = fields.Date(required=True)
    deadline = fields.Nested(Deadline, required=True)
    days_overdue = fields.Integer(required=True, metadata={"description": "working days"})


class ReviewDueSoon(_About):
    due = fields.Date(required=True)
    deadline = fields.Nested(Deadline, required=True)
    workdays_left = fields.Integer(required=True)


# ---- finding work and the access log (1.2) ---------------------------------------------------


class MyReviews(StrictSchema):
    """A page of the reviews the caller is assigned to (active, not recused), newest
    requested first."""
    agency = Id(required=True)
    state = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(STATES))
    open_only = fields.Boolean(load_default=True, metadata={
        "description": "only reviews still before their opinion (awaiting materials, under "
                       "review, paused); false: every state"})
    limit = fields.Integer(load_default=50,
                           validate=validate.Range(min=1, max=MAX_REVIEWS_PAGE), metadata={
                               "description": f"reviews per page, at most {MAX_REVIEWS_PAGE}"})
    cursor = cursor_field()


class AccessLogQuery(access.AccessLogQuery):
    """A page of the agency's access log of the board, newest first (调阅监督: 002 第十九条;
    003)."""
    review_id = fields.String(load_default=None, allow_none=True,
                              validate=validate.Length(min=1, max=36),
                              metadata={"description": "only reads of this review"})


class AccessRow(access.AccessRow):
    review_id = fields.String(allow_none=True)


class AccessPage(access.AccessPage):
    items = fields.List(fields.Nested(AccessRow), required=True)
