"""Contents of the record keeper's text records, one schema per record type (000 第十四至三十条,
004 第三十一至四十三条). `append_record` carries one of these as `content`, chosen by
`record_type`; each is exported as a component schema `content.<record_type>`."""
from marshmallow import ValidationError, fields, validate, validates_schema

from shared.contracts.registry import StrictSchema

Text = lambda **kw: fields.String(validate=validate.Length(min=1, max=4000), **kw)
Name = lambda **kw: fields.String(validate=validate.Length(min=1, max=100), **kw)


class Officer(StrictSchema):
    name = Name(required=True)
    certificate_no = fields.String(required=True, validate=validate.Length(min=1, max=40),
                                   metadata={"description": "执法证件号"})
    certificate_shown = fields.Boolean(required=True, metadata={"description": "出示证件"})


class Attachment(StrictSchema):
    name = Name(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    object_ref = fields.String(load_default=None, allow_none=True)


class Signature(StrictSchema):
    role = fields.String(required=True, validate=validate.OneOf(
        ["handler", "unit_head", "agency_head", "party", "witness", "recorder", "reviewer"]))
    name = Name(required=True)
    signed_at = fields.Date(required=True)


class _Common(StrictSchema):
    title = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))
    document_no = fields.String(load_default=None, allow_none=True,
                                validate=validate.Length(max=64),
                                metadata={"description": "文书编号, e.g. 陵应急询〔2025〕12号"})
    officers = fields.List(fields.Nested(Officer), load_default=list)
    person_ids = fields.List(fields.String(), load_default=list,
                             metadata={"description": "persons of the case this record names"})
    attachments = fields.List(fields.Nested(Attachment), load_default=list)
    signatures = fields.List(fields.Nested(Signature), load_default=list)


class FilingApproval(StrictSchema):
    """立案审批表 (000 第十二条, 004 第二十八条)."""
    start_reason = Text(required=True, metadata={"description": "启动原因"})
    party_summary = Text(required=True, metadata={"description": "当事人基本情况"})
    known_facts = Text(required=True, metadata={"description": "掌握的事实情况"})
    handler_opinion = Text(required=True, metadata={"description": "承办人意见"})
    unit_opinion = Text(required=True, metadata={"description": "承办机构意见"})
    legal_basis = Text(required=True, metadata={"description": "法律依据"})
    head_opinion = Text(required=True, metadata={"description": "负责人意见"})
    signatures = fields.List(fields.Nested(Signature), required=True,
                             validate=validate.Length(min=1))
    approved_at = fields.AwareDateTime(required=True, format="iso")


class ApplicationReceipt(_Common):
    """受理 / 不予受理凭证 with seal and date (004 第二十九条)."""
    accepted = fields.Boolean(required=True)
    reason = Text(load_default=None, allow_none=True)
    sealed = fields.Boolean(required=True, metadata={"description": "加盖本机关印章"})
    issued_on = fields.Date(required=True)

    @validates_schema
    def _seal(self, data, **kw):
        if not data.get("sealed"):
            raise ValidationError("a receipt must carry the agency seal (004 第二十九条)", "sealed")
        if not data.get("accepted") and not data.get("reason"):
            raise ValidationError("a refusal must give its reason", "reason")


class CredentialsShown(_Common):
    """执法人员姓名、证件编号及出示情况 (000 第十四条, 004 第三十一条)."""
    officers = fields.List(fields.Nested(Officer), required=True, validate=validate.Length(min=2))


class InvestigationDocument(_Common):
    document_kind = fields.String(required=True, metadata={
        "description": "one of the rule set's records.investigation_document_kinds"})
    place = fields.String(load_default=None, allow_none=True)
    summary = Text(required=True)


class RightsNotice(_Common):
    rights = fields.List(fields.String(validate=validate.OneOf(
        ["statement", "defence", "hearing", "recusal", "reconsideration", "litigation"])),
        required=True, validate=validate.Length(min=1))
    notified_on = fields.Date(required=True)
    summary = Text(load_default=None, allow_none=True)


class StatementDefence(_Common):
    waived = fields.Boolean(required=True, metadata={"description": "当事人放弃陈述申辩"})
    summary = Text(required=True)


class HearingRecord(_Common):
    held_on = fields.Date(required=True)
    chair = Name(required=True)
    recorder = Name(required=True)
    summary = Text(required=True)
    participants_confirmed = fields.Boolean(required=True)
    refusal_to_sign_note = Text(load_default=None, allow_none=True)


class RefusalToCooperate(_Common):
    summary = Text(required=True, metadata={"description": "拒绝配合的情况"})
    witnesses = fields.List(Name(), load_default=list)


class EvidencePreservation(_Common):
    """证据保全 (000 第十九条): reason, object, form."""
    reason = Text(required=True)
    object = Text(required=True)
    form = fields.String(required=True, validate=validate.OneOf(
        ["registration_preservation", "copy", "audio_video", "appraisal", "survey",
         "inquiry_record"]))
    approved_by = Name(required=True)


class SealingSeizure(_Common):
    """查封 / 扣押 (行政强制措施), each act a record of its own — the decision (查封、扣押决定书)
    or the on-site record (现场笔录) of carrying it out, which AV must cover (000 第十七条（一）,
    002 第十条（一）（二）, 004 第二十五条). Taken to preserve evidence, it records what
    000 第十九条 asks of that: the reason, the object, the form."""
    document = fields.String(required=True, validate=validate.OneOf(
        ["decision", "onsite_record"]), metadata={
        "description": "decision: 查封（扣押）决定书; onsite_record: 现场笔录 of carrying it out"})
    reason = Text(required=True, metadata={"description": "理由 (000 第十九条（一）)"})
    objects = fields.List(Text(), required=True, validate=validate.Length(min=1), metadata={
        "description": "场所、设施或者财物, each with its description and quantity "
                       "(000 第十九条（二）)"})
    form = Text(required=True, metadata={
        "description": "形式, e.g. 加贴封条、扣押清单、异地保存 (000 第十九条（三）)"})
    place = Text(required=True)
    legal_basis = Text(required=True)
    approved_by = Name(required=True, metadata={"description": "行政机关负责人 who approved"})


class Sealing(SealingSeizure):
    """查封场所、设施或者财物."""


class Seizure(SealingSeizure):
    """扣押财物."""


class ReviewRecord(_Common):
    """审查记录 (000 第二十四条, 004 第三十四条)."""
    drafter = Name(required=True)
    reviewer = Name(required=True)
    legal_basis = Text(required=True)
    evidence = fields.List(Text(), required=True, validate=validate.Length(min=1))
    opinion = Text(required=True)


class ExpertOpinion(_Common):
    experts = fields.List(Name(), required=True, validate=validate.Length(min=1))
    opinion = Text(required=True)


DISCUSSION_OUTCOMES = ["decide", "revise", "do_not_decide", "refer"]


class CollectiveDiscussion(_Common):
    """集体讨论记录 (000 第二十四条（四）, 004 第三十七条): the agency's leaders decide on a
    proposal that passed legal review (004 第五十五条; 行政处罚法 第五十七条第二款)."""
    # no seed sets a quorum; "collective" needs more than one person, the rest is the agency's
    participants = fields.List(Name(), required=True, validate=validate.Length(min=2))
    minutes = Text(required=True)
    conclusion = Text(required=True)
    outcome = fields.String(load_default=None, allow_none=True,
                            validate=validate.OneOf(DISCUSSION_OUTCOMES), metadata={
        "description": "what the discussion decided on the proposal: decide (作出决定, as "
                       "proposed), revise (修改后重新提出: a new proposal follows), "
                       "do_not_decide (不予作出决定), refer (涉嫌犯罪，移送司法机关); only "
                       "decide lets the major decision be issued (004 第五十五条). Absent: the "
                       "gate reads it as deciding, as before this field existed"})
    proposal_seq = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=1), metadata={
        "description": "seq of the decision_proposed entry discussed; absent: the discussion "
                       "counts for any proposal whose review it follows"})


class SimpleProcedure(_Common):
    """The seven items of 000 第二十六条."""
    conditions = Text(required=True, metadata={"description": "适用简易程序的事实与法律条件"})
    steps_and_documents = Text(required=True)
    statements = Text(required=True)
    statement_review = Text(required=True)
    filing = Text(load_default=None, allow_none=True, metadata={"description": "备案内容"})
    on_spot_collection = Text(load_default=None, allow_none=True)
    other = Text(load_default=None, allow_none=True)


class ServiceLien(StrictSchema):
    refusal_reason = Text(required=True)
    refused_on = fields.Date(required=True)
    witnesses = fields.List(Name(), required=True, validate=validate.Length(min=1))


class ServicePublicNotice(StrictSchema):
    failed_methods = fields.List(fields.String(), required=True, validate=validate.Length(min=1),
                                 metadata={"description":
                                           "every other method tried and why it failed"})
    failure_account = Text(required=True)
    carrier = Text(required=True, metadata={"description": "公告的方式和载体"})


class Service(_Common):
    """送达 (000 第二十七条, 004 第三十九条)."""
    document = Text(required=True, metadata={"description": "the document served"})
    method = fields.String(required=True, metadata={
        "description": "one of the rule set's records.service_methods"})
    served_at = fields.AwareDateTime(required=True, format="iso")
    recipient = Name(required=True)
    signed_by = Name(load_default=None, allow_none=True)
    lien = fields.Nested(ServiceLien, load_default=None, allow_none=True)
    public_notice = fields.Nested(ServicePublicNotice, load_default=None, allow_none=True)
    reason = Text(load_default=None, allow_none=True,
                  metadata={"description": "why entrusted or forwarded"})
    tracking_no = fields.String(load_default=None, allow_none=True)

    @validates_schema
    def _by_method(self, data, **kw):
        method = data.get("method")
        if method == "lien" and not data.get("lien"):
            raise ValidationError("留置送达 must record refusal reason, date and witness", "lien")
        if method == "public_notice" and not data.get("public_notice"):
            raise ValidationError("公告送达 must record why every other method failed",
                                  "public_notice")
        if method in ("entrusted", "forwarded") and not data.get("reason"):
            raise ValidationError("委托/转交送达 must record the reason", "reason")
        if method == "post" and not data.get("tracking_no"):
            raise ValidationError("邮寄送达 must keep the registered-post number", "tracking_no")
        if method == "direct" and not data.get("signed_by"):
            raise ValidationError("直接送达 needs the signature on the 送达回证", "signed_by")


class Performance(_Common):
    performed = fields.Boolean(required=True)
    summary = Text(required=True)


class RectificationCheck(_Common):
    due_on = fields.Date(required=True)
    checked_on = fields.Date(required=True)
    rectified = fields.Boolean(required=True)
    summary = Text(required=True)


class Reminder(_Common):
    """催告书 (000 第二十九条)."""
    served_on = fields.Date(required=True)
    obligations = Text(required=True)
    deadline_text = Text(required=True)


class StatementReview(_Common):
    """复核 of statements/defence (000 第二十九条)."""
    statement = Text(required=True)
    adopted = fields.Boolean(required=True)
    reasons = Text(required=True)


class CoerciveExecution(_Common):
    """强制执行 (000 第三十条, 004 第四十二条); 排除妨碍、恢复原状、代履行 are filmed too
    (000 第十七条（二）, 004 第四十二条第二款)."""
    measure = fields.String(required=True, validate=validate.OneOf(
        ["additional_fine", "late_fee", "dispose_sealed_seized", "substitute_performance",
         "remove_obstruction", "restore_original_state", "other"]))
    summary = Text(required=True)


class CourtEnforcement(_Common):
    applied_on = fields.Date(required=True)
    court = Name(required=True)
    summary = Text(required=True)
    result = Text(load_default=None, allow_none=True)


class ReleaseRecipient(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(
        ["reconsideration_body", "court", "procuratorate", "supervisory_commission",
         "public_security", "other_agency", "party", "officer", "public", "other"]),
        metadata={"description": "officer: an enforcement officer personally (004 第四十四条); "
                                 "public: published, e.g. on the internet (000 第三十三条)"})
    name = Name(required=True)


class ReleaseApproval(StrictSchema):
    approved_by = Name(required=True)
    approver_role = fields.String(required=True, validate=validate.OneOf(
        ["agency_head", "legal_unit", "unit_head", "other"]), metadata={
        "description": "agency_head: 行政机关负责人 (002 第十八条第一款)"})
    approved_at = fields.AwareDateTime(required=True, format="iso")


class ReleasedItem(StrictSchema):
    description = Text(required=True, metadata={"description": "案卷、文字记录或音像记录"})
    seq = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1),
                         metadata={"description": "the case entry released, where it is one"})
    object_ref = fields.String(load_default=None, allow_none=True,
                               validate=validate.Length(min=1, max=500))


class ExternalRelease(_Common):
    """对外提供: case records provided outside the enforcement procedure (000 第三十三条,
    002 第二十条第二款, 004 第四十五条, 001 附件2 第六条). Recorded as it happened, with or
    without approval: a release without what the rule set requires is a finding
    (004 第五十七条（七）), not a refused record. The release time is the entry's occurred_at."""
    recipient = fields.Nested(ReleaseRecipient, required=True)
    purpose = Text(required=True)
    legal_basis = Text(required=True,
                       metadata={"description": "the procedure it is released under"})
    approval = fields.Nested(ReleaseApproval, load_default=None, allow_none=True,
                             metadata={"description": "who approved it and when; null: none"})
    released = fields.List(fields.Nested(ReleasedItem), required=True,
                           validate=validate.Length(min=1), metadata={"description": "what"})


class SourceNotice(_Common):
    """告知案源提供人: the source of a complaint or a referral told how the case it started
    went and how it ended (004 第三十条第二款 “依法决定启动…应当及时将执法情况、执法结果等
    事项告知案源提供单位或者个人，并记录告知情况”). The notice of not starting is
    decide_source's."""
    recipient = Name(required=True, metadata={"description": "案源提供单位或者个人"})
    method = fields.String(required=True, validate=validate.OneOf(
        ["written", "phone", "sms", "email", "in_person", "system"]))
    notified_at = fields.AwareDateTime(required=True, format="iso")
    told = Text(required=True, metadata={"description": "告知的执法情况、执法结果"})


class Note(_Common):
    summary = Text(required=True)


CONTENT = {
    "application_receipt": ApplicationReceipt, "credentials_shown": CredentialsShown,
    "investigation_document": InvestigationDocument, "rights_notice": RightsNotice,
    "statement_defence": StatementDefence, "hearing_record": HearingRecord,
    "refusal_to_cooperate": RefusalToCooperate, "evidence_preservation": EvidencePreservation,
    "sealing": Sealing, "seizure": Seizure,
    "review_record": ReviewRecord, "expert_opinion": ExpertOpinion,
    "collective_discussion": CollectiveDiscussion, "simple_procedure": SimpleProcedure,
    "service": Service, "performance": Performance, "rectification_check": RectificationCheck,
    "reminder": Reminder, "statement_review": StatementReview,
    "coercive_execution": CoerciveExecution, "court_enforcement": CourtEnforcement,
    "external_release": ExternalRelease, "source_notice": SourceNotice, "note": Note,
}
