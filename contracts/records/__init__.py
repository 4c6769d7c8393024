"""Contract of the record keeper (records), major version 1: its RPC methods, its events and
the content schemas of its text records, each with an example a non-Python caller can copy.

1.2: append_record's record_type takes the record types sealing (查封), seizure (扣押) and
source_notice (告知案源提供人执法情况、执法结果), each with its content schema, and a proposed
decision may carry enforcement_level, sector and amount_involved (the catalogue factors of
002《法制审核办法》第九条第二款) — additive: a new value of an enum and optional fields, absent
where not given. Every v1 request stays valid and means what it meant, every v1 answer and
event keeps its shape, so no method changes its signature and none needs a _v2.

1.3: new methods access_log (调阅监督), find_cases and due_deadlines (finding work),
classify_entry and append_record_v2 (content classified 国家秘密 / 商业秘密 / 个人隐私, beside
append_record, unchanged); get_entries' items may carry `withheld` (optional, a party's view
only).

1.4: record_av's media.object_ref is the vault's object id (a UUID, as vault.complete_upload
answers it), and the record keeper checks the media against the vault's object before writing:
an object missing (or of another agency), not AV, bound to another case, or of another SHA-256
or size is refused (validation_failed naming the field), and without the vault deployed
record_av is refused (service_not_deployed naming it). A v1 caller that sent a location such as
vault://… is refused with validation_failed on media.object_ref saying so: the rule that AV is
kept in the vault, write-once, is what changed, not the request's shape. Also in 1.4: the
archive vault, as itself (a service token, no person behind the call), may read a
case, its entries and its verification, sign its head and mark it archived (roles
"service:vault" on get_case, get_entries, verify_case, checkpoint_case, archive_case) —
additive: every caller admitted before still is.

1.5 (officers on the register): 持证上岗, 亮证执法 — case_findings, agency_findings and
agency_findings_v2 check each officer a text record names (content.officers) against the
disclosure publisher's officers register on the record's day (China time) — its
officer_qualified, asked as service:records for the case's agency and the 执法类别 of the case's
kind of act, once per certificate and day within one call — when the findings are computed,
never at append time (a record naming an unqualified officer is written all the same). A
finding `officer_unqualified` (the certificate not yet valid, expired, taken off the register,
or its 执法类别 not covering the case) or `officer_unknown` (no such certificate on the register)
names the record (seq, at), the officer (`officer`: certificate_no, name, on, the register's
status and reason) and the article of the case's rule set. Where the register cannot be asked
— the publisher not deployed (config DISCLOSURE absent, or auto and not running), not
answering, or refusing — the case has one finding `officer_unverified` (seq: the first record
left unchecked) whose message names every officer and record left unchecked and why: never a
silent pass. Additive: new finding codes and an optional `officer` on a finding.

1.5: annual_figures — the record keeper's figures of an agency's calendar year (China time)
for the annual statistics report (000《公示办法》第十六条; 003 二(一)1(3)): cases opened by act
type, decisions issued, 行政处罚 by kind and fines, 行政强制 by kind, complaints and referrals by
how they were handled, inspections carried out; what each counts is in its schema. The
inspection plan is not kept here: `planned` is null and `missing` says why. The disclosure
publisher calls it as itself ("service:disclosure") — additive."""
from contracts.records import content as c
from contracts.records import messages as m
from shared.contracts import operations
from shared.contracts.registry import (
    CALENDAR_COVERAGE_EXAMPLE,
    Contract,
    Event,
    Rpc,
    service_grant,
)

# the archive vault, calling as itself (contracts/vault; services/vault/usecases/package.py)
VAULT = service_grant("vault")
# the disclosure publisher, compiling the annual report as itself (services.disclosure)
DISCLOSURE = service_grant("disclosure")

VERSION = "1.6.0"

CASE_ID = "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"
HASH = "9f2c4e8b1d7a6c3e5f0a2b4d6e8f1a3c5e7b9d0f2a4c6e8b1d3f5a7c9e0b2d4f"
ACTOR = "officer-lc-017"
# the vault object an AV record names (vault.complete_upload's id)
AV_OBJECT_ID = "2d7c8b40-5a9c-4f3e-9b1d-4c0e9a573f1e"
PARTY_ENTRIES = [{'seq': 6,
                  'kind': 'record',
                  'stage': 'investigation',
                  'occurred_at': '2025-10-10T02:30:00+00:00',
                  'recorded_at': '2025-10-09T08:00:00+00:00',
                  'actor_id': 'officer-1',
                  'actor_role': 'officer',
                  'corrects_seq': None,
                  'content': {'attachments': [],
                              'document_kind': 'interview',
                              'document_no': '陵应急询〔2025〕31号',
                              'officers': [{'certificate_no': '14052100017',
                                            'certificate_shown': True,
                                            'name': '李明'},
                                           {'certificate_no': '14052100021',
                                            'certificate_shown': True,
                                            'name': '张华'}],
                              'person_ids': [],
                              'place': '宏泰煤矿会议室',
                              'record_type': 'investigation_document',
                              'signatures': [],
                              'situations': ['interview'],
                              'summary': '安全科长承认未组织特种作业人员参加培训取证，举报人［已隐去］反映属实',
                              'title': None},
                  'hashed_body': '{"actor":{"agency":"lingchuan-emergency","id":"officer-1","role":"officer"},"case_id":"278d6732-8979-492b-89f9-7da5a879f9d1","content":{"attachments":[],"document_kind":"interview","document_no":"陵应急询〔2025〕31号","officers":[{"certificate_no":"14052100017","certificate_shown":true,"name":"李明"},{"certificate_no":"14052100021","certificate_shown":true,"name":"张华"}],"person_ids":[],"place":"宏泰煤矿会议室","record_type":"investigation_document","signatures":[],"situations":["interview"],"summary":{"commitment":"dfa84a74bd5d458e6ba1188326aca184771ac2c589baa08cbfb996b16883da49"},"title":null},"corrects_seq":null,"format":2,"kind":"record","occurred_at":"2025-10-10T02:30:00+00:00","recorded_at":"2025-10-09T08:00:00+00:00","ruleset":"lingchuan-emergency@1","seq":6,"stage":"investigation"}',
                  'prev_hash': '9b7143f8c49a9b463b8d05649d66787ea7e396a3c494627023dac0eb3c334d25',
                  'entry_hash': 'bb13bdfd84fb90182cd220ad3b3bbaff26fd5fbf9276ce320df473fe5dea0b30'}]
REWRITTEN_CHAIN_VERDICT = {'case_id': '6cbf93bd-adaf-46d6-b5bb-16d0a74f1429',
                           'chain_head': {'hash': '8887683816231593d8212e20d1876357bca6bb36ebb8c3a9dcf548713973876e',
                                          'seq': 12},
                           'checkpoint': {'head_hash': '4598a87f11d63dc051e260172199a488c816656d8ca82cb5725b4034172c5818',
                                          'head_matches': False,
                                          'key_id': '76a68122e4a1d5e8',
                                          'recomputed': '8887683816231593d8212e20d1876357bca6bb36ebb8c3a9dcf548713973876e',
                                          'seq': 12,
                                          'signature_valid': True,
                                          'signed_at': '2025-10-09T08:00:00+00:00',
                                          'valid': False},
                           'checkpoints_checked': 1,
                           'entries_checked': 12,
                           'failure': 'checkpoint_mismatch',
                           'first_bad': {'checkpoint_seq': 12,
                                         'expected': '4598a87f11d63dc051e260172199a488c816656d8ca82cb5725b4034172c5818',
                                         'failure': 'checkpoint_mismatch',
                                         'found': '8887683816231593d8212e20d1876357bca6bb36ebb8c3a9dcf548713973876e',
                                         'problem': 'chain does not lead to the signed hash',
                                         'seq': 12,
                                         'since_seq': 1},
                           'head_hash': '8887683816231593d8212e20d1876357bca6bb36ebb8c3a9dcf548713973876e',
                           'head_seq': 12,
                           'ok': False,
                           'anchor': {'anchored': True, 'reason': None, 'detail': None,
                                      'ok': False, 'failure': 'anchor_mismatch',
                                      'checkpoint': {'seq': 12, 'head_hash': '4598a87f11d63dc051e260172199a488c816656d8ca82cb5725b4034172c5818',
                                                     'signed_at': '2025-10-09T08:00:00+00:00',
                                                     'key_id': '76a68122e4a1d5e8', 'leaf_index': 41,
                                                     'object_id': '0b6f3f0e-3c55-4c8e-9d0e-3f7f4b1d2a10',
                                                     'store': 'local', 'stored_at': '2025-10-09T08:00:02+00:00',
                                                     'signature_valid': True,
                                                     'entry_hash': '8887683816231593d8212e20d1876357bca6bb36ebb8c3a9dcf548713973876e'},
                                      'tree_head': {'size': 42, 'root': '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
                                                    'signed_at': '2025-10-09T08:00:00+00:00',
                                                    'key_id': '76a68122e4a1d5e8',
                                                    'object_id': '7d1e9c3a-1f2b-4c5d-8e9f-0a1b2c3d4e5f',
                                                    'store': 'local', 'signature_valid': True,
                                                    'covers': True, 'included': True}}}
FILING = {
    "start_reason": "日常执法检查发现未按规定开展安全生产教育培训",
    "party_summary": "陵川县某某煤业有限公司，统一社会信用代码91140524MA0XXXXX1X",
    "known_facts": "2025年10月9日现场检查发现3名特种作业人员未持证上岗",
    "handler_opinion": "建议立案调查", "unit_opinion": "同意立案",
    "legal_basis": "《中华人民共和国安全生产法》第九十七条", "head_opinion": "同意",
    "signatures": [{"role": "agency_head", "name": "王某", "signed_at": "2025-10-09"}],
    "approved_at": "2025-10-09T16:30:00+08:00"}
PARTY = {"id": "party-1", "kind": "organisation", "name": "陵川县某某煤业有限公司",
         "id_number": "91140524MA0XXXXX1X", "representative": "赵某", "address": "陵川县某镇",
         "phone": None}
# What the service computes for the example case (陵川, lingchuan-emergency@1): the AV ended
# 2025-10-09 is stored the same working day (001 附件2 第五条); the case closed 2025-11-20 is
# archived within 30 natural days, rolled off the weekend (000 第三十二条; 004 第四十三条).
FINGERPRINT = "0afebc2336e2e4a0d30bae992e70f1651e6eca7fcfb21ad1ab50e5ea73dff57e"
AV_DEADLINE = {"start": "2025-10-09", "amount": 0, "unit": "workdays", "rule": "av_storage",
               "basis": "001 附件2 第五条", "agency": "lingchuan-emergency", "due": "2025-10-09",
               "counted": [], "skipped": [], "notes": [], "paused": [], "rolled_from": None,
               "calendar_fingerprint": FINGERPRINT}
ARCHIVE_DEADLINE = {
    "start": "2025-11-20", "amount": 30, "unit": "natural_days", "rule": "case_archive",
    "basis": "000《全过程记录办法》第三十二条第一款；004 第四十三条第二款",
    "agency": "lingchuan-emergency", "due": "2025-12-22",
    "counted": [f"2025-11-{d:02d}" for d in range(21, 31)]
    + [f"2025-12-{d:02d}" for d in range(1, 21)],
    "skipped": [["2025-12-21", "顺延: 周末"]],
    "notes": [["2025-12-20", "届满日休息，顺延 rolls on: 周末"]], "paused": [],
    "rolled_from": "2025-12-20", "calendar_fingerprint": FINGERPRINT}
# retention classes of lingchuan-emergency@1 (from base) for a penalty case: av_permanent
# because the AV is penalty evidence (000 第三十六条第一款（一）)
RETENTION = [
    {"code": "av_default", "label": "执法音像资料（一般）", "applies_to": "av", "years": 2,
     "basis": "000《全过程记录办法》第三十六条第一款（原则上不得少于2年）"},
    {"code": "av_permanent", "label": "应当永久保存的执法音像资料", "applies_to": "av",
     "permanent": True, "basis": "000《全过程记录办法》第三十六条第一款（一）至（四）"},
    {"code": "case_file", "label": "行政执法案卷（文字和音像记录资料）", "applies_to": "case_file",
     "basis": "000《全过程记录办法》第三十二条；002《全过程记录办法》第十七条第三款；004 第四十三条"
              "（按《档案法》及有关规定保管）"}]
CASE_VIEW = {
    "id": CASE_ID, "case_no": "陵应急立〔2025〕12号", "agency": "lingchuan-emergency",
    "ruleset": "lingchuan-emergency@1", "act_type": "penalty",
    "title": "陵川县某某煤业有限公司未按规定开展安全培训案", "start_mode": "ex_officio",
    "stage": "investigation", "status": "open", "parties": [PARTY], "persons": [],
    "handlers": ["officer-lc-017", "officer-lc-021"], "opened_at": "2025-10-09T16:30:00+08:00",
    "emergency_due": None, "emergency_approved_at": None, "closed_at": None,
    "archive_due": None, "archived_at": None, "head_seq": 3, "head_hash": HASH}
DECISION = {"act_type": "penalty", "party_id": "party-1", "fine_amount": "60000",
            "measures": [], "hearing_held": False, "grounds": [], "procedure": "general",
            "licence_action": None, "coercive_execution": None,
            "facts": "未如实记录安全生产教育和培训情况，3名特种作业人员未持证上岗",
            "legal_basis": "《中华人民共和国安全生产法》第九十七条第（三）项、第（七）项",
            "conclusion": "罚款人民币陆万元整"}
FIRED = [{"code": "fine_threshold", "label": "罚款数额达到重大标准",
          "basis": "陵川 附件3 第三条", "detail": "organisation fine 60000 ≥ 50000"}]
FINDING = {"code": "av_storage_late", "article": "001 附件2 第五条", "case_id": CASE_ID,
           "case_no": "陵应急立〔2025〕12号", "seq": 5, "due": "2025-10-09",
           "at": "2025-10-10T01:00:00+00:00", "message": "音像记录未在规定期限内存储 (due 2025-10-09)"}
APPEND_OK = {"case_id": CASE_ID, "seq": 4, "entry_hash": HASH, "stage": "investigation",
             "deadline": None, "classification": None}

ANNUAL_FIGURES = {
    "agency": "lingchuan-emergency", "year": 2025, "counted_at": "2026-01-02T01:00:00+00:00",
    "figures": {
        "cases_opened": 31, "decisions_issued": 22,
        "cases_by_act_type": [{"code": "inspection", "label": None, "count": 6},
                              {"code": "penalty", "label": None, "count": 25}],
        "penalties": {"decisions": 21, "major": 6, "fines_total": "862000.00", "by_kind": [
            {"code": "fine", "label": "罚款", "count": 19},
            {"code": "warning", "label": "警告", "count": 3}]},
        "coercive_measures": {"decisions": 1, "by_kind": [
            {"code": "seize", "label": "扣押财物", "count": 2}]},
        "complaints": {"received": 4, "by_kind": [
            {"code": "complaint:approved", "label": "投诉、举报—经审查立案查处", "count": 3},
            {"code": "complaint:not_started", "label": "投诉、举报—经审查不予立案", "count": 1}]},
        "inspection_plan": {"inspection_cases": 6, "random_inspections": 4, "planned": None,
                            "missing": {"figure": "planned",
                                        "reason": "the record keeper keeps no inspection plan",
                                        "reason_zh": "记录保管服务不保存执法检查计划"}}}}

RPCS = (
    Rpc("health", m.Empty, m.Health, "Service name, version, rule sets and contract versions, "
        "and how far the legal calendar reaches (calendar: covered range, days left, a warning "
        "from 60 days before its end). Open to any caller, no token.", ("any",), {},
        {"service": "records", "version": "0.1.0", "rulesets": ["lingchuan-emergency@1"],
         "contracts": {"contract": VERSION, "events": ["case_opened.v1"]}, "missing_peers": [],
         "calendar": CALENDAR_COVERAGE_EXAMPLE,
         **operations.example("records", {"review": True})}, writes=False),
    Rpc("open_case", m.OpenCase, m.CaseView, "Open a case in one of the start modes "
        "(立案 / 紧急先行启动 / 依申请 / 投诉举报 / 移送).", ("officer", "head"),
        {"case_no": "陵应急立〔2025〕12号", "agency": "lingchuan-emergency", "act_type": "penalty",
         "title": "陵川县某某煤业有限公司未按规定开展安全培训案", "start_mode": "ex_officio",
         "occurred_at": "2025-10-09T16:30:00+08:00", "parties": [PARTY], "persons": [],
         "handlers": ["officer-lc-017", "officer-lc-021"], "filing_approval": FILING},
        dict(CASE_VIEW, stage="initiation", head_seq=1),
        ("validation_failed", "forbidden", "conflict", "unauthenticated")),
    Rpc("approve_emergency_start", m.ApproveEmergency, m.AppendResult,
        "Make up the approval of an emergency start (due within the rule set's period).",
        ("head",), {"case_id": CASE_ID, "filing_approval": FILING}, APPEND_OK,
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("decide_source", m.DecideSource, m.AppendResult,
        "Decide whether a complaint/referral starts a case; the notice to the source is recorded.",
        ("officer", "head"),
        {"case_id": CASE_ID, "decision": "not_start", "reason": "经核查不存在违法行为",
         "legal_basis": "《安全生产违法行为行政处罚办法》第二十二条", "filing_approval": None,
         "notified_at": "2025-10-12T10:00:00+08:00", "notice_method": "phone",
         "notice_content": "经核查，您反映的问题不存在违法行为，不予立案。"},
        APPEND_OK, ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("advance_stage", m.AdvanceStage, m.AppendResult, "Move the case forward one stage.",
        ("officer", "head"), {"case_id": CASE_ID, "to_stage": "investigation",
                              "occurred_at": "2025-10-10T09:00:00+08:00", "reason": None},
        APPEND_OK, ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("append_record", m.AppendRecord, m.AppendResult,
        "Append a text record (文字记录); content follows components content.<record_type>. "
        "New in 1.2: the record types sealing (查封) and seizure (扣押), an act each, which "
        "the rule set's mandatory AV covers act by act, and source_notice (the source of a "
        "complaint or referral told the case's course and result, 004 第三十条).",
        ("officer", "head"),
        {"case_id": CASE_ID, "record_type": "investigation_document",
         "occurred_at": "2025-10-10T10:00:00+08:00",
         "content": {"document_kind": "inquiry", "summary": "询问当事人安全培训情况",
                     "document_no": "陵应急询〔2025〕12号", "place": "公司会议室",
                     "officers": [{"name": "李某", "certificate_no": "14050001",
                                   "certificate_shown": True},
                                  {"name": "张某", "certificate_no": "14050002",
                                   "certificate_shown": True}]},
         "situations": ["interview"]},
        APPEND_OK, ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("record_av", m.RecordAv, m.AppendResult,
        "Register an audio/video record (音像记录) stored into the system. Where the rule set "
        "makes AV mandatory it is judged act by act: this record covers an act of a situation "
        "it names when it was recording at the act's time, or else one such act of the day "
        "it recorded (China Standard Time); a record of another day covers none. The media "
        "names the vault object holding the file (1.4): the record keeper asks the vault for "
        "it with the caller's token and refuses, naming the field, an object missing or of "
        "another agency, one not AV, one bound to another case, or one whose SHA-256 or size "
        "differs from what the record declares; without the vault deployed it is refused "
        "(service_not_deployed). The entry keeps the object id, its digests and when the "
        "vault stored it; the storage deadline is judged on stored_at as the record declares "
        "it (when the file went into the agency's AV system), the vault's time kept beside.",
        ("officer", "head"),
        {"case_id": CASE_ID, "party": "陵川县某某煤业有限公司", "handler": "李某",
         "unit": "执法监察股", "device_no": "ZFJLY-0031", "started_at": "2025-10-09T14:00:00+08:00",
         "ended_at": "2025-10-09T15:10:00+08:00", "place": "陵川县某镇某某煤矿井口",
         "opening_statement_made": True, "interruptions": [
             {"at": "2025-10-09T14:40:00+08:00", "reason": "设备电量不足更换电池",
              "resumed_at": "2025-10-09T14:43:00+08:00", "explanation": "恢复录制时口头说明中断原因"}],
         "situations": ["onsite_inspection"],
         "media": {"object_ref": AV_OBJECT_ID,
                   "sha256": HASH, "size_bytes": 734003200, "format": "mp4"},
         "stored_at": "2025-10-09T17:20:00+08:00", "evidence_note": None},
        dict(APPEND_OK, deadline=AV_DEADLINE),
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden",
         "service_not_deployed")),
    Rpc("propose_decision", m.ProposeDecision, m.AppendResult,
        "Propose a decision; the rule set's catalogue says whether it is major.",
        ("officer", "head"), {"case_id": CASE_ID, "occurred_at": "2025-10-20T09:00:00+08:00",
                              "decision": DECISION},
        dict(APPEND_OK, stage="decision", classification={"major": True, "fired": FIRED}),
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("enter_legal_review", m.EnterLegalReview, m.AppendResult,
        "Enter the legal-review opinion (法制审核意见) on a proposal where no review board "
        "gives it. Refused (board_opinion_stands) where the board gave an opinion on the "
        "proposal — only the rule set's disagreement path on the board changes it — and "
        "(board_review_pending) where the deployed board reviews the proposal, as it does "
        "every major one; with the board deployed each named reviewer must be in its staff "
        "register as a qualified reviewer (validation_failed on reviewers.N); the entry "
        "records in staff_register whether they were checked. An approval flagged "
        "collective_discussion_required (or under a rule set that sends every passed review "
        "to 集体讨论) opens the gate only once a collective_discussion deciding on it follows.",
        ("legal_unit",),
        {"case_id": CASE_ID, "proposal_seq": 9, "opinion": "approve",
         "reasons": "事实清楚，证据确凿，适用依据正确，程序合法", "reviewers": ["陈某", "刘某"],
         "reviewed_at": "2025-10-24T15:00:00+08:00", "collective_discussion_required": True},
        APPEND_OK,
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden",
         "BoardOpinionStands", "BoardReviewPending", "service_not_deployed")),
    Rpc("issue_decision", m.IssueDecision, m.AppendResult,
        "Record the decision as issued; a major one needs an approving legal review — the "
        "review board's last opinion on the proposal where it gave one (a review entered "
        "beside it does not count).", ("head",),
        {"case_id": CASE_ID, "proposal_seq": 9, "decision_no": "陵应急罚〔2025〕12号",
         "issued_at": "2025-10-27T10:00:00+08:00", "signed_by": "王某"}, APPEND_OK,
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden",
         "service_not_deployed")),
    Rpc("close_case", m.CloseCase, m.AppendResult,
        "Close the case (结案); the archive falls due within the rule set's period.",
        ("officer", "head"), {"case_id": CASE_ID, "closed_at": "2025-11-20T10:00:00+08:00",
                              "reason": "罚款已缴纳，执行完毕"}, dict(APPEND_OK, deadline=ARCHIVE_DEADLINE),
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("archive_case", m.ArchiveCase, m.AppendResult, "Record the case file as archived (归档); "
        "the archive vault does so once the case's package is stored.",
        ("officer", "head", "legal_unit", VAULT),
        {"case_id": CASE_ID, "archived_at": "2025-12-01T10:00:00+08:00",
         "archive_no": "LCYJ-2025-WS-012", "location": "档案室3号柜"}, APPEND_OK,
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("correct_entry", m.CorrectEntry, m.AppendResult,
        "Append a correction pointing at an earlier entry (nothing is edited).",
        ("officer", "head"), {"case_id": CASE_ID, "seq": 4, "reason": "笔录地点记载错误",
                              "content": {"place": "公司调度室"}}, APPEND_OK,
        ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("get_case", m.CaseRef, m.CaseView, "Read a case (a party sees its own, masked); "
        "the read is recorded.", ("officer", "head", "legal_unit", "reviewer", "supervisor",
                                  "party", VAULT), {"case_id": CASE_ID}, CASE_VIEW,
        ("not_found", "forbidden"), writes=False),
    Rpc("get_entries", m.GetEntries, m.EntryView, "Read a case's chain entries. A party "
        "sees every spelling of a protected person's data masked (000 第三十四条) and can "
        "still recompute each entry_hash from prev_hash and hashed_body, where that data "
        "stands only as salted commitments.",
        ("officer", "head", "legal_unit", "reviewer", "supervisor", "party", VAULT),
        {"case_id": "278d6732-8979-492b-89f9-7da5a879f9d1", "from_seq": 6, "limit": 1},
        # a party's view of the demo case's interview record, as the service returned it
        PARTY_ENTRIES, ("not_found", "forbidden"), many=True, writes=False),
    Rpc("list_cases", m.ListCasesV1, m.CaseView, "List an agency's cases, newest opened "
        f"first, `limit` of them after `offset` (at most {m.MAX_OFFSET:,}, so that no call "
        "walks an agency's whole history; list_cases_v2 pages by cursor without that limit).",
        ("officer", "head", "legal_unit", "reviewer", "supervisor"),
        {"agency": "lingchuan-emergency", "stage": "investigation", "limit": 50, "offset": 0},
        [CASE_VIEW], ("validation_failed", "forbidden"), many=True, writes=False),
    Rpc("list_cases_v2", m.ListCases, m.CasePage, "List an agency's cases a page at a time, "
        f"newest opened first (ties by case id): at most `limit` ({m.MAX_CASES_PAGE} at most) "
        "per call; `next` is the cursor of the following page, null on the last. New in 1.1, "
        "beside list_cases (v1), which keeps its list and its offset.",
        ("officer", "head", "legal_unit", "reviewer", "supervisor"),
        {"agency": "lingchuan-emergency", "stage": "investigation", "limit": 50,
         "cursor": "WyIyMDI1LTEwLTEwVDAwOjAwOjAwKzAwOjAwIiwiY2FzZS0xIl0"},
        {"items": [CASE_VIEW], "next": None}, ("validation_failed", "forbidden"), writes=False),
    Rpc("verify_case", m.CaseRef, m.Verification, "Recompute the case's chain from genesis "
        "to its recorded head, re-derive every sealed text's commitments, check every signed "
        "checkpoint against the entry at its seq; names what failed first (failure, "
        "first_bad) and the head and checkpoint compared. Since 1.4 also against the vault "
        "(`anchor`): the last checkpoint of the case the vault keeps write-once (its signature "
        "under the key the vault pinned, the chain still holding its seq with its hash) and "
        "its inclusion in the agency's last tree head the vault keeps; not anchored, saying "
        "why, where the deployment has no vault.",
        ("officer", "head", "legal_unit", "supervisor", VAULT),
        {"case_id": "6cbf93bd-adaf-46d6-b5bb-16d0a74f1429"},
        # the demo case after an insider rewrote seq 5 and re-hashed the rest, as returned
        REWRITTEN_CHAIN_VERDICT, ("not_found", "forbidden"), writes=False),
    Rpc("log_consistency", m.LogConsistencyRequest, m.LogConsistency,
        "The consistency proof (RFC 9162 §2.1.4) from the caller's agency's Merkle log of "
        "checkpoints at `first` leaves to the log at `second`, read from the log's stored "
        "nodes — for the vault, when a tree head reaches it out of order (it checks the proof "
        "against the two signed roots it holds). Refused (domain_rule_violated: log_shorter, "
        "log_incomplete) when the log does not reach `second` or no longer holds the nodes. "
        "New in 1.4.", ("head", "legal_unit", "supervisor", VAULT), {"first": 6, "second": 8},
        {"agency": "lingchuan-emergency", "first": 6, "second": 8, "proof": [HASH, HASH, HASH]},
        ("validation_failed", "domain_rule_violated", "forbidden"), writes=False),
    Rpc("checkpoint_case", m.CaseRef, m.Checkpoint, "Sign the case's chain head now — only "
        "when its chain verifies; otherwise refused (code chain_not_verified, details: "
        "failure, first_bad, head_seq, head_hash).",
        ("officer", "head", "legal_unit", "supervisor", VAULT), {"case_id": CASE_ID},
        {"case_id": CASE_ID, "seq": 12, "head_hash": HASH, "signed_at": "2025-10-27T10:00:01+00:00",
         "key_id": "a1b2c3d4e5f60718", "signature": "base64…",
         "statement": "{\"case_id\":\"…\"}", "public_key": "-----BEGIN PUBLIC KEY-----…"},
        ("not_found", "domain_rule_violated", "forbidden")),
    Rpc("case_findings", m.CaseRef, m.Finding, "Every violation the case's data shows.",
        ("head", "legal_unit", "supervisor"), {"case_id": CASE_ID}, [FINDING],
        ("not_found", "forbidden"), many=True, writes=False),
    Rpc("replay_events", m.ReplayEvents, m.Replayed,
        "Publish again the events no queue was bound for when they happened (after deploying "
        "a consumer). Consumers are idempotent on message_id. A legal_unit replays its own "
        "agency's only; a supervisor every agency's, or the one named (not_found when this "
        "deployment does not serve it).",
        ("supervisor", "legal_unit"),
        {"event_types": ["decision_issued.v1"], "since": "2025-10-01T00:00:00+08:00",
         "agency": "lingchuan-emergency"},
        {"requeued": 3}, ("validation_failed", "forbidden", "not_found")),
    Rpc("agency_findings", m.AgencyRef, m.Finding, "Every violation across an agency's "
        f"cases, in one list, for an agency of at most {m.MAX_FINDINGS_PAGE} cases; a larger "
        "agency is refused (too_many_cases), so that no call walks a whole history: "
        "agency_findings_v2 pages through any number.",
        ("head", "legal_unit", "supervisor"), {"agency": "lingchuan-emergency"},
        [FINDING, dict(FINDING, code="archive_late", article=ARCHIVE_DEADLINE["basis"],
                       seq=None, due=ARCHIVE_DEADLINE["due"], at=None,
                       message="案卷未在行政执法行为终结之日起规定期限内立卷归档")],
        ("validation_failed", "forbidden", "domain_rule_violated"), many=True, writes=False),
    Rpc("agency_findings_v2", m.AgencyFindings, m.FindingPage, "Every violation across an "
        "agency's cases, a page of cases at a time in opening order (ties by case id): the "
        f"findings of at most `limit` cases ({m.MAX_FINDINGS_PAGE} at most) per call; `next` "
        "is the cursor of the following page, null on the last. New in 1.1, beside "
        "agency_findings (v1), which keeps its list.",
        ("head", "legal_unit", "supervisor"), {"agency": "lingchuan-emergency", "limit": 20},
        {"items": [FINDING, dict(FINDING, code="archive_late", article=ARCHIVE_DEADLINE["basis"],
                                 seq=None, due=ARCHIVE_DEADLINE["due"], at=None,
                                 message="案卷未在行政执法行为终结之日起规定期限内立卷归档")],
         "cases": 20, "next": "WyIyMDI1LTEwLTA5VDA4OjMwOjAwKzAwOjAwIiwiNmNiZjkzYmQiXQ"},
        ("validation_failed", "forbidden"), writes=False),
    Rpc("access_log", m.AccessLogQuery, m.AccessPage, "调阅监督 (002 第十九条; 003 二(二)): "
        "who read or was refused which case of the agency, when, by which call and why — "
        "newest first, filtered by case, reader, time range and outcome, a page at a time "
        f"(at most {m.MAX_ACCESS_PAGE}); `next` is the cursor of the following page. The "
        "look at the log is itself logged. New in 1.3.",
        ("supervisor", "legal_unit", "head"),
        {"agency": "lingchuan-emergency", "case_id": CASE_ID,
         "since": "2025-10-01T00:00:00+08:00", "limit": 50},
        {"items": [{"id": 412, "at": "2025-10-10T01:00:00+00:00", "actor_id": "officer-lc-017",
                    "actor_role": "officer", "actor_agency": "lingchuan-emergency",
                    "action": "get_entries", "case_id": CASE_ID,
                    "agency": "lingchuan-emergency", "outcome": "granted", "reason": None}],
         "next": None}, ("validation_failed", "forbidden"), writes=False),
    Rpc("find_cases", m.FindCases, m.CasePage, "Find the agency's cases by handler (or "
        "`mine`: the caller's own), party, stage, status, opening day and open deadlines — "
        "every filter given must hold — newest opened first (ties by case id), a page at a "
        f"time (at most {m.MAX_CASES_PAGE}); `next` is the cursor of the following page. "
        "New in 1.3.", ("officer", "head", "legal_unit", "reviewer", "supervisor"),
        {"agency": "lingchuan-emergency", "mine": True, "status": "open", "limit": 20},
        {"items": [CASE_VIEW], "next": None}, ("validation_failed", "forbidden"),
        writes=False),
    Rpc("due_deadlines", m.DueDeadlines, m.DuePage, "The agency's open deadlines (the "
        "emergency start's approval; the archive of a closed case) due within `within` "
        "working days of today by the shared calendar, overdue ones included, soonest first "
        "(ties by case id and kind), a page at a time. New in 1.3.",
        ("officer", "head", "legal_unit", "supervisor"),
        {"agency": "lingchuan-emergency", "within": 5, "limit": 50},
        {"until": "2025-12-26", "items": [{
            "case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号", "title": CASE_VIEW["title"],
            "handlers": CASE_VIEW["handlers"], "kind": "case_archive", "due": "2025-12-22",
            "overdue": False, "workdays_left": 1, "deadline": ARCHIVE_DEADLINE}],
         "next": None}, ("validation_failed", "forbidden"), writes=False),
    Rpc("append_record_v2", m.AppendRecordV2, m.AppendResult,
        "append_record, with the content classified as it is recorded where it is secret "
        "from the start (classification: 国家秘密 / 商业秘密 / 个人隐私, the whole content or "
        "named fields): a classification entry follows the record in the same transaction, "
        "and a party's view leaves the content out (000 第三十三、三十四、三十九条). The answer "
        "names the record's entry. New in 1.3, beside append_record (v1), unchanged.",
        ("officer", "head"),
        {"case_id": CASE_ID, "record_type": "note", "occurred_at": "2025-10-10T10:00:00+08:00",
         "content": {"title": "现场勘验补充说明", "summary": "井下避难硐室布置情况"},
         "situations": [],
         "classification": {"category": "state_secret", "content_fields": ["summary"],
                            "reason": "涉及煤矿井下防灾系统布置，依定密依据确定为秘密级"}},
        APPEND_OK, ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("classify_entry", m.ClassifyEntry, m.AppendResult, "Classify an entry's content as "
        "国家秘密, 商业秘密 or 个人隐私 — the whole content or named fields — by an entry of "
        "its own (the chain is never rewritten). A party's view leaves classified content "
        "out and says what was withheld and why (000 第三十三、三十四、三十九条). New in 1.3.",
        ("officer", "head", "legal_unit"),
        {"case_id": CASE_ID, "seq": 6, "category": "state_secret",
         "content_fields": ["summary"], "reason": "涉及煤矿井下防灾系统布置，依定密依据确定为秘密级"},
        APPEND_OK, ("validation_failed", "not_found", "domain_rule_violated", "forbidden")),
    Rpc("annual_figures", m.AnnualFiguresRequest, m.AnnualFigures, "1.5: the agency's "
        "figures of a calendar year (China time) for the annual statistics report: cases "
        "opened, decisions issued, 行政处罚 by kind, 行政强制 by kind, complaints and "
        "referrals by how they were handled, inspections carried out. The inspection plan is "
        "not kept by the record keeper: `planned` null, `missing` says so. The read is "
        "recorded. Also for the disclosure publisher (service:disclosure).",
        ("head", "legal_unit", "supervisor", "publisher", DISCLOSURE),
        {"agency": "lingchuan-emergency", "year": 2025}, ANNUAL_FIGURES,
        ("validation_failed", "forbidden", "not_found"), writes=False),
)

EVENTS = (
    Event("case_opened.v1", m.CaseOpened, "A case was opened.",
          {"case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号", "act_type": "penalty",
           "title": CASE_VIEW["title"], "start_mode": "ex_officio", "parties": [PARTY],
           "opened_at": "2025-10-09T16:30:00+08:00", "emergency_due": None}),
    Event("stage_changed.v1", m.StageChanged, "A case moved to its next stage.",
          {"case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号", "from_stage": "initiation",
           "to_stage": "investigation", "seq": 2}),
    Event("entry_appended.v1", m.EntryAppended, "An entry was appended to a case's chain.",
          {"case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号", "seq": 4,
           "kind": "record", "record_type": "investigation_document", "stage": "investigation",
           "entry_hash": HASH}),
    Event("decision_proposed.v1", m.DecisionProposed,
          "A decision was proposed; `major` says whether legal review is required.",
          {"case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号", "proposal_seq": 9,
           "case_title": CASE_VIEW["title"], "decision": DECISION, "party": PARTY, "major": True, "fired": FIRED,
           "handlers": ["officer-lc-017", "officer-lc-021"], "participants": ["head-lc-001"]}),
    Event("decision_issued.v1", m.DecisionIssued, "A decision was issued (作出决定).",
          {"case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号", "seq": 11, "proposal_seq": 9,
           "decision_no": "陵应急罚〔2025〕12号", "issued_at": "2025-10-27T10:00:00+08:00",
           "decision": DECISION, "major": True, "legal_review_seq": 10, "party": PARTY,
           "agency_name": "陵川县应急管理局"}),
    Event("case_closed.v1", m.CaseClosed, "A case was closed (结案).",
          {"case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号",
           "closed_at": "2025-11-20T10:00:00+08:00", "reason": "罚款已缴纳，执行完毕", "seq": 20}),
    Event("checkpoint_signed.v1", m.CheckpointSigned,
          "A case's chain head was signed and appended to the agency's Merkle log (1.4); the "
          "vault keeps it write-once.",
          {"case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号", "seq": 12, "head_hash": HASH,
           "signed_at": "2025-10-27T10:00:01+00:00", "key_id": "a1b2c3d4e5f60718",
           "signature": "base64…", "statement": "{\"case_id\":\"…\"}", "leaf_index": 41}),
    Event("tree_head_signed.v1", m.TreeHeadSigned,
          "The agency's Merkle log of checkpoints grew: its signed tree head with the "
          "consistency proof from the head before (1.4); the vault checks and keeps it.",
          {"agency": "lingchuan-emergency", "size": 42, "root": HASH,
           "signed_at": "2025-10-27T10:00:01+00:00", "key_id": "a1b2c3d4e5f60718",
           "signature": "base64…", "statement": "{\"agency\":\"…\"}",
           "previous": {"size": 41, "root": HASH}, "consistency": [HASH, HASH]}),
    Event("archive_due.v1", m.ArchiveDue,
          "A closed case must be archived by `due`; carries what the archive needs, each AV "
          "object with the storage labels its record carries (001 附件2 第七条). Schema 1.1: "
          "the labels were added (optional).",
          {"case_id": CASE_ID, "case_no": "陵应急立〔2025〕12号", "title": CASE_VIEW["title"],
           "act_type": "penalty", "parties": ["陵川县某某煤业有限公司"],
           "handlers": ["officer-lc-017", "officer-lc-021"], "due": ARCHIVE_DEADLINE,
           "head_seq": 20, "head_hash": HASH, "entries": 20,
           "av_objects": [{"seq": 5, "object_ref": AV_OBJECT_ID,
                           "sha256": HASH, "party": "陵川县某某煤业有限公司", "handler": "李某",
                           "unit": "执法监察股", "device_no": "ZFJLY-0031",
                           "started_at": "2025-10-09T14:00:00+08:00",
                           "ended_at": "2025-10-09T15:10:00+08:00",
                           "place": "陵川县某镇某某煤矿井口"}],
           "retention": RETENTION}, schema_version="1.1"),
)

CONTRACT = Contract(
    service="records", version=VERSION, title="记录保管 Record keeper (执法全过程记录)",
    description="Cases, their stages and records, the append-only hash chain per case, AV "
                "record metadata, findings and the access log.",
    rpcs=RPCS, events=EVENTS, consumes=("review.opinion_issued.v1",),
    components=tuple((f"content.{name}", schema) for name, schema in c.CONTENT.items()),
)
