"""Contract of the archive vault (vault), major version 1: its RPC methods and events, each with
an example a non-Python caller can copy.

1.1: a closed case's archive package (records.archive_due.v1 consumed): verify_package and
package_stored.v1 — additive.

1.2: store_document — the renderer, as itself (a service token: "service:renderer"), stores each
document it renders, write-once under the case-file retention class, its stamp kept on the
object (StoredObject.stamp, null for anything else) — additive. Also in 1.2: the record keeper's
signed checkpoints and its agency Merkle log's signed tree heads (records.checkpoint_signed.v1,
records.tree_head_signed.v1 consumed) verified under the record keeper's checkpoint keys the
vault pins write-once, and kept write-once; latest_checkpoint, latest_tree_head and
checkpoint_keys read them, anchor_refused.v1 says what was refused — additive.

1.3 (the disclosure publisher's tree heads): disclosure.tree_head_signed.v1 consumed — each
agency log of public acts' signed tree head verified under the disclosure log key the vault pins
(as it pins the record keeper's checkpoint keys), checked consistent with the last one kept of
that log, and kept write-once and permanently; refused with anchor_refused.v1 — additive. The
RPCs keep reading the record keeper's log.

1.3: store_attachment — the disclosure publisher, as itself ("service:disclosure"), stores each
attachment of a request to correct a publication sent through the public portal, once its scan
passed: write-once under the case-file retention class, subject `attachment`, no stamp; never
served back to the public — additive.

1.3: read_document — a rendered document's bytes (a stored object with a renderer's stamp), read
and checked against its SHA-256, for the disclosure publisher as itself
("service:disclosure"), which copies a published annual report's PDF to the public portal —
additive."""
from contracts.vault import messages as m
from shared.contracts import operations
from shared.contracts.registry import (
    CALENDAR_COVERAGE_EXAMPLE,
    Contract,
    Event,
    Rpc,
    service_grant,
)

VERSION = "1.4.0"

ANCHORED_CHECKPOINT = {
    "agency": "lingchuan-emergency", "case_id": "6cbf93bd-adaf-46d6-b5bb-16d0a74f1429",
    "seq": 12, "head_hash": "4598a87f11d63dc051e260172199a488c816656d8ca82cb5725b4034172c5818",
    "leaf_index": 41, "signed_at": "2025-10-27T10:00:01+00:00", "key_id": "a1b2c3d4e5f60718",
    "signature": "base64…", "statement": "{\"case_id\":\"…\"}",
    "object_id": "2d7c8b40-5a9c-4f3e-9b1d-4c0e9a573f1e", "store": "local",
    "stored_at": "2025-10-27T10:00:02+00:00"}
ANCHORED_TREE_HEAD = {
    "agency": "lingchuan-emergency", "size": 42,
    "root": "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    "signed_at": "2025-10-27T10:00:01+00:00", "key_id": "a1b2c3d4e5f60718",
    "signature": "base64…", "statement": "{\"agency\":\"…\"}",
    "object_id": "3e8d9c51-6bad-4a4f-8c2e-5d1fab684a2f", "store": "local",
    "stored_at": "2025-10-27T10:00:02+00:00"}
PINNED_KEY = {"key_id": "a1b2c3d4e5f60718", "signer": "records",
              "public_key": "-----BEGIN PUBLIC KEY-----…",
              "sha256": "9f2c4e8b1d7a6c3e5f0a2b4d6e8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f",
              "pinned_at": "2025-10-01T00:00:00+00:00"}

# the record keeper, as itself (a service token), reads what it anchored here for verify_case
RECORDS = service_grant("records")
UPLOAD_ROLES = ("officer", "head", "legal_unit")
READ_ROLES = ("officer", "head", "legal_unit", "supervisor")
HOLD_ROLES = ("head", "legal_unit", "supervisor")
UPLOAD_ID = "6f1c1d0e-8f5b-4c1a-9d2e-3b4a5c6d7e8f"
OBJECT_ID = "2d7c8b40-5a9c-4f3e-9b1d-4c0e9a573f1e"
DISPOSAL_ID = "9a573f1e-2d7c-4b40-8a9c-1f3e6b1d4c0e"
CASE_ID = "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
SM3 = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
RETENTION = {"class": "av_permanent", "label": "应当永久保存的执法音像资料",
             "basis": "000《全过程记录办法》第三十六条第一款（一）至（四）",
             "ruleset": "qinyuan-energy@1", "years": None, "permanent": True, "term": None,
             "term_basis": None}
AV_DEFAULT = {"class": "av_default", "label": "执法音像资料（一般）",
              "basis": "000《全过程记录办法》第三十六条第一款（原则上不得少于2年）",
              "ruleset": "qinyuan-energy@1", "years": 2, "permanent": False, "term": None,
              "term_basis": None}
OBJECT = {"id": OBJECT_ID, "agency": "qinyuan-energy", "subject": "av",
          "name": "现场检查执法记录仪视频.mp4", "media_type": "video/mp4", "size": 734003200,
          "sha256": SHA256, "digests": {"sha256": SHA256}, "case_id": CASE_ID,
          "facts": ["penalty_evidence"], "retention": RETENTION, "retain_until": None,
          "lock_mode": "COMPLIANCE", "legal_hold": False, "state": "stored", "store": "local",
          "replica": "ok", "stored_at": "2025-10-20T01:30:00+00:00", "stored_by": "officer-qy-007",
          "last_fixity_at": "2025-11-02T16:00:00+00:00", "last_fixity_outcome": "pass",
          "fixity": [{"at": "2025-11-02T16:00:00+00:00", "algorithm": "sha256",
                      "outcome": "pass", "copy": "primary", "detail": None}]}
DISPOSAL = {"id": DISPOSAL_ID, "object_id": OBJECT_ID, "agency": "qinyuan-energy",
            "state": "requested", "reason": "保存期限届满，无证据用途", "requested_by": "head-qy-001",
            "requested_at": "2027-11-02T01:00:00+00:00", "approved_by": None,
            "approved_at": None, "note": None, "sha256": SHA256, "retention": AV_DEFAULT}
PACKAGE_ID = "0c11e7a2-5b0c-4f0e-8a51-3c559d7e2f5f"
PACKAGE_SHA256 = "4f1e0c9d8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a190807f6e"
CHECKS = {
    "authenticity": [("chain_recomputed", "every entry hashes to its entry_hash, linked to the "
                                          "one before"),
                     ("checkpoint_signed", "signed by a1b2c3d4e5f60718 at "
                                           "2025-11-21T02:00:00+00:00")],
    "integrity": [("files_present", "every file listed is present"),
                  ("entries_count", "20 entries, seq 1..20; the chain counts 20")],
    "usability": [("opens:data/entries.jsonl", "20 JSON lines")],
    "security": [("stored_under_lock", "COMPLIANCE until permanently"),
                 ("replica_present", "the replica holds the same digest")]}
REPORT = {"package_id": PACKAGE_ID, "case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号",
          "head_seq": 20, "head_hash": SHA256, "package_sha256": PACKAGE_SHA256,
          "checked_at": "2025-11-21T02:00:05+00:00",
          "standard": "DA/T 70-2018 文书类电子档案检测一般要求（四性检测）", "passed": True,
          **{aspect: {"passed": True, "checks": [{"check": c, "passed": True, "detail": d}
                                                 for c, d in found]}
             for aspect, found in CHECKS.items()}}
RENDER_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
DOCX_SHA256 = "7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730"
STAMP = {"render_id": RENDER_ID, "format": "docx", "template_id": "penalty_decision",
         "version": 1,
         "template_sha256": "3a7bd3e2360a3d29eea436fcfb7e44c735d117c42d1c1835420b6b9942dd4f1b",
         "data_sha256": "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"}
CASE_FILE = {"class": "case_file", "label": "行政执法案卷（文字和音像记录资料）",
             "basis": "000《全过程记录办法》第三十二条第一款（按《档案法》及有关规定保管）",
             "ruleset": "qinyuan-energy@1", "years": None, "permanent": True,
             "term": "permanent",
             "term_basis": "000《全过程记录办法》第三十二条（按《档案法》及有关规定保管）；"
                           "机关按其档案保管期限表确定"}
DOCUMENT = dict(OBJECT, id="8c2f0a4e-1b7d-4e9a-a3c5-6d0f2b8e4a17", subject="document",
                name="行政处罚决定书.docx",
                media_type="application/vnd.openxmlformats-officedocument.wordprocessingml"
                           ".document", size=18234, sha256=DOCX_SHA256,
                digests={"sha256": DOCX_SHA256}, facts=[], retention=CASE_FILE,
                stored_by="renderer", last_fixity_at=None, last_fixity_outcome=None,
                fixity=[], stamp=STAMP)
WRITE_ERRORS = ("validation_failed", "not_found", "domain_rule_violated", "forbidden",
                "unauthenticated")

RPCS = (
    Rpc("health", m.Empty, m.Health, "Service name, version, rule sets and contract versions, "
        "how far the legal calendar reaches; the storage backend, retention mode and replica, "
        "and per agency the rule set its retention comes from. Open to any caller, no token.",
        ("any",), {},
        {"service": "vault", "version": "0.1.0", "rulesets": ["qinyuan-energy@1"],
         "contracts": {"contract": VERSION, "events": ["fixity_failed.v1", "object_disposed.v1",
                                                       "object_stored.v1",
                                                       "package_stored.v1",
                                                       "anchor_refused.v1"]},
         "missing_peers": [], "calendar": CALENDAR_COVERAGE_EXAMPLE,
         **operations.example("vault"), "store": "s3",
         "retention_mode": "COMPLIANCE", "replica": "s3", "fixity_cycle_days": 90,
         "retention": {"qinyuan-energy": {
             "ruleset": "qinyuan-energy@1",
             "classes": ["av_default", "av_permanent", "av_evidence_disc", "case_file"],
             "archives_term": "permanent", "digests": ["sha256"]}}}, writes=False),
    Rpc("begin_upload", m.BeginUpload, m.UploadTarget,
        "Announce a file (its SHA-256, size, what it is and the retention conditions that hold) "
        "and get where to send its bytes: a presigned PUT into the S3 staging bucket, or the "
        "vault's upload endpoint for the local store. Nothing is stored until complete_upload.",
        UPLOAD_ROLES,
        {"agency": "qinyuan-energy", "subject": "av", "sha256": SHA256, "sm3": None,
         "size": 734003200, "name": "现场检查执法记录仪视频.mp4", "media_type": "video/mp4",
         "case_id": CASE_ID, "facts": ["penalty_evidence"], "term": None, "legal_hold": False},
        {"upload_id": UPLOAD_ID, "method": "PUT",
         "url": f"http://vault.example:8000/vault/uploads/{UPLOAD_ID}", "headers": {},
         "parts": [], "expires_at": "2025-10-20T03:30:00+00:00", "retention": RETENTION},
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden",
         "unauthenticated")),
    Rpc("complete_upload", m.UploadRef, m.StoredObject,
        "The bytes are sent: the vault reads them back in chunks, checks their SHA-256 (and "
        "SM3), stores them write-once under their retention class (and the replica), and emits "
        "object_stored.v1. The same content of an agency is stored once; a second upload of it "
        "answers the stored object, its retention extended where the new class keeps longer.",
        UPLOAD_ROLES, {"upload_id": UPLOAD_ID}, dict(OBJECT, fixity=[], last_fixity_at=None,
                                                     last_fixity_outcome=None),
        WRITE_ERRORS),
    Rpc("get_object", m.ObjectRef, m.StoredObject,
        "An object: its digests, retention class with the rule and rule set that set it, "
        "legal hold, and its fixity events (the latest 20).", READ_ROLES,
        {"object_id": OBJECT_ID}, OBJECT,
        ("validation_failed", "not_found", "forbidden", "unauthenticated"), writes=False),
    Rpc("set_legal_hold", m.SetLegalHold, m.StoredObject,
        "Put a legal hold on an object or lift it (independent of its retention: a held "
        "object is kept past its retention until the hold is lifted).", HOLD_ROLES,
        {"object_id": OBJECT_ID, "on": True, "reason": "行政复议案件证据保全"},
        dict(OBJECT, legal_hold=True), WRITE_ERRORS),
    Rpc("request_disposal", m.RequestDisposal, m.Disposal,
        "Ask for an object to be disposed of once its retention has expired and no legal hold "
        "is on it; nothing expires silently.", ("head", "legal_unit"),
        {"object_id": OBJECT_ID, "reason": "保存期限届满，无证据用途"}, DISPOSAL, WRITE_ERRORS),
    Rpc("approve_disposal", m.DisposalRef, m.Disposal,
        "Approve a disposal asked for by someone else: the object is deleted from the store "
        "and its replica, and the disposal record (who asked, who approved, its digest and "
        "retention) is kept.", ("head", "supervisor"),
        {"disposal_id": DISPOSAL_ID, "note": "经审核同意"},
        dict(DISPOSAL, state="approved", approved_by="supervisor-qy-002",
             approved_at="2027-11-03T02:00:00+00:00", note="经审核同意"), WRITE_ERRORS),
    Rpc("audit_fixity", m.AuditFixity, m.AuditReport,
        "Audit now: read back up to `limit` of the agency's objects least recently audited, "
        "record a fixity event for each, repair a bad copy from the good one.",
        ("head", "supervisor"), {"agency": "qinyuan-energy", "limit": 100},
        {"agency": "qinyuan-energy", "audited": 100, "outcomes": {"pass": 99, "repaired": 1}},
        ("validation_failed", "not_found", "forbidden", "unauthenticated")),
    Rpc("store_document", m.StoreDocument, m.StoredObject,
        "Store a rendered document (docx, PDF) sent by the renderer as itself: its bytes "
        f"(base64, at most {m.MAX_DOCUMENT_BYTES} bytes) checked against the SHA-256 and size "
        "it names (a mismatch is refused and recorded: digest_mismatch, size_mismatch), "
        "written once under the rule set's case-file retention class (subject `document`) "
        "with the renderer's stamp (render id, format, template id@version, template and data "
        "SHA-256) kept on the object, and object_stored.v1 emitted. Once per render id and "
        "format (the idempotency key); content the agency holds already is not stored again: "
        "the answer is its object. New in 1.2.", (service_grant("renderer"),),
        dict(STAMP, agency="qinyuan-energy", name="行政处罚决定书.docx",
             media_type="application/vnd.openxmlformats-officedocument.wordprocessingml"
                        ".document", sha256=DOCX_SHA256, size=18234,
             content_base64="UEsDBBQAAAAIAAAAIQ==", case_id=CASE_ID),
        DOCUMENT, WRITE_ERRORS),
    Rpc("store_attachment", m.StoreAttachment, m.StoredObject,
        "Store an attachment to a request to correct a publication, sent by the disclosure "
        "publisher as itself once its scan passed (PDF, JPEG, PNG or plain text, sniffed from "
        f"the content): its bytes (base64, at most {m.MAX_ATTACHMENT_BYTES} bytes) checked "
        "against the SHA-256 and size it names (a mismatch is refused and recorded), written "
        "once under the rule set's case-file retention class (subject `attachment`), "
        "object_stored.v1 emitted. Once per submission and index (the idempotency key); content "
        "the agency holds already is not stored again: the answer is its object. New in 1.3.",
        (service_grant("disclosure"),),
        {"agency": "qinyuan-energy", "submission_id": "4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8",
         "index": 0, "name": "送达回证.pdf", "media_type": "application/pdf",
         "sha256": SHA256, "size": 5, "content_base64": "JVBERi0="},
        dict(OBJECT, subject="attachment", name="送达回证.pdf", media_type="application/pdf",
             size=5, case_id=None, facts=[], retention=CASE_FILE, stored_by="disclosure",
             last_fixity_at=None, last_fixity_outcome=None, fixity=[], stamp=None),
        WRITE_ERRORS),
    Rpc("verify_package", m.PackageRef, m.PackageReport,
        "Run a case archive package's 四性检测 (DA/T 70) again on the bag as the store holds "
        "it now: its digest against the recorded one, the entries' hashes and the head's "
        "signed checkpoint, every file present and opening in its format, its lock and "
        "replica. The run is logged; the report stored with the package stays the first. "
        "New in 1.1.", HOLD_ROLES, {"package_id": PACKAGE_ID}, REPORT,
        ("validation_failed", "not_found", "forbidden", "unauthenticated")),
    Rpc("latest_checkpoint", m.CaseAnchorRef, m.AnchoredCheckpoint,
        "The last checkpoint of a case the vault keeps (records.checkpoint_signed.v1, its "
        "signature verified under a pinned key), with the object holding it: what the record "
        "keeper's verify_case relies on. not_found when none is kept. New in 1.2.",
        READ_ROLES + (RECORDS,),
        {"agency": "lingchuan-emergency", "case_id": CASE_ID}, ANCHORED_CHECKPOINT,
        ("validation_failed", "not_found", "forbidden", "unauthenticated"), writes=False),
    Rpc("latest_tree_head", m.AgencyRef, m.AnchoredTreeHead,
        "The last signed tree head of the agency's Merkle log of checkpoints the vault keeps "
        "(records.tree_head_signed.v1, verified under a pinned key and consistent with the one "
        "kept before it). not_found when none is kept. New in 1.2.", READ_ROLES + (RECORDS,),
        {"agency": "lingchuan-emergency"}, ANCHORED_TREE_HEAD,
        ("validation_failed", "not_found", "forbidden", "unauthenticated"), writes=False),
    Rpc("checkpoint_keys", m.Empty, m.PinnedKeys,
        "The record keeper's checkpoint verification keys the vault pinned (from its "
        "configuration, each stored write-once the first time it is seen, never replaced): "
        "the keys a checkpoint or tree head must verify under, to be published. New in 1.2.",
        ("officer", "head", "legal_unit", "reviewer", "publisher", "supervisor", "party",
         "public", RECORDS), {}, {"keys": [PINNED_KEY]},
        ("forbidden", "unauthenticated"), writes=False),
    Rpc("read_document", m.ObjectRef, m.DocumentContent,
        "A rendered document's bytes (an object stored with a renderer's stamp, at most "
        f"{m.MAX_DOCUMENT_BYTES} bytes), read from the store and checked against its SHA-256 "
        "(a mismatch is refused: digest_mismatch). For the disclosure publisher as itself, "
        "which copies a published annual report's PDF to the public portal. Anything not a "
        "rendered document is refused (not_a_document). New in 1.3.",
        (service_grant("disclosure"),), {"object_id": OBJECT_ID},
        {"id": OBJECT_ID, "agency": "qinyuan-energy", "media_type": "application/pdf",
         "size": 52311, "sha256": DOCX_SHA256, "content_base64": "JVBERi0xLjYK…"},
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden",
         "unauthenticated"), writes=False),
)

EVENTS: tuple[Event, ...] = (
    Event("object_stored.v1", m.ObjectStored,
          "An object is stored write-once under its retention class.",
          {"object_id": OBJECT_ID, "subject": "av", "sha256": SHA256,
           "digests": {"sha256": SHA256}, "size": 734003200,
           "name": "现场检查执法记录仪视频.mp4", "media_type": "video/mp4", "case_id": CASE_ID,
           "retention": RETENTION, "retain_until": None, "legal_hold": False,
           "stored_at": "2025-10-20T01:30:00+00:00"}),
    Event("fixity_failed.v1", m.FixityFailed,
          "A copy of an object no longer hashes to its recorded digest, or is missing.",
          {"object_id": OBJECT_ID, "sha256": SHA256, "copy": "primary", "outcome": "fail",
           "algorithm": "sha256", "found": SM3, "repaired": True,
           "at": "2025-11-02T16:00:00+00:00"}),
    Event("object_disposed.v1", m.ObjectDisposed,
          "An object was disposed of after its retention, approved by a second person.",
          {"object_id": OBJECT_ID, "disposal_id": DISPOSAL_ID, "sha256": SHA256,
           "requested_by": "head-qy-001", "approved_by": "supervisor-qy-002",
           "at": "2027-11-03T02:00:00+00:00"}),
    Event("package_stored.v1", m.PackageStored,
          "A closed case's archive package (BagIt: its entries in chain order, the chain's "
          "verification and signed checkpoint, its documents and AV, the 卷内目录) is stored "
          "write-once under the case file's retention class with its 四性检测 report, and the "
          "record keeper has recorded the case archived. New in 1.1.",
          {"package_id": PACKAGE_ID, "case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号",
           "head_seq": 20, "head_hash": SHA256, "object_id": OBJECT_ID,
           "sha256": PACKAGE_SHA256, "report_object_id": DISPOSAL_ID, "passed": True,
           "archived_at": "2025-11-21T02:00:05+00:00", "archive_seq": 21}),
)

EVENTS = EVENTS + (
    Event("anchor_refused.v1", m.AnchorRefused,
          "An alert: a checkpoint or tree head of the record keeper the vault refused to keep — "
          "signed by a key it did not pin, a signature that does not hold, a tree head not "
          "consistent with the one kept before it, or another statement for a case's seq "
          "already kept. The event is dead-lettered and the refusal logged. New in 1.2.",
          {"what": "tree_head", "rule": "inconsistent",
           "reason": "the consistency proof from size 41 does not lead to this head",
           "case_id": None, "seq": None, "size": 42, "key_id": "a1b2c3d4e5f60718",
           "message_id": "0e9a1c52-7d3b-4f6a-8c2e-5b1d9f0a7e34",
           "at": "2025-10-27T10:00:02+00:00"}),
)

CONTRACT = Contract(
    service="vault", version=VERSION, title="档案存储 Archive vault",
    description="Write-once storage of audio/video and documents with retention classes from "
                "the rule set, legal holds, disposal approved by two people, fixity audits and "
                "a replica.",
    rpcs=RPCS, events=EVENTS, consumes=("records.archive_due.v1", "records.checkpoint_signed.v1",
                                        "records.tree_head_signed.v1",
                                        "disclosure.tree_head_signed.v1"),
)
