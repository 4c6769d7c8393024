"""Contract of the disclosure publisher (disclosure), major version 1: its RPC methods and
events, each with an example a non-Python caller can copy.

1.0: decisions published after the fact (事后公开) — a draft from the record keeper's
decision_issued.v1 or by create_draft, reviewed before publishing (publish, withhold, withhold
in part), withdrawn under 行政处罚法 第四十八条, its history kept; every public act a leaf of the
agency's Merkle log with a signed tree head; reminders before the publication deadline and an
overdue event after. The public reads the static portal, never these RPCs.

1.1: redaction — a draft's party fields masked by the rule set's disclosure.redaction, its free
text scanned for ID numbers, mobiles, bank cards, addresses; resolve_redactions decides each hit
(mask, or keep with a reason); publishing is refused while one is open (redactions_unresolved);
a publication shows its `redaction`, the published act's leaf its record. Also in 1.1
(additive): the registers published before enforcement (事前公开) — imported from the
agency's workbook (import_register: every broken cell named by sheet, row and column, nothing
recorded unless all read; a change is a new version of an entry, never an overwrite), exported
(export_register: .xlsx or CSV), read as they stand or stood on a day (get_register) with what
changed between two revisions (register_history); officer_qualified, also for the record
keeper ("service:records"); officer_lapsed.v1 once per officer whose certificate lapsed.

1.2 (withdrawal from an outcome): record_outcome — a 行政复议 or 诉讼 outcome that changed,
revoked, declared illegal or void a published decision, with its document reference and date,
withdraws the publication as withdraw_publication does (行政处罚法 第四十八条, the rule set's
withdraw_changed_publication period from the outcome's date), the reason published naming the
procedure, the authority and the document. The record keeper publishes no such outcome event
yet: the event path waits for it.

1.2 (public display windows): a penalty is published with a display class (review's
display_class: general 一般 3 months–1 year, serious 严重 1–3 years from the decision date,
信用修复管理办法 from 2026-04-01; minor 轻微 is refused and withheld on ground minor_penalty); a
publication shows its display_window; a timer takes it down the day after the window ends
(state expired, history `expired`, a leaf of the log, publication_expired.v1, once however many
instances tick); record_credit_repair takes it down early once the class's minimum has passed
(state repaired, history `credit_repaired`, a leaf, publication_repaired.v1).

1.2 (corrections): requests to correct a publication (000 第十九条, 002 第十八条, 004 第二十一条)
entered by staff — file_correction (acknowledged with the agency's next number of the year,
更正〔2026〕7号, without gaps), verify_correction, decide_correction (correct: the published
fields changed, a `corrected` public act and leaf, publication_corrected.v1; reject with
reasons; forward to the competent agency), answer_correction (the written answer's text and
date), get_correction, list_corrections. Who asked is never published. No seed sets a period
for handling a request, so a request's deadline is null.

1.2 (portal): the service consumes its own public acts' events (decision_published.v1,
publication_corrected.v1, publication_withdrawn.v1, publication_expired.v1,
publication_repaired.v1) to keep the static public portal (DISCLOSURE_PORTAL_DIR) in step
with every public act — the publication's page, lists, feed and search — and publishes there each agency log's signed
tree head (transparency/<agency>/tree-head.json, as tree_head answers it) and the keys that
verify it and the record keeper's checkpoints (keys/disclosure-log.json,
keys/records-checkpoints.json: key id → PEM). No RPC or event changes.

1.3 (双公示 export): export_credit, the agency's public penalties decided in a date range as
the provincial credit platform takes them (发改办财金〔2018〕424号) — one template per kind of party
(legal_person 法人及非法人组织, natural_person 自然人), CSV with a BOM or .xlsx, the columns the
rule set's disclosure.credit_fields, personal values as published unless the rule set's
disclosure.credit_export says full; for the publisher.

1.3 (tree heads in the vault): every public act's signed tree head is also emitted as
tree_head_signed.v1 (the tree_head fields with the consistency proof from the head before, in
the act's transaction), which the vault checks against the disclosure log key it pins and the
head it kept last, and keeps write-once as it keeps the record keeper's; consistency_proof
grants "service:vault" (the proof the vault asks for between heads handled out of order).

1.3 (portal correction form): anyone may ask for a correction through the portal — the one public
write path is HTTP, not an RPC: POST /disclosure/corrections (multipart/form-data: publication_id,
requester_kind, requester_name, requester_contact, problem, requested, attachments), behind the
portal's proxy at its public path. The body is limited as it is read (DISCLOSURE_FORM_MAX_BYTES,
_MAX_FILE_BYTES, _MAX_FILES: 413), each client (a keyed hash of its address, never the address)
and each agency limited per fixed window counted in the database across instances
(DISCLOSURE_FORM_CLIENT_RATE, _AGENCY_RATE: 429 with Retry-After); every attachment's type is
sniffed from its content (PDF without active content, JPEG, PNG, plain text; nothing else) and
the clean ones stored write-once in the vault by this service as itself (vault.store_attachment;
a vault not answering: 503, nothing filed); the request is filed as file_correction files it,
answered with an HTML page carrying its number (JSON when asked); refusals name the field and
the rule and are recorded as submit_correction. A Correction now says its `channel` (staff,
portal) and its `attachments` (vault object id, name, sniffed media type, size, SHA-256), never
published or served back — additive.

1.3 (annual statistics report and supervision): compile_annual_report — a new version of an
agency's 行政执法统计年报 on a past year (000《公示办法》第十六条, 003 二(一)1(3), base 国办发〔2018〕118号),
every version kept: the publisher's own figures (publications by act type, withheld by ground,
corrections by outcome, withdrawals by ground, overdue) and the record keeper's
(records.annual_figures, called as this service: 行政处罚 and 行政强制 by kind, complaints by
handling, inspections), the groups the rule set's disclosure.annual_report.figures names; a
figure not obtained is named in `gaps` with the reason, never counted as zero.
get_annual_report reads a version; publish_annual_report publishes one where the rule set makes
the report public (a leaf of the agency's log, annual_report_published.v1, which the service
consumes to put the report on the portal: agency/<code>/annual/<year>.html with its tables,
charts and text alternatives, the PDF — as the renderer answered it, or read from the vault
where the renderer stored it (vault.read_document, as this service) — and the agency's list of
reports); the report is rendered by the renderer as this service (template
annual_statistics_report version 2, its charts as images); a timer compiles
each agency's report on the past year once and sends annual_report_overdue.v1 once where it
is not published by the due day. supervision_report (supervisor) lists per agency the
publications under 004 第五十七条（一）（二） not published as required,（三）not updated in time
and（四）published though they must not be. publication_withheld.v1: a review withheld a
decision. Withdrawal ground `not_publishable` (004 第五十七条（四）) added.

1.3 (registers on the portal): import_register takes an optional `reason` for the change
(000《公示办法》第十八条, 002 第十七条, 004 第二十条: law_changed 立改废释, functions_changed 职能调整, other 其他)
and `reason_text`, kept with each revision it makes (get_register's revisions show them); an
import that changed something emits register_revised.v1 (the agency, each register revised
with its new revision, the reason). The service consumes its own register_revised.v1 and
officer_lapsed.v1 to keep the agency's registers on the portal (agency/<code>/registers/:
an index and per register a page, JSON and CSV — officers only while their certificate is
valid), linked from the home page and the agency's page. Additive."""
from typing import Any

from contracts.disclosure import messages as m
from shared.contracts import operations
from shared.contracts.registry import (
    CALENDAR_COVERAGE_EXAMPLE,
    Contract,
    Event,
    Rpc,
    service_grant,
)

VERSION = "1.4.0"

DRAFT_ROLES = ("publisher", "head", "legal_unit")
REVIEW_ROLES = ("publisher",)
REPAIR_ROLES = ("publisher", "head")
WITHDRAW_ROLES = ("publisher", "head", "legal_unit")
READ_ROLES = ("publisher", "reviewer", "head", "legal_unit", "supervisor")
WRITE_ERRORS = ("validation_failed", "not_found", "domain_rule_violated", "forbidden",
                "unauthenticated")
READ_ERRORS = ("validation_failed", "not_found", "forbidden", "unauthenticated")
REGISTER_WRITE_ROLES = ("publisher", "head", "legal_unit")
REGISTER_READ_ROLES = ("publisher", "reviewer", "head", "legal_unit", "officer", "supervisor")
QUALIFIED_ROLES = (*REGISTER_READ_ROLES, service_grant("records"))
REGISTER_ERRORS = ("validation_failed", "domain_rule_violated", "forbidden", "unauthenticated")

PUBLICATION_ID = "3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c"
CASE_ID = "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"
ROOT = "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
PARTY = {"kind": "organisation", "name": "沁源县某某煤业有限公司",
         "credit_code": "91140431MA0K1234X5", "representative": "赵某", "id_type": None,
         "id_number": None}
DRAFT_REQUEST = {
    "agency": "qinyuan-energy", "act_type": "penalty", "decision_no": "沁能罚〔2025〕12号",
    "case_name": "沁源县某某煤业有限公司未按规定进行安全培训案", "case_id": None,
    "decision_date": "2025-10-27", "authority": "沁源县能源局", "party": PARTY,
    "facts": "未如实记录安全生产教育和培训情况", "legal_basis": "《中华人民共和国安全生产法》第九十七条",
    "conclusion": "罚款人民币陆万元整", "fine_amount": "60000", "violation_type": None}
L = lambda label, value: {"label": label, "value": value}
SUMMARY = {"document_number": L("决定书文号", "沁能罚〔2025〕12号"),
           "case_name": L("案件名称", DRAFT_REQUEST["case_name"]),
           "authority": L("执法机关", "沁源县能源局"),
           "facts": L("违法事实", DRAFT_REQUEST["facts"]),
           "legal_basis": L("法律依据", DRAFT_REQUEST["legal_basis"]),
           "conclusion": L("执法结论", "罚款人民币陆万元整"),
           "decision_date": L("决定日期", "2025-10-27")}
CREDIT = {"party_name": dict(L("行政相对人名称", PARTY["name"]), public=True),
          "party_category": dict(L("行政相对人类别", "法人及非法人组织"), public=True),
          "credit_code": dict(L("统一社会信用代码", PARTY["credit_code"]), public=True),
          "fine_amount": dict(L("罚款金额（万元）", "6"), public=True)}
DEADLINE = {"due": "2025-11-05", "rule": "publish_licence_penalty", "amount": 7,
            "unit": "workdays", "basis": "000《公示办法》第十五条第一款", "start": "2025-10-27"}
HISTORY = [{"seq": 1, "action": "drafted", "at": "2025-10-27T02:00:00+00:00",
            "actor_id": "publisher-qy-001", "actor_role": "publisher",
            "body": {"source": "rpc"}, "leaf_index": None}]
DRAFT = {"id": PUBLICATION_ID, "agency": "qinyuan-energy", "ruleset": "qinyuan-energy@1",
         "source": "rpc", "case_id": None, "decision_no": "沁能罚〔2025〕12号",
         "act_type": "penalty", "party_kind": "organisation", "decision_date": "2025-10-27",
         "state": "draft", "summary": SUMMARY, "credit": CREDIT, "missing": [],
         "published": None, "deadline": DEADLINE, "review": None, "withdrawal": None,
         "created_at": "2025-10-27T02:00:00+00:00", "history": HISTORY}
PUBLISHED_VIEW = {"summary": {k: v["value"] for k, v in SUMMARY.items()},
                  "credit": {k: v["value"] for k, v in CREDIT.items()}}
REVIEW = {"outcome": "publish", "grounds": [], "withheld_fields": [], "reason": None,
          "by": "publisher-qy-001", "at": "2025-10-28T02:00:00+00:00"}
IND_FACTS = "当事人王某某（身份证号140431199001011237，手机13800138000）未按规定进行安全培训"
REDACTION_DRAFT: dict[str, Any] = {
    "basis": "000《公示办法》第十三条第二款；002《公示办法》第十五条；004 第十九条",
    "party_class": "natural_person",
    "fields": [{"field": "summary.party", "kind": "name", "replacement": "王某"},
               {"field": "credit.party_name", "kind": "name", "replacement": "王某"}],
    "texts": {"summary.facts": IND_FACTS},
    "hits": [{"id": "summary.facts:11-29", "text_of": "summary.facts", "kind": "resident_id",
              "kind_zh": "居民身份号码", "start": 11, "end": 29, "text": "140431199001011237",
              "reason": "GB 11643 check character 7 valid, born 1990-01-01",
              "reason_zh": "校验码7正确（GB 11643），出生日期1990-01-01", "resolution": None}],
    "record": None}
RESOLVED = dict(REDACTION_DRAFT, hits=[dict(REDACTION_DRAFT["hits"][0], resolution={
    "action": "mask", "kind": None, "reason": None, "by": "publisher-qy-001",
    "at": "2025-10-28T01:00:00+00:00"})])
PUBLISHED = dict(DRAFT, state="published", published=PUBLISHED_VIEW, review=REVIEW,
                 history=HISTORY + [{"seq": 2, "action": "published",
                                     "at": "2025-10-28T02:00:00+00:00",
                                     "actor_id": "publisher-qy-001", "actor_role": "publisher",
                                     "body": {"withheld_fields": []}, "leaf_index": 0}])
WINDOW = {"class": "general", "decision_date": "2025-10-27", "ends": "2026-10-27",
          "repairable_from": "2026-01-28",
          "basis": "信用修复管理办法（一般失信信息公示期最短3个月、最长1年，自行政处罚决定作出之日起计算）"}
REPAIR = {"reason": "当事人已履行行政处罚决定并作出信用承诺", "basis": "信用修复管理办法",
          "decided_on": "2026-02-10", "document": "沁能信修〔2026〕1号", "by": "publisher-qy-001",
          "at": "2026-02-10T02:00:00+00:00"}
WITHDRAWAL = {"ground": "revoked", "reason": "经行政复议，原行政处罚决定被撤销",
              "decided_on": "2025-12-01", "by": "沁源县人民政府", "due": "2025-12-04",
              "late": False, "at": "2025-12-02T02:00:00+00:00"}
TREE_HEAD = {"agency": "qinyuan-energy", "size": 2, "root": ROOT,
             "signed_at": "2025-12-02T02:00:00+00:00", "key_id": "a1b2c3d4e5f60718",
             "signature": "base64…",
             "statement": "{\"agency\":\"qinyuan-energy\",\"root\":\"…\",\"signed_at\":\"…\","
                          "\"size\":2,\"type\":\"sanxiang.disclosure.tree_head.v1\"}"}

OFFICER = {"name": "王某", "unit": "沁源县能源局", "department": "执法监察大队",
           "position": "执法队员", "certificate_no": "14043100123", "issued_on": "2023-03-01",
           "valid_until": "2026-02-28", "categories": ["行政检查", "行政处罚"],
           "regions": ["沁源县"]}
REVISION = {"revision": 2, "at": "2025-11-03T02:00:00+00:00", "by": "publisher-qy-001",
            "sha256": "9f2c4e1a7b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4",
            "counts": {"added": 1, "changed": 1, "removed": 0}}
REGISTER_RPCS = (
    Rpc("import_register", m.ImportRegister, m.RegistersImported,
        "The agency's registers published before enforcement (事前公开), from its workbook "
        "(.xlsx, base64, at most 5 MB; one sheet per register named by its Chinese title, the "
        "headers in row 1, as export_register and the template lay it out). Every sheet is "
        "read before anything is recorded: one validation_failed names every broken cell by "
        "sheet, row and column (details: <kind>.<row>.<field> → rules), and nothing is "
        "recorded. Each register replaced gets a new revision holding a new version of each "
        "entry added, changed or taken off — never an overwrite; the same workbook again "
        "records nothing (revised: false).", REGISTER_WRITE_ROLES,
        {"agency": "qinyuan-energy", "workbook_base64": "UEsDBBQAAAAIAA==",
         "kinds": ["officers"]},
        {"agency": "qinyuan-energy", "sha256": REVISION["sha256"], "registers": [
            {"kind": "officers", "title": "行政执法人员清单", "revision": 2, "revised": True,
             "entries": 12, "added": 1, "changed": 1, "removed": 0}]},
        REGISTER_ERRORS),
    Rpc("export_register", m.ExportRegister, m.ExportedRegister,
        "The agency's registers as they stand (or stood at the end of `on`): a workbook "
        "(.xlsx) that import_register reads back, or one register as CSV (UTF-8 with a BOM, "
        "the Chinese headers; a value a spreadsheet would run as a formula is quoted).",
        REGISTER_READ_ROLES,
        {"agency": "qinyuan-energy", "kinds": ["officers"], "format": "csv", "on": None},
        {"agency": "qinyuan-energy", "format": "csv", "media_type": "text/csv; charset=utf-8",
         "filename": "qinyuan-energy-officers-2025-11-03.csv", "size": 312,
         "sha256": REVISION["sha256"], "content_base64": "77u/5aeT5ZCNLOWNleS9jQ0K"},
        ("validation_failed", "forbidden", "unauthenticated"), writes=False),
    Rpc("get_register", m.GetRegister, m.Register,
        "A register as it stands, or as it stood at the end of `on` (China time): each entry "
        "with its version and who recorded it (officers: whether the public register shows "
        "the officer that day), and the register's revisions.", REGISTER_READ_ROLES,
        {"agency": "qinyuan-energy", "kind": "officers", "on": None},
        {"agency": "qinyuan-energy", "kind": "officers", "title": "行政执法人员清单", "on": None,
         "revision": 2, "entries": [
             {"key": ["14043100123"], "number": 2, "recorded_at": REVISION["at"],
              "recorded_by": "publisher-qy-001", "values": OFFICER, "public": True}],
         "revisions": [REVISION]},
        ("validation_failed", "forbidden", "unauthenticated"), writes=False),
    Rpc("register_history", m.RegisterHistoryRequest, m.RegisterHistory,
        "What changed in a register from one revision to another (0: the empty register; "
        "to_revision null: the latest): entries added, changed (which fields) and taken off. "
        "Refused (domain_rule_violated): no_such_revision beyond the latest.",
        REGISTER_READ_ROLES,
        {"agency": "qinyuan-energy", "kind": "officers", "from_revision": 1,
         "to_revision": 2},
        {"agency": "qinyuan-energy", "kind": "officers", "from_revision": 1, "to_revision": 2,
         "added": [], "changed": [
             {"key": ["14043100123"], "fields": ["valid_until"], "headers": ["有效期"],
              "before": dict(OFFICER, valid_until="2025-02-28"), "after": OFFICER}],
         "removed": [], "revisions": [REVISION]},
        REGISTER_ERRORS, writes=False),
    Rpc("officer_qualified", m.OfficerQualifiedRequest, m.OfficerQualification,
        "Was the holder of the certificate qualified to enforce on the day — its 有效期 from the "
        "发证日期 through the end date, both days included — and, when asked, for the 执法类别 "
        "and 执法区域; judged on every version of the agency's officers register (an officer "
        "taken off is removed from that day). Also for the record keeper (service:records).",
        QUALIFIED_ROLES,
        {"agency": "qinyuan-energy", "certificate_no": "14043100123", "on": "2025-10-27",
         "category": "行政处罚", "region": None},
        {"agency": "qinyuan-energy", "certificate_no": "14043100123", "on": "2025-10-27",
         "qualified": True, "status": "qualified",
         "reason": "王某 holds certificate 14043100123, valid on 2025-10-27 (through "
                   "2026-02-28) for 行政检查、行政处罚 in 沁源县",
         "reason_zh": "王某持有执法证件14043100123，2025-10-27在有效期内（有效期至2026-02-28），"
                      "执法类别：行政检查、行政处罚，执法区域：沁源县", "officer": OFFICER},
        ("validation_failed", "forbidden", "unauthenticated"), writes=False),
)

CORRECTION_ID = "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
CORRECTION_FILE_ROLES = ("publisher", "head", "legal_unit", "reviewer")
CORRECTION_DECIDE_ROLES = ("publisher", "legal_unit")
CORRECTION_ANSWER_ROLES = ("publisher", "legal_unit", "head")
REQUESTER = {"kind": "organisation", "name": "沁源县某某煤业有限公司", "contact": "0355-7000000"}
FILED = {"id": CORRECTION_ID, "agency": "qinyuan-energy", "number": "更正〔2025〕1号",
         "year": 2025, "seq": 1, "publication_id": PUBLICATION_ID, "state": "filed",
         "requester": REQUESTER, "problem": "罚款金额应为陆千元", "evidence": ["沁能罚〔2025〕12号 送达回证"],
         "decision": None, "answer": None, "deadline": None,
         "steps": [{"act": "file", "state": "filed", "by": "publisher-qy-001",
                    "role": "publisher", "at": "2025-11-03T02:00:00+00:00",
                    "body": {"number": "更正〔2025〕1号", "received_on": "2025-11-03",
                             "evidence": 1, "channel": "staff", "attachments": 0}}],
         "created_at": "2025-11-03T02:00:00+00:00", "channel": "staff", "attachments": []}

CORRECTION_RPCS = (
    Rpc("file_correction", m.FileCorrection, m.Correction,
        "1.2: a request to correct a published decision, entered by staff: acknowledged with "
        "the agency's next number of the year (更正〔2025〕1号), numbers without gaps. Who asks "
        "is kept with the request and never published. Refused (domain_rule_violated): "
        "correction_of_published for a publication not published.", CORRECTION_FILE_ROLES,
        {"publication_id": PUBLICATION_ID, "requester": REQUESTER,
         "problem": "罚款金额应为陆千元", "evidence": ["沁能罚〔2025〕12号 送达回证"],
         "received_on": "2025-11-03"}, FILED, WRITE_ERRORS),
    Rpc("verify_correction", m.VerifyCorrection, m.Correction,
        "1.2: the request checked by a publisher or the legal unit, its findings recorded.",
        CORRECTION_DECIDE_ROLES, {"correction_id": CORRECTION_ID, "findings": "与决定书不符"},
        dict(FILED, state="verified"), WRITE_ERRORS),
    Rpc("decide_correction", m.DecideCorrection, m.Correction,
        "1.2: a verified request corrected (the published fields as corrected: a `corrected` "
        "public act, a leaf of the agency's log, publication_corrected.v1), rejected with "
        "reasons or forwarded to the competent agency (002 第十八条). Refused "
        "(domain_rule_violated): correction_transition out of turn.", CORRECTION_DECIDE_ROLES,
        {"correction_id": CORRECTION_ID, "decision": "correct",
         "fields": {"credit.fine_amount": "6000"}, "reason": "经核实，决定书载明罚款陆千元",
         "forward_to": None}, dict(FILED, state="corrected"), WRITE_ERRORS),
    Rpc("answer_correction", m.AnswerCorrection, m.Correction,
        "1.2: the written answer to the requester (004 第二十一条): its text and date, and "
        "(portal correction form) its 更正申请答复书 rendered first by the renderer as this "
        "service (template correction_answer; stored in the vault where the renderer has one: "
        "answer.document.object_ref). An answer is given in writing or not at all: a renderer "
        "not running is unavailable (nothing recorded), one refusing the document is "
        "domain_rule_violated: answer_not_rendered.",
        CORRECTION_ANSWER_ROLES,
        {"correction_id": CORRECTION_ID, "text": "经核实，已更正。", "answered_on": "2025-11-05"},
        dict(FILED, state="answered"), WRITE_ERRORS + ("unavailable",)),
    Rpc("get_correction", m.CorrectionRef, m.Correction,
        "1.2: a request with every step, its time and actor.", READ_ROLES,
        {"correction_id": CORRECTION_ID}, FILED, READ_ERRORS, writes=False),
    Rpc("list_corrections", m.ListCorrections, m.CorrectionPage,
        "1.2: a page of the agency's requests by number, filtered by state or publication.",
        READ_ROLES, {"agency": "qinyuan-energy", "state": None, "publication_id": None,
                     "limit": 50, "cursor": None},
        {"items": [{"id": CORRECTION_ID, "number": "更正〔2025〕1号",
                    "publication_id": PUBLICATION_ID, "state": "filed",
                    "created_at": "2025-11-03T02:00:00+00:00"}], "next": None},
        READ_ERRORS, writes=False),
)


CREDIT_RPCS = (
    Rpc("export_credit", m.ExportCredit, m.ExportedCredit,
        "The 双公示 file for the provincial credit platform (发改办财金〔2018〕424号): the agency's "
        "penalties public now (published; not withdrawn, expired or taken down) decided from "
        "`from` through `to`, in one template — legal_person (法人及非法人组织) or "
        "natural_person (自然人) — its columns the rule set's disclosure.credit_fields in their "
        "order; CSV (UTF-8 with a BOM) or .xlsx, every cell text, a value a spreadsheet would "
        "run as a formula led by '. Amounts in 万元 to the fen (half up), dates as the rule "
        "set's disclosure.credit_export lays them out (YYYY/MM/DD); personal values as the "
        "public sees them (a natural person's ID number masked by the redaction rules) unless "
        "credit_export.personal_data is full.", ("publisher",),
        {"agency": "qinyuan-energy", "from": "2025-10-01", "to": "2025-12-31",
         "template": "legal_person", "format": "csv"},
        {"agency": "qinyuan-energy", "template": "legal_person", "from": "2025-10-01",
         "to": "2025-12-31", "format": "csv", "rows": 1,
         "media_type": "text/csv; charset=utf-8",
         "filename": "qinyuan-energy-credit-legal_person-2025-10-01-2025-12-31.csv",
         "size": 912, "sha256": REVISION["sha256"], "content_base64": "77u/6KGM5pS/"},
        ("validation_failed", "forbidden", "unauthenticated"), writes=False),
)

# ---- the annual statistics report and the supervisor's view -----------------------------------
ANNUAL_REPORT_ID = "6a1f3c2e-9b4d-4e8a-b7c5-0d2e4f6a8b1c"
ANNUAL_DUE = {"year": 2025, "due": "2026-01-10", "recipients": ["government", "superior"],
              "public": True, "figures": ["publications", "penalties"],
              "basis": "000《公示办法》第十六条"}
ANNUAL_FIGURES = {
    "publications": {"decisions": 12, "published": 11, "published_late": 1,
                     "overdue_unpublished": 0, "by_act_type": [
                         {"code": "penalty", "label": "行政处罚", "count": 9},
                         {"code": "licence", "label": "行政许可", "count": 2}]},
    "penalties": {"decisions": 9, "major": 2, "fines_total": "86000", "by_kind": [
        {"code": "fine", "label": "罚款", "count": 8},
        {"code": "warning", "label": "警告", "count": 1}]}}
ANNUAL_REPORT = {
    "id": ANNUAL_REPORT_ID, "agency": "qinyuan-energy", "ruleset": "qinyuan-energy@1",
    "year": 2025, "version": 1, "versions": 1, "state": "compiled", "due": ANNUAL_DUE,
    "figures": ANNUAL_FIGURES, "gaps": [
        {"figure": "inspection_plan.planned", "label": "执法检查计划执行情况",
         "reason": "记录保管服务不保存执法检查计划：已开展的检查可统计，计划数无处可取"}],
    "document": {"rendered": False, "reason": "the document is not rendered by this version"},
    "compiled_at": "2026-01-02T01:00:00+00:00", "compiled_by": "publisher-qy-001",
    "published": None}
ANNUAL_PUBLISHED = {"by": "publisher-qy-001", "at": "2026-01-05T02:00:00+00:00",
                    "on": "2026-01-05", "leaf_index": 7, "late": False}
SUPERVISION = {
    "period": {"start": "2025-01-01", "end": "2025-12-31"}, "as_of": "2026-01-05",
    "agencies": [{"agency": "qinyuan-energy", "items": [
        {"code": "not_published", "article": "004 第五十七条（一）（二）",
         "label": "不依法履行公示职责、不依法公示应当公示的信息", "count": 0, "publications": []},
        {"code": "not_updated", "article": "004 第五十七条（三）",
         "label": "不及时更新或者更正已公示的信息", "count": 1, "publications": [
             {"kind": "withdrawn_late", "publication_id": PUBLICATION_ID,
              "decision_no": "沁能罚〔2025〕12号", "act_type": "penalty",
              "decision_date": "2025-10-27", "due": "2025-12-04", "on": "2025-12-09",
              "state": "withdrawn", "decided_on": "2025-12-01"}]},
        {"code": "published_forbidden", "article": "004 第五十七条（四）",
         "label": "将依法禁止公示的信息公示", "count": 0, "publications": []}]}]}

ANNUAL_RPCS = (
    Rpc("compile_annual_report", m.AnnualReportRequest, m.AnnualReport,
        "A new version of the agency's annual statistics report on a past year (earlier "
        "versions kept, nothing overwritten; a redelivered call is one version): the figure "
        "groups of the rule set's disclosure.annual_report, the publisher's own counted here "
        "and the record keeper's from records.annual_figures (called as this service); a "
        "figure not obtained — the record keeper absent or refusing, the inspection plan it "
        "does not keep — is named in `gaps` with the reason. Refused (domain_rule_violated): "
        "year_not_over, no_annual_report; (conflict) annual_report_compiling while another "
        "compile of the same year is under way (retry).", REVIEW_ROLES,
        {"agency": "qinyuan-energy", "year": 2025}, ANNUAL_REPORT, WRITE_ERRORS + ("conflict",)),
    Rpc("get_annual_report", m.AnnualReportRef, m.AnnualReport,
        "A version of the agency's report on a year, the latest where none is named.",
        READ_ROLES, {"agency": "qinyuan-energy", "year": 2025, "version": None},
        ANNUAL_REPORT, READ_ERRORS, writes=False),
    Rpc("publish_annual_report", m.AnnualReportRef, m.AnnualReport,
        "A compiled version (the latest where none is named) published after review: a leaf "
        "of the agency's Merkle log, annual_report_published.v1, `late` when after the due "
        "day. Refused (domain_rule_violated): annual_report_published (one is already), "
        "annual_report_not_public (the rule set neither makes it public nor lists "
        "annual_statistics among its published results).", REVIEW_ROLES,
        {"agency": "qinyuan-energy", "year": 2025, "version": None},
        dict(ANNUAL_REPORT, state="published", published=ANNUAL_PUBLISHED), WRITE_ERRORS),
    Rpc("supervision_report", m.SupervisionRequest, m.SupervisionReport,
        "The supervisor's view of 004 第五十七条 across agencies (every agency served where "
        "none is named), for a period: （一）（二）not published as required — drafts past "
        "their due day, published after it, withheld without a ground; （三）not updated in "
        "time — withdrawn after the 3 working days of 行政处罚法 第四十八条, requests to "
        "correct without an answer (no seed sets their period), displays not taken down; "
        "（四）published though it must not be — withdrawn on ground not_publishable. Each "
        "item lists the publications with their dates. The read is logged.", ("supervisor",),
        {"agencies": ["qinyuan-energy"], "period": {"start": "2025-01-01",
                                                     "end": "2025-12-31"}},
        SUPERVISION, READ_ERRORS, writes=False),
)

RPCS = (
    Rpc("health", m.Empty, m.Health, "Service name, version, rule sets and contract versions, "
        "how far the legal calendar reaches; per agency the rule set its publication periods "
        "come from. Open to any caller, no token.", ("any",), {},
        {"service": "disclosure", "version": "0.1.0", "rulesets": ["qinyuan-energy@1"],
         "contracts": {"contract": VERSION, "events": [
             "publication_due_soon.v1", "publication_overdue.v1", "decision_published.v1",
             "publication_withdrawn.v1", "officer_lapsed.v1", "publication_corrected.v1"]},
         "missing_peers": [], "calendar": CALENDAR_COVERAGE_EXAMPLE,
         **operations.example("disclosure"),
         "disclosure": {"qinyuan-energy": {
             "ruleset": "qinyuan-energy@1", "publish_licence_penalty": "7 workdays",
             "publish_other_decision": "20 workdays", "withdraw_changed_publication":
             "3 workdays", "prepublication_review": True}}}, writes=False),
    Rpc("create_draft", m.CreateDraft, m.Publication,
        "A decision issued in a case system other than the record keeper's, drafted for "
        "publication: the rule set's summary fields and the 双公示 record, its deadline (7 "
        "working days for a licence or penalty, 20 for any other decision, from the decision "
        "date, on the legal calendar). Nothing is published before review_publication. One "
        "draft per decision number of an agency: another is refused (decision_drafted).",
        DRAFT_ROLES, DRAFT_REQUEST, DRAFT, WRITE_ERRORS),
    Rpc("review_publication", m.Review, m.Publication,
        "The review before publishing (保密审查): publish; withhold, with a reason and grounds "
        "of scope `whole` from the rule set (state secret, law forbids, security and "
        "stability, 000's series of related cases); or withhold in part, with grounds of "
        "scope `part` (trade secrets, privacy) and the fields withheld. Each a recorded "
        "decision; publishing appends the publication to the agency's Merkle log and signs "
        "its tree head.", REVIEW_ROLES,
        {"publication_id": PUBLICATION_ID, "outcome": "publish", "grounds": [],
         "withheld_fields": [], "reason": None, "completions": {}}, PUBLISHED, WRITE_ERRORS),
    Rpc("resolve_redactions", m.ResolveRedactions, m.Publication,
        "1.1: the reviewer's decision on hits the scan of a draft's free text found (ID "
        "numbers, mobiles, bank cards, 个体工商户 codes, addresses below county level): mask "
        "(the rule set's mask of the hit's kind, or `kind`) or keep, with the reason (consent, "
        "the public interest). A hit may be decided again until the review; "
        "review_publication refuses to publish while one is open (redactions_unresolved).",
        REVIEW_ROLES,
        {"publication_id": PUBLICATION_ID,
         "resolutions": [{"hit": "summary.facts:11-29", "action": "mask", "kind": None,
                          "reason": None}]},
        dict(DRAFT, party_kind="individual", redaction=RESOLVED), WRITE_ERRORS),
    Rpc("withdraw_publication", m.Withdraw, m.Publication,
        "Withdraw a published decision changed, revoked, declared illegal or void (行政处罚法 "
        "第四十八条), its reason published; the rule set's withdraw_changed_publication period "
        "(3 working days) from the day it was decided says whether the withdrawal is late. "
        "The withdrawal is a leaf of the agency's Merkle log.", WITHDRAW_ROLES,
        {"publication_id": PUBLICATION_ID, "ground": "revoked",
         "reason": "经行政复议，原行政处罚决定被撤销", "decided_on": "2025-12-01",
         "by": "沁源县人民政府"},
        dict(PUBLISHED, state="withdrawn", withdrawal=WITHDRAWAL), WRITE_ERRORS),
    Rpc("record_outcome", m.Outcome, m.Publication,
        "1.2: a 行政复议 or 诉讼 outcome on a published decision (changed, revoked, declared "
        "illegal or void), with its document reference and date: the publication is withdrawn "
        "as by withdraw_publication (the 3 working days count from the outcome's date), the "
        "published reason naming the procedure, the authority and the document.",
        WITHDRAW_ROLES,
        {"publication_id": PUBLICATION_ID, "outcome": "revoked",
         "procedure": "reconsideration", "authority": "沁源县人民政府",
         "document_no": "沁政复决〔2025〕3号", "decided_on": "2025-12-01"},
        dict(PUBLISHED, state="withdrawn", withdrawal=dict(
            WITHDRAWAL, reason="经行政复议（沁源县人民政府 沁政复决〔2025〕3号），原决定被撤销")), WRITE_ERRORS),
    Rpc("record_credit_repair", m.CreditRepair, m.Publication,
        "1.2: a 信用修复 decision takes a published penalty down before its display window "
        "ends, allowed once the class's minimum window has passed (信用修复管理办法); a leaf of "
        "the agency's Merkle log.", REPAIR_ROLES,
        {"publication_id": PUBLICATION_ID, "reason": "当事人已履行行政处罚决定并作出信用承诺",
         "basis": "信用修复管理办法", "decided_on": "2026-02-10", "document": "沁能信修〔2026〕1号"},
        dict(PUBLISHED, state="repaired", display_window=WINDOW, credit_repair=REPAIR),
        WRITE_ERRORS),
    Rpc("get_publication", m.PublicationRef, m.Publication,
        "A publication with its full history (drafted, published, withheld, corrected, "
        "withdrawn, expired), each public act naming its leaf in the agency's log.",
        READ_ROLES, {"publication_id": PUBLICATION_ID}, PUBLISHED, READ_ERRORS, writes=False),
    Rpc("list_publications", m.ListPublications, m.PublicationPage,
        "A page of the agency's publications, the earliest due first (ties by id), filtered by "
        "state: with state=draft, the decisions waiting for review.", READ_ROLES,
        {"agency": "qinyuan-energy", "state": "draft", "limit": 50, "cursor": None},
        {"items": [{"id": PUBLICATION_ID, "agency": "qinyuan-energy",
                    "decision_no": "沁能罚〔2025〕12号", "act_type": "penalty", "case_id": None,
                    "decision_date": "2025-10-27", "state": "draft", "due": "2025-11-05",
                    "missing": []}], "next": None},
        READ_ERRORS, writes=False),
    Rpc("tree_head", m.AgencyRef, m.TreeHead,
        "The latest signed tree head of the agency's publication log. not_found while the "
        "log is empty.", READ_ROLES, {"agency": "qinyuan-energy"}, TREE_HEAD, READ_ERRORS,
        writes=False),
    Rpc("inclusion_proof", m.InclusionRequest, m.Inclusion,
        "A leaf of the agency's publication log and its inclusion proof into the tree of "
        "`size` leaves (a signed tree head's): what a reader needs to check that a page's "
        "publication is in the log. Refused (domain_rule_violated): log_shorter for a size "
        "beyond the log or a leaf beyond the size; log_incomplete when the log lacks a node "
        "the proof needs.", READ_ROLES,
        {"agency": "qinyuan-energy", "leaf_index": 0, "size": 2},
        {"agency": "qinyuan-energy", "leaf_index": 0, "size": 2,
         "leaf": "{\"action\":\"published\",\"agency\":\"qinyuan-energy\",…}",
         "proof": ["3e8d9c516bad4a4f8c2e5d1fab684a2f5dc9da79a70659a9ad559cb701ded9a2"]},
        ("validation_failed", "domain_rule_violated", "forbidden", "unauthenticated"),
        writes=False),
    Rpc("consistency_proof", m.ConsistencyRequest, m.Consistency,
        "The consistency proof from the agency's log of `first` leaves to the one of `second`: "
        "that the log only grew between two signed tree heads. Refused (domain_rule_violated): "
        "log_shorter for a size beyond the log, log_incomplete when it lacks a node; "
        "validation_failed for first > second. Also for the vault (\"service:vault\"), checking "
        "the tree heads it keeps.", (*READ_ROLES, service_grant("vault")),
        {"agency": "qinyuan-energy", "first": 1, "second": 2},
        {"agency": "qinyuan-energy", "first": 1, "second": 2,
         "proof": ["3e8d9c516bad4a4f8c2e5d1fab684a2f5dc9da79a70659a9ad559cb701ded9a2"]},
        ("validation_failed", "domain_rule_violated", "forbidden", "unauthenticated"),
        writes=False),
    *REGISTER_RPCS,
    *CORRECTION_RPCS,
    *CREDIT_RPCS,
    *ANNUAL_RPCS,
)

EVENTS = (
    Event("publication_due_soon.v1", m.PublicationDue,
          "A reminder: a draft not reviewed yet falls due within the configured working days "
          "(once per publication and due date).",
          {"publication_id": PUBLICATION_ID, "decision_no": "沁能罚〔2025〕12号",
           "act_type": "penalty", "due": "2025-11-05", "workdays": 2}),
    Event("publication_overdue.v1", m.PublicationDue,
          "A draft not reviewed by its due date (once per publication and due date).",
          {"publication_id": PUBLICATION_ID, "decision_no": "沁能罚〔2025〕12号",
           "act_type": "penalty", "due": "2025-11-05", "workdays": 1}),
    Event("decision_published.v1", m.DecisionPublished,
          "A decision is published (after review), as the public sees it, with its leaf in the "
          "agency's Merkle log and the tree head signed after it.",
          {"publication_id": PUBLICATION_ID, "decision_no": "沁能罚〔2025〕12号",
           "act_type": "penalty", "case_id": None, "published": PUBLISHED_VIEW,
           "withheld_fields": [], "leaf_index": 0, "tree_size": 1, "root": ROOT,
           "late": False, "at": "2025-10-28T02:00:00+00:00"}),
    Event("publication_withdrawn.v1", m.PublicationWithdrawn,
          "A published decision is withdrawn (行政处罚法 第四十八条), with its reason.",
          {"publication_id": PUBLICATION_ID, "decision_no": "沁能罚〔2025〕12号",
           "ground": "revoked", "reason": "经行政复议，原行政处罚决定被撤销", "late": False,
           "leaf_index": 1, "tree_size": 2, "root": ROOT, "at": "2025-12-02T02:00:00+00:00"}),
    Event("publication_expired.v1", m.PublicationTakenDown,
          "1.2: a published penalty taken down at the end of its display window (信用修复管理办法), "
          "once per publication.",
          {"publication_id": PUBLICATION_ID, "decision_no": "沁能罚〔2025〕12号",
           "display_class": "general", "ends": "2026-10-27", "leaf_index": 1, "tree_size": 2,
           "root": ROOT, "at": "2026-10-28T02:00:00+00:00", "document": None}),
    Event("publication_repaired.v1", m.PublicationTakenDown,
          "1.2: a published penalty taken down early on a recorded 信用修复 decision.",
          {"publication_id": PUBLICATION_ID, "decision_no": "沁能罚〔2025〕12号",
           "display_class": "general", "ends": "2026-10-27", "leaf_index": 1, "tree_size": 2,
           "root": ROOT, "at": "2026-02-10T02:00:00+00:00", "document": "沁能信修〔2026〕1号"}),
    Event("officer_lapsed.v1", m.OfficerLapsed,
          "An officer's certificate passed its 有效期 (the last day valid_until): an alert, once "
          "per officer and lapse; the public register no longer shows the officer from the "
          "day after.",
          {"certificate_no": "14043100123", "name": "王某", "unit": "沁源县能源局",
           "valid_until": "2026-02-28", "noticed_on": "2026-03-01",
           "categories": ["行政检查", "行政处罚"], "regions": ["沁源县"]}),
    Event("publication_corrected.v1", m.PublicationCorrected,
          "1.2: a published decision corrected on a request (000 第十九条, 002 第十八条, 004 "
          "第二十一条): the fields before and after, what the public sees now, its leaf.",
          {"publication_id": PUBLICATION_ID, "decision_no": "沁能罚〔2025〕12号",
           "correction_id": CORRECTION_ID, "number": "更正〔2025〕1号",
           "fields": {"credit.fine_amount": {"before": "60000", "after": "6000"}},
           "published": PUBLISHED_VIEW, "leaf_index": 1, "tree_size": 2, "root": ROOT,
           "at": "2025-11-04T02:00:00+00:00"}),
    Event("tree_head_signed.v1", m.TreeHeadSigned,
          "1.2: the agency's log of public acts grew: its signed tree head with the consistency "
          "proof from the head before; the vault checks and keeps it write-once.",
          {"agency": "qinyuan-energy", "size": 2, "root": ROOT,
           "signed_at": "2025-11-04T02:00:00+00:00", "key_id": "a1b2c3d4e5f60718",
           "signature": "base64…", "statement": "{\"agency\":\"…\"}",
           "previous": {"size": 1, "root": ROOT}, "consistency": [ROOT]}),
    Event("annual_report_published.v1", m.AnnualReportPublished,
          "An annual statistics report published after review, with its figures and gaps and "
          "its leaf in the agency's Merkle log.",
          {"report_id": ANNUAL_REPORT_ID, "year": 2025, "version": 1, "figures": ANNUAL_FIGURES,
           "gaps": ANNUAL_REPORT["gaps"], "late": False, "leaf_index": 7, "tree_size": 8,
           "root": ROOT, "at": "2026-01-05T02:00:00+00:00"}),
    Event("annual_report_overdue.v1", m.AnnualReportOverdue,
          "An agency's annual report not published by its due day (once per agency and year).",
          {"agency": "qinyuan-energy", "year": 2025, "due": "2026-01-10", "workdays_late": 1,
           "recipients": ["government", "superior"], "basis": "000《公示办法》第十六条",
           "latest_version": 1, "state": "compiled"}),
    Event("publication_withheld.v1", m.PublicationWithheld,
          "A review withheld a decision in whole, with its grounds and reason (not published "
          "on the portal; for a supervisor's system to follow).",
          {"publication_id": PUBLICATION_ID, "decision_no": "沁能罚〔2025〕12号",
           "act_type": "penalty", "decision_date": "2025-10-27",
           "grounds": [{"code": "state_secret", "label": "依法确定为国家秘密的信息",
                        "basis": "000《公示办法》第十三条第一款"}],
           "reason": "涉及国家秘密", "at": "2025-10-28T02:00:00+00:00"}),
    Event("register_revised.v1", m.RegistersRevised,
          "An import_register changed some of the agency's registers published before "
          "enforcement: each register revised with its new revision, and why (000《公示办法》"
          "第十八条); the portal shows the registers anew.",
          {"agency": "qinyuan-energy", "registers": [
              {"kind": "officers", "title": "行政执法人员清单", "revision": 2}],
           "reason": "law_changed", "reason_text": "《统计法》修正施行",
           "at": "2025-11-03T02:00:00+00:00"}),
)

CONTRACT = Contract(
    service="disclosure", version=VERSION, title="行政执法公示 Disclosure publisher",
    description="Enforcement decisions published after review (事后公开), withdrawn when changed, "
                "every public act a leaf of the agency's signed, append-only Merkle log.",
    rpcs=RPCS, events=EVENTS,
    consumes=("records.decision_issued.v1", "disclosure.decision_published.v1",
              "disclosure.publication_corrected.v1", "disclosure.publication_withdrawn.v1",
              "disclosure.publication_expired.v1", "disclosure.publication_repaired.v1",
              "disclosure.annual_report_published.v1",
              "disclosure.register_revised.v1", "disclosure.officer_lapsed.v1"),
)
