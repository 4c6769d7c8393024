"""Request, response and event schemas of the archive vault (vault), major version 1.
RPC methods take keyword arguments only; each request schema describes those kwargs."""
from marshmallow import fields, validate

from contracts.records.messages import Empty  # noqa: F401 (re-export)
from contracts.records.messages import Health as ServiceHealth
from shared.contracts.registry import RULESET_REF, StrictSchema

SUBJECTS = ["av", "case_file", "text_record"]
OUTCOMES = ["pass", "fail", "missing", "repaired"]
Id = lambda **kw: fields.String(validate=validate.Length(min=1, max=64), **kw)
Uuid = lambda **kw: fields.String(validate=validate.Regexp(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    error="must be a lower-case UUID"), **kw)
Sha256 = lambda **kw: fields.String(validate=validate.Regexp(
    r"^[0-9a-f]{64}$", error="must be 64 lower-case hex digits"), **kw)
When = lambda **kw: fields.AwareDateTime(format="iso", **kw)
Reason = lambda **kw: fields.String(validate=validate.Length(min=1, max=2000), **kw)
Code = lambda **kw: fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$"), **kw)


class BeginUpload(StrictSchema):
    agency = Id(required=True)
    subject = fields.String(required=True, validate=validate.OneOf(SUBJECTS), metadata={
        "description": "what the object is: av (音像记录), case_file (执法案卷), text_record"})
    sha256 = Sha256(required=True, metadata={"description": "the SHA-256 of the whole file, "
                                                            "checked when the upload completes"})
    sm3 = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(
        r"^[0-9a-f]{64}$", error="must be 64 lower-case hex digits"),
        metadata={"description": "its SM3 digest, checked where given or asked by the rule set"})
    size = fields.Integer(required=True, validate=validate.Range(min=1, max=2 ** 40),
                          metadata={"description": "bytes; an upload may not exceed it"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    media_type = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z]+/[a-z0-9.+-]+$", error="must be a media type such as video/mp4"))
    case_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=36))
    facts = fields.List(Code(), load_default=list, metadata={
        "description": "retention conditions that hold (rule set retention.classes conditions), "
                       "e.g. penalty_evidence"})
    term = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64),
                         metadata={"description": "an archives term longer than the agency's "
                                                  "(case files)"})
    legal_hold = fields.Boolean(load_default=False)


class RetentionView(StrictSchema):
    class_ = fields.String(required=True, data_key="class", attribute="class")
    label = fields.String(required=True)
    basis = fields.String(required=True)
    ruleset = fields.String(required=True, validate=validate.Regexp(RULESET_REF))
    years = fields.Integer(required=True, allow_none=True)
    permanent = fields.Boolean(required=True)
    term = fields.String(required=True, allow_none=True)
    term_basis = fields.String(required=True, allow_none=True)


class UploadTarget(StrictSchema):
    upload_id = Uuid(required=True)
    method = fields.String(required=True)
    url = fields.String(required=True, metadata={
        "description": "where to send the bytes: a presigned PUT (S3) or the vault's upload "
                       "endpoint (local store), valid until expires_at"})
    headers = fields.Dict(required=True)
    parts = fields.List(fields.Dict(), required=True, metadata={
        "description": "for a large file on S3 (url then empty): [{part_number, offset, size, "
                       "url}] — PUT each part's bytes to its own presigned url, then call "
                       "complete_upload; empty for a single PUT"})
    expires_at = When(required=True)
    retention = fields.Nested(RetentionView, required=True)


class UploadRef(StrictSchema):
    upload_id = Uuid(required=True)


class ObjectRef(StrictSchema):
    object_id = Uuid(required=True)


class FixityEvent(StrictSchema):
    at = When(required=True)
    algorithm = fields.String(required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    copy = fields.String(required=True, validate=validate.OneOf(["primary", "replica"]))
    detail = fields.Dict(required=True, allow_none=True)


# a rendered document travels in the request (base64): at most this many bytes
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024
FORMATS = ["docx", "pdf"]


class DocumentStamp(StrictSchema):
    """What a rendered document was made from (the renderer's stamp), kept on its object."""
    render_id = Uuid(required=True, metadata={"description": "the render that made it"})
    format = fields.String(required=True, validate=validate.OneOf(FORMATS))
    template_id = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z][a-z0-9_]{0,63}$", error="must be a template id"))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    template_sha256 = Sha256(required=True, metadata={"description": "of the template's bytes"})
    data_sha256 = Sha256(required=True, metadata={"description": "of the data rendered"})


class StoreDocument(DocumentStamp):
    agency = Id(required=True, metadata={"description": "the agency the document is of (the "
                                                        "service token's agency)"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    media_type = fields.String(required=True, validate=validate.OneOf([
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/pdf"]))
    sha256 = Sha256(required=True, metadata={"description": "of the bytes: the vault checks it"})
    size = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_DOCUMENT_BYTES))
    content_base64 = fields.String(required=True, validate=[
        validate.Length(min=4, max=4 * ((MAX_DOCUMENT_BYTES + 2) // 3)),
        validate.Regexp(r"^[A-Za-z0-9+/]*={0,2}$", error="must be base64 (RFC 4648)")],
        metadata={"description": f"the bytes, base64; at most {MAX_DOCUMENT_BYTES} bytes"})
    case_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=36),
                            metadata={"description": "the case the document belongs to, where "
                                                     "the render names one: its archive "
                                                     "package includes it"})


# an attachment to a request to correct a publication (store_attachment): what the disclosure
# publisher's scan lets through, at most this many bytes each
MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024
ATTACHMENT_TYPES = ["application/pdf", "image/jpeg", "image/png", "text/plain"]


class StoreAttachment(StrictSchema):
    """An attachment to a request to correct a publication, sent by the disclosure publisher as
    itself once its scan passed (services.disclosure.domain.attachments)."""
    agency = Id(required=True, metadata={"description": "the agency the request is made to"})
    submission_id = Uuid(required=True, metadata={"description": "the portal submission it "
                                                                 "came with"})
    index = fields.Integer(required=True, validate=validate.Range(min=0, max=99), metadata={
        "description": "its place among the submission's attachments"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    media_type = fields.String(required=True, validate=validate.OneOf(ATTACHMENT_TYPES),
                               metadata={"description": "the type sniffed from the content"})
    sha256 = Sha256(required=True, metadata={"description": "of the bytes: the vault checks it"})
    size = fields.Integer(required=True,
                          validate=validate.Range(min=1, max=MAX_ATTACHMENT_BYTES))
    content_base64 = fields.String(required=True, validate=[
        validate.Length(min=4, max=4 * ((MAX_ATTACHMENT_BYTES + 2) // 3)),
        validate.Regexp(r"^[A-Za-z0-9+/]*={0,2}$", error="must be base64 (RFC 4648)")],
        metadata={"description": f"the bytes, base64; at most {MAX_ATTACHMENT_BYTES} bytes"})


class StoredObject(StrictSchema):
    id = Uuid(required=True)
    agency = fields.String(required=True)
    subject = fields.String(required=True)
    name = fields.String(required=True)
    media_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = Sha256(required=True)
    digests = fields.Dict(required=True)
    case_id = fields.String(required=True, allow_none=True)
    facts = fields.List(fields.String(), required=True)
    retention = fields.Nested(RetentionView, required=True)
    retain_until = fields.Date(required=True, allow_none=True, metadata={
        "description": "the last day kept; null: permanently"})
    lock_mode = fields.String(required=True, validate=validate.OneOf(["COMPLIANCE",
                                                                     "GOVERNANCE"]))
    legal_hold = fields.Boolean(required=True)
    state = fields.String(required=True, validate=validate.OneOf(["stored", "disposed"]))
    store = fields.String(required=True)
    replica = fields.String(required=True, allow_none=True)
    stored_at = When(required=True)
    stored_by = fields.String(required=True)
    last_fixity_at = When(required=True, allow_none=True)
    last_fixity_outcome = fields.String(required=True, allow_none=True)
    fixity = fields.List(fields.Nested(FixityEvent), load_default=list)
    stamp = fields.Nested(DocumentStamp, load_default=None, allow_none=True, metadata={
        "description": "a rendered document's stamp (what it was made from); null for "
                       "anything else. New in 1.2"})


class SetLegalHold(StrictSchema):
    object_id = Uuid(required=True)
    on = fields.Boolean(required=True)
    reason = Reason(required=True)


class RequestDisposal(StrictSchema):
    object_id = Uuid(required=True)
    reason = Reason(required=True)


class DisposalRef(StrictSchema):
    disposal_id = Uuid(required=True)
    note = fields.String(load_default=None, allow_none=True,
                         validate=validate.Length(max=2000))


class Disposal(StrictSchema):
    id = Uuid(required=True)
    object_id = Uuid(required=True)
    agency = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(["requested", "approved"]))
    reason = fields.String(required=True)
    requested_by = fields.String(required=True)
    requested_at = When(required=True)
    approved_by = fields.String(required=True, allow_none=True)
    approved_at = When(required=True, allow_none=True)
    note = fields.String(required=True, allow_none=True)
    sha256 = Sha256(required=True)
    retention = fields.Nested(RetentionView, required=True)


class AuditFixity(StrictSchema):
    agency = Id(required=True)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=10000))


class AuditReport(StrictSchema):
    agency = fields.String(required=True)
    audited = fields.Integer(required=True)
    outcomes = fields.Dict(required=True, metadata={
        "description": "count per outcome: pass, fail, missing, repaired"})


# ---- events -----------------------------------------------------------------------------------

class ObjectStored(StrictSchema):
    object_id = Uuid(required=True)
    subject = fields.String(required=True)
    sha256 = Sha256(required=True)
    digests = fields.Dict(required=True)
    size = fields.Integer(required=True)
    name = fields.String(required=True)
    media_type = fields.String(required=True)
    case_id = fields.String(required=True, allow_none=True)
    retention = fields.Nested(RetentionView, required=True)
    retain_until = fields.Date(required=True, allow_none=True)
    legal_hold = fields.Boolean(required=True)
    stored_at = When(required=True)


class FixityFailed(StrictSchema):
    object_id = Uuid(required=True)
    sha256 = Sha256(required=True)
    copy = fields.String(required=True, validate=validate.OneOf(["primary", "replica"]))
    outcome = fields.String(required=True, validate=validate.OneOf(["fail", "missing"]))
    algorithm = fields.String(required=True)
    found = fields.String(required=True, allow_none=True)
    repaired = fields.Boolean(required=True, metadata={
        "description": "restored from the other copy, whose digest matched the record"})
    at = When(required=True)


class ObjectDisposed(StrictSchema):
    object_id = Uuid(required=True)
    disposal_id = Uuid(required=True)
    sha256 = Sha256(required=True)
    requested_by = fields.String(required=True)
    approved_by = fields.String(required=True)
    at = When(required=True)


# ---- case archive packages (1.1) ---------------------------------------------------------------

class PackageRef(StrictSchema):
    package_id = Uuid(required=True)


class PackageCheck(StrictSchema):
    check = fields.String(required=True)
    passed = fields.Boolean(required=True)
    detail = fields.String(required=True)


class PackageAspect(StrictSchema):
    passed = fields.Boolean(required=True)
    checks = fields.List(fields.Nested(PackageCheck), required=True)


class PackageReport(StrictSchema):
    """A package's 四性检测 report (DA/T 70): authenticity, integrity, usability, security."""
    package_id = Uuid(required=True)
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    head_seq = fields.Integer(required=True)
    head_hash = fields.String(required=True)
    package_sha256 = Sha256(required=True)
    checked_at = When(required=True)
    standard = fields.String(required=True)
    passed = fields.Boolean(required=True)
    authenticity = fields.Nested(PackageAspect, required=True, metadata={
        "description": "真实性: entry hashes recomputed and linked, the head's checkpoint "
                       "signed by a pinned key, every file hashing to its manifest digest"})
    integrity = fields.Nested(PackageAspect, required=True, metadata={
        "description": "完整性: every item present and nothing unlisted, the entries as many as "
                       "the chain counts, every AV object named held by the vault"})
    usability = fields.Nested(PackageAspect, required=True, metadata={
        "description": "可用性: each file opens in its format"})
    security = fields.Nested(PackageAspect, required=True, metadata={
        "description": "安全性: stored under a lock as long as its class, replica present"})


class PackageStored(StrictSchema):
    package_id = Uuid(required=True)
    case_id = fields.String(required=True)
    case_no = fields.String(required=True)
    head_seq = fields.Integer(required=True)
    head_hash = fields.String(required=True)
    object_id = Uuid(required=True, metadata={"description": "the bag (a tar), as an object"})
    sha256 = Sha256(required=True)
    report_object_id = Uuid(required=True, metadata={
        "description": "its 四性检测 report, stored beside it as an object"})
    passed = fields.Boolean(required=True)
    archived_at = When(required=True, allow_none=True)
    archive_seq = fields.Integer(required=True, allow_none=True, metadata={
        "description": "the case_archived entry the record keeper appended; null where the "
                       "case had been archived already"})


# ---- health -----------------------------------------------------------------------------

class AgencyRetention(StrictSchema):
    ruleset = fields.String(required=True, metadata={"description": "id@version"})
    classes = fields.List(fields.String(), required=True, metadata={
        "description": "the retention classes the rule set sets (retention.classes codes)"})
    archives_term = fields.String(required=True, allow_none=True, metadata={
        "description": "the archives term its case files take (retention.archives_term)"})
    digests = fields.List(fields.String(), required=True, metadata={
        "description": "what every object is recorded with (sha256, and sm3 where asked)"})


class Health(ServiceHealth):
    store = fields.String(required=True, validate=validate.OneOf(["local", "s3"]), metadata={
        "description": "the storage backend: local (a write-once directory) or s3 (object lock)"})
    retention_mode = fields.String(required=True, validate=validate.OneOf(["COMPLIANCE",
                                                                           "GOVERNANCE"]))
    replica = fields.String(required=True, allow_none=True, metadata={
        "description": "the replica's backend (local or s3); null: no replica configured"})
    fixity_cycle_days = fields.Integer(required=True, metadata={
        "description": "every object is re-read and checked within this many days"})
    retention = fields.Dict(keys=fields.String(), values=fields.Nested(AgencyRetention),
                            required=True, metadata={
                                "description": "per agency served: the rule set its "
                                               "retention comes from"})


# ---- the record keeper's statements kept write-once (1.2) -----------------------------------

class CaseAnchorRef(StrictSchema):
    agency = Id(required=True)
    case_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class AgencyRef(StrictSchema):
    agency = Id(required=True)


class AnchoredCheckpoint(StrictSchema):
    """A case checkpoint the vault verified under a pinned key and keeps write-once."""
    agency = fields.String(required=True)
    case_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    head_hash = Sha256(required=True)
    leaf_index = fields.Integer(required=True)
    signed_at = fields.String(required=True)
    key_id = fields.String(required=True)
    signature = fields.String(required=True)
    statement = fields.String(required=True, metadata={"description": "exactly what was signed"})
    object_id = fields.String(required=True, metadata={"description": "the object holding it"})
    store = fields.String(required=True)
    stored_at = When(required=True)


class AnchoredTreeHead(StrictSchema):
    """A signed tree head of an agency's Merkle log of checkpoints, verified under a pinned key
    and as consistent with the one kept before it, kept write-once for ever."""
    agency = fields.String(required=True)
    size = fields.Integer(required=True)
    root = Sha256(required=True)
    signed_at = fields.String(required=True)
    key_id = fields.String(required=True)
    signature = fields.String(required=True)
    statement = fields.String(required=True)
    object_id = fields.String(required=True)
    store = fields.String(required=True)
    stored_at = When(required=True)


class PinnedKey(StrictSchema):
    key_id = fields.String(required=True)
    signer = fields.String(required=True, metadata={"description": "the service whose key"})
    public_key = fields.String(required=True, metadata={"description": "Ed25519, PEM"})
    sha256 = Sha256(required=True, metadata={"description": "of the PEM, as stored"})
    pinned_at = When(required=True)


class PinnedKeys(StrictSchema):
    keys = fields.List(fields.Nested(PinnedKey), required=True)


class AnchorRefused(StrictSchema):
    """An alert: a statement of the record keeper the vault refused to keep."""
    what = fields.String(required=True, validate=validate.OneOf(["checkpoint", "tree_head"]))
    rule = Code(required=True, metadata={"description": "unpinned_key | signature_invalid | "
                                                        "statement_mismatch | inconsistent | "
                                                        "conflict"})
    reason = fields.String(required=True)
    case_id = fields.String(load_default=None, allow_none=True)
    seq = fields.Integer(load_default=None, allow_none=True)
    size = fields.Integer(load_default=None, allow_none=True)
    key_id = fields.String(load_default=None, allow_none=True)
    message_id = fields.String(required=True, metadata={"description": "the refused event"})
    at = When(required=True)


class DocumentContent(StrictSchema):
    """A rendered document's bytes, as the vault keeps them (1.3: read_document)."""
    id = Uuid(required=True)
    agency = fields.String(required=True)
    media_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = Sha256(required=True)
    content_base64 = fields.String(required=True, metadata={
        "description": "the object's bytes, base64; checked against its SHA-256 as read"})
