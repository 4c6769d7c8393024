"""Contract of the review board (review), major version 1: its RPC methods and events, each
with an example a non-Python caller can copy."""
from contracts.records import DECISION, FIRED, PARTY
from contracts.review import messages as m
from shared.contracts import operations
from shared.contracts.registry import CALENDAR_COVERAGE_EXAMPLE, Contract, Event, Rpc

VERSION = "1.3.0"

REVIEW_ID = "0f6b2a6e-8d1c-4f0e-9a57-3c2d1e0b9a88"
CASE_ID = "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"
CASE_NO = "陵应急立〔2025〕12号"
CASE_TITLE = "陵川县某某煤业有限公司未按规定开展安全培训案"
ABOUT = {"review_id": REVIEW_ID, "case_id": CASE_ID, "case_no": CASE_NO, "proposal_seq": 9}
DEADLINE = {"start": "2025-10-20", "amount": 7, "unit": "workdays", "rule": "review",
            "basis": "001 附件3 第四条", "agency": "lingchuan-emergency", "due": "2025-10-29",
            "counted": ["2025-10-21", "2025-10-22", "2025-10-23", "2025-10-24", "2025-10-27",
                        "2025-10-28", "2025-10-29"],
            "skipped": [["2025-10-25", "周末"], ["2025-10-26", "周末"]], "notes": [],
            "paused": [], "rolled_from": None,
            "calendar_fingerprint": "0afebc2336e2e4a0d30bae992e70f1651e6eca7fcfb21ad1ab50e5ea73dff57e"}
MATERIALS = [
    {"code": "proposal", "title": "重大行政执法决定建议及情况说明", "ref": "records:case/12#9",
     "sha256": None, "note": None},
    {"code": "investigation_report", "title": "案件调查终结报告", "ref": None, "sha256": None,
     "note": None},
    {"code": "draft_decision", "title": "行政处罚决定书（代拟稿）", "ref": None, "sha256": None,
     "note": None},
    {"code": "basis_and_evidence", "title": "法律依据及证据材料目录", "ref": None, "sha256": None,
     "note": None}]
ASSIGNMENT = {"reviewer_id": "reviewer-lc-003", "name": "李某",
              "reason": "政策法规股轮值 — checked under lingchuan-emergency@1: not a handler of the "
                        "case; no declared interest; not involved before; 法律职业资格 A20191410000",
              "legal_qualification": True, "assigned_at": "2025-10-20T02:00:00+00:00",
              "assigned_by": "legal-lc-001", "status": "active"}
DOCUMENT = {"template_id": "legal_review_opinion", "copies": [
    {"copy": 1, "destination": "case_file", "label": "存入执法案卷", "online_replaces_paper": False},
    {"copy": 2, "destination": "review_archive", "label": "法制审核机构留存归档",
     "online_replaces_paper": False}],
    "data": {
        "authority_name": "陵川县应急管理局", "doc_number": "陵应急法审〔2025〕12号",
        "submitting_unit": "执法承办机构", "submitting_unit_kind": "机构",
        "submitted_date": "2025-10-20", "materials_complete_date": "2025-10-20",
        "case_name": CASE_TITLE, "case_number": CASE_NO,
        "review_rule": "《陵川县应急管理局关于印发《行政执法公示制度执法全过程记录制度重大执法决定"
                       "法制审核制度工作方案》的通知》（001 附件3 第五条（一））",
        "reviewing_unit": "法制审核机构",
        "materials": [{"name": x["title"]} for x in MATERIALS],
        "proposed_decision": "依据《中华人民共和国安全生产法》第九十七条第（三）项、第（七）项，"
                             "罚款人民币陆万元整",
        "review_points": [{"point": "事实是否清楚，证据是否确凿、充分", "finding": "符合。"}],
        "opinion_kind": "同意", "opinion_reasons": "事实清楚，证据确凿，适用法律正确，程序合法，裁量适当",
        "reviewers": [{"name": "李某", "position": "法制审核人员"}],
        "review_date": "2025-10-24"}}
OPINION = {"code": "approve", "label": "同意", "approving": True,
           "reasons": "事实清楚，证据确凿，适用法律正确，程序合法，裁量适当",
           "issued_on": "2025-10-24", "issued_at": "2025-10-24T16:00:00+08:00",
           "issued_by": "reviewer-lc-003", "reviewers": ["reviewer-lc-003"], "stage": "reviewers",
           "final": True, "collective_discussion_owed": False, "on_time": True, "revised": False,
           "document": DOCUMENT}
REVIEW = {
    "id": REVIEW_ID, "agency": "lingchuan-emergency", "ruleset": "lingchuan-emergency@1",
    "case_id": CASE_ID, "case_no": CASE_NO,
    "case_title": CASE_TITLE, "proposal_seq": 9, "decision": DECISION,
    "party": PARTY, "classification": {"major": True, "fired": FIRED},
    "handlers": ["officer-lc-017", "officer-lc-021"], "participants": ["head-lc-001"],
    "state": "under_review", "requested_at": "2025-10-20T01:00:00+00:00",
    "requested_by": "officer-lc-017", "source_message_id": "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
    "materials": [dict(x, label=x["title"], submitted_on="2025-10-20",
                       submitted_by="officer-lc-017") for x in MATERIALS],
    "applicable": [], "missing": [], "received_on": "2025-10-20", "complete_on": "2025-10-20",
    "clock_start": "2025-10-20", "stops": [], "extension": None, "deadline": DEADLINE,
    "first_deadline": DEADLINE, "reminded_for": None, "overdue_for": None,
    "assignments": [ASSIGNMENT], "interests": [], "findings": {}, "opinion": None,
    "disagreement": None, "collective": None, "document_info": None,
    "updated_at": "2025-10-20T02:00:00+00:00"}
DONE = dict(REVIEW, state="opinion_issued", opinion=OPINION, findings={
    "facts_evidence": {"result": "pass", "note": None, "by": "reviewer-lc-003",
                       "at": "2025-10-24T15:00:00+08:00"}})
WRITE_ERRORS = ("validation_failed", "not_found", "domain_rule_violated", "forbidden",
                "unauthenticated")

RPCS = (
    Rpc("health", m.Empty, m.Health, "Service name, version, rule sets and contract versions, "
        "and how far the legal calendar reaches (calendar: covered range, days left, a warning "
        "from 60 days before its end). Open to any caller, no token.", ("any",), {},
        {"service": "review", "version": "0.1.0", "rulesets": ["lingchuan-emergency@1"],
         "contracts": {"contract": VERSION, "events": ["opinion_issued.v1"]},
         "missing_peers": [], "calendar": CALENDAR_COVERAGE_EXAMPLE,
         **operations.example("review", {"records": True})}, writes=False),
    Rpc("classify", m.Classify, m.Classification,
        "Is a proposed decision major (重大执法决定)? Names every catalogue rule that fired. "
        "Open to any caller, no token.", ("any",),
        {"ruleset": "lingchuan-emergency", "proposal": {
            "act_type": "penalty", "party_kind": "organisation", "fine_amount": "60000",
            "measures": [], "hearing_held": False, "grounds": [], "procedure": "general",
            "licence_action": None, "coercive_execution": None}},
        {"ruleset": "lingchuan-emergency@1", "major": True, "review_allowed": True,
         "fired": FIRED, "optional": [], "notes": [],
         "fingerprint": "ca8972637574c003048e389c1e185de73b78632d0a5c490180c6bef763ae2c94"},
        ("validation_failed", "not_found"), writes=False),
    Rpc("request_review", m.RequestReview, m.Review,
        "Ask for legal review of a proposed decision (also made automatically from records' "
        "decision_proposed.v1 when it is major). Materials may come with it.",
        ("officer", "head"),
        {"agency": "lingchuan-emergency", "case_id": CASE_ID, "case_no": CASE_NO,
         "case_title": CASE_TITLE,
         "proposal_seq": 9, "decision": DECISION, "party": PARTY,
         "handlers": ["officer-lc-017", "officer-lc-021"], "participants": ["head-lc-001"],
         "requested_at": "2025-10-20T09:00:00+08:00", "materials": MATERIALS, "applicable": []},
        dict(REVIEW, source_message_id=None, assignments=[]),
        ("validation_failed", "domain_rule_violated", "conflict", "forbidden", "unauthenticated")),
    Rpc("submit_materials", m.SubmitMaterials, m.Review,
        "Submit review materials (送审材料). The clock starts when they are complete (on "
        "receipt where the rule set says so); `missing` lists what is still owed.",
        ("officer", "head"),
        {"review_id": REVIEW_ID, "materials": MATERIALS, "applicable": [],
         "submitted_at": "2025-10-20T09:00:00+08:00"}, REVIEW, WRITE_ERRORS),
    Rpc("register_staff", m.RegisterStaff, m.StaffMember,
        "Register or update an officer, reviewer or legal counsel of the agency.",
        ("legal_unit", "head"),
        {"agency": "lingchuan-emergency", "person_id": "reviewer-lc-003", "name": "李某",
         "position": "政策法规股股长", "roles": ["reviewer"], "legal_qualification": True,
         "qualification_no": "A20191410000", "prior_penalty_reviews": 4, "active": True,
         "note": None},
        {"agency": "lingchuan-emergency", "person_id": "reviewer-lc-003", "name": "李某",
         "position": "政策法规股股长", "roles": ["reviewer"], "legal_qualification": True,
         "qualification_no": "A20191410000", "prior_penalty_reviews": 4, "active": True,
         "note": None}, ("validation_failed", "not_found", "forbidden", "unauthenticated")),
    Rpc("assign_reviewer", m.AssignReviewer, m.Review,
        "Assign a reviewer; refused (and the refusal recorded) when they must recuse "
        "(handler, declared interest, prior involvement) or lack the 法律职业资格 required.",
        ("legal_unit", "head"),
        {"review_id": REVIEW_ID, "reviewer_id": "reviewer-lc-003", "reason": "政策法规股轮值"},
        REVIEW, WRITE_ERRORS + ("conflict",)),
    Rpc("declare_interest", m.DeclareInterest, m.Review,
        "Record a declared interest (利害关系); an active assignment of that person ends.",
        ("reviewer", "legal_unit", "head"),
        {"review_id": REVIEW_ID, "person_id": "reviewer-lc-004", "interest": "系当事人法定代表人近亲属"},
        REVIEW, WRITE_ERRORS),
    Rpc("stop_clock", m.StopClock, m.Review,
        "Stop the review clock for a reason of the rule set (补充材料, 专家论证, 提请解释).",
        ("reviewer", "legal_unit"),
        {"review_id": REVIEW_ID, "reason": "supplementary_materials",
         "stopped_at": "2025-10-22T10:00:00+08:00", "note": "需补充检测报告"},
        dict(REVIEW, state="paused", deadline=None), WRITE_ERRORS),
    Rpc("resume_clock", m.ResumeClock, m.Review,
        "Restart the review clock; the stopped days are not counted.", ("reviewer", "legal_unit"),
        {"review_id": REVIEW_ID, "resumed_at": "2025-10-24T09:00:00+08:00", "note": None},
        REVIEW, WRITE_ERRORS),
    Rpc("extend_deadline", m.ExtendDeadline, m.Review,
        "Approve the one extension the rule set allows (经批准延长).", ("head",),
        {"review_id": REVIEW_ID, "reason": "案情复杂，需进一步论证",
         "approved_at": "2025-10-28T09:00:00+08:00"}, REVIEW, WRITE_ERRORS + ("conflict",)),
    Rpc("record_finding", m.RecordFinding, m.Review,
        "Record the finding on one review point of the rule set.", ("reviewer", "legal_unit"),
        {"review_id": REVIEW_ID, "point": "facts_evidence", "result": "pass", "note": None,
         "recorded_at": "2025-10-24T15:00:00+08:00"}, REVIEW, WRITE_ERRORS),
    Rpc("issue_opinion", m.IssueOpinion, m.Review,
        "Issue the opinion (every review point needs a finding first); published as "
        "opinion_issued.v1 and written into the case's chain by records.",
        ("reviewer", "legal_unit"),
        {"review_id": REVIEW_ID, "opinion": "approve",
         "reasons": "事实清楚，证据确凿，适用法律正确，程序合法，裁量适当",
         "issued_at": "2025-10-24T16:00:00+08:00", "collective_discussion_required": False,
         "document": {"doc_number": "陵应急法审〔2025〕12号", "submitting_unit": "执法监察股",
                      "submitting_unit_kind": "股", "reviewing_unit": "政策法规股"}},
        DONE, WRITE_ERRORS),
    Rpc("contest_opinion", m.ContestOpinion, m.Review,
        "The handling unit disagrees with the opinion (异议); consultation follows.",
        ("officer", "head"),
        {"review_id": REVIEW_ID, "reason": "裁量幅度认定有异议",
         "contested_at": "2025-10-25T09:00:00+08:00"},
        dict(DONE, state="contested"), WRITE_ERRORS),
    Rpc("record_consultation", m.RecordConsultation, m.Review,
        "Record a consultation between the handling unit and the reviewers (协商沟通).",
        ("officer", "head", "legal_unit", "reviewer"),
        {"review_id": REVIEW_ID, "held_at": "2025-10-26T10:00:00+08:00",
         "participants": ["officer-lc-017", "reviewer-lc-003"],
         "summary": "双方就裁量基准适用交换意见，未能达成一致", "outcome": "no_agreement"},
        dict(DONE, state="contested"), WRITE_ERRORS),
    Rpc("head_decide", m.HeadDecide, m.Review,
        "The head decides a disagreement consultation did not settle (报请负责人决定).", ("head",),
        {"review_id": REVIEW_ID, "outcome": "uphold", "opinion": None,
         "reasons": "维持法制审核意见", "decided_at": "2025-10-27T09:00:00+08:00"},
        DONE, WRITE_ERRORS),
    Rpc("record_collective_discussion", m.RecordCollectiveDiscussion, m.Review,
        "Record the 集体讨论 a passed review goes to where the rule set requires it (周村).",
        ("head",),
        {"review_id": REVIEW_ID, "held_at": "2025-10-28T15:00:00+08:00",
         "participants": ["head-zc-001", "head-zc-002", "head-zc-003"],
         "summary": "经集体讨论，同意作出处罚决定", "conclusion": "approve"},
        dict(DONE, state="decided"), WRITE_ERRORS),
    Rpc("get_review", m.ReviewRef, m.Review, "One review with its full history.",
        ("officer", "head", "legal_unit", "reviewer", "supervisor"), {"review_id": REVIEW_ID},
        dict(REVIEW, history=[{"at": "2025-10-20T01:00:00+00:00", "actor_id": "officer-lc-017",
                               "actor_role": "officer", "action": "requested",
                               "body": {"via": "records.decision_proposed.v1"}}]),
        ("not_found", "forbidden", "unauthenticated"), writes=False),
    Rpc("list_reviews", m.ListReviews, m.Review, "Reviews of an agency, newest first.",
        ("officer", "head", "legal_unit", "reviewer", "supervisor"),
        {"agency": "lingchuan-emergency", "state": "under_review", "case_id": None, "limit": 100},
        [REVIEW], ("validation_failed", "not_found", "forbidden", "unauthenticated"), many=True,
        writes=False),
    Rpc("get_review_v2", m.ReviewHistoryRef, m.ReviewWithHistoryPage,
        "One review with a page of its history, oldest first: at most `history_limit` "
        f"({m.MAX_HISTORY_PAGE} at most) entries after `history_cursor`; `history_next` is the "
        "cursor of the following page, null on the last. New in 1.1, beside get_review (v1), "
        "which keeps its full history.",
        ("officer", "head", "legal_unit", "reviewer", "supervisor"),
        {"review_id": REVIEW_ID, "history_limit": 100, "history_cursor": None},
        dict(REVIEW, history=[{"at": "2025-10-20T01:00:00+00:00", "actor_id": "officer-lc-017",
                               "actor_role": "officer", "action": "requested",
                               "body": {"via": "records.decision_proposed.v1"}}],
             history_next=None),
        ("validation_failed", "not_found", "forbidden", "unauthenticated"), writes=False),
    Rpc("list_reviews_v2", m.ListReviewsPage, m.ReviewPage,
        "Reviews of an agency a page at a time, newest requested first (ties by review id): "
        f"at most `limit` ({m.MAX_REVIEWS_PAGE} at most) per call; `next` is the cursor of the "
        "following page, null on the last. New in 1.1, beside list_reviews (v1), which keeps "
        "its one list.",
        ("officer", "head", "legal_unit", "reviewer", "supervisor"),
        {"agency": "lingchuan-emergency", "state": "under_review", "case_id": None, "limit": 50,
         "cursor": "WyIyMDI1LTEwLTIwVDAxOjAwOjAwKzAwOjAwIiwicmV2aWV3LTEiXQ"},
        {"items": [REVIEW], "next": None},
        ("validation_failed", "not_found", "forbidden", "unauthenticated"), writes=False),
    Rpc("staffing_report", m.AgencyRef, m.Staffing,
        "Reviewers against enforcement officers and the rule set's ratio (5%).",
        ("head", "legal_unit", "supervisor"), {"agency": "anze-justice"},
        {"agency": "anze-justice", "ruleset": "anze-county@1", "officers": 60, "reviewers": 2,
         "legally_qualified": 1, "ratio_required": "0.05", "ratio_actual": "0.0333",
         "reviewers_required": 3, "met": False, "in_principle": True,
         "basis": "002《法制审核办法》第七条（原则上不少于本机关执法人员总数的5%）"},
        ("validation_failed", "not_found", "forbidden", "unauthenticated"), writes=False),
    Rpc("check_manual_review", m.CheckManualReview, m.ManualReviewCheck,
        "For a legal review entered outside the board (records.enter_legal_review): does the "
        "board hold its own review of the proposal, and is each named reviewer registered "
        "staff of the agency with the reviewer role and the qualification the rule set asks "
        "(行政处罚法 第五十八条第二款)? Reads only.",
        ("legal_unit", "head", "supervisor"),
        {"agency": "lingchuan-emergency", "case_id": CASE_ID, "proposal_seq": 9,
         "act_type": "penalty", "reviewers": ["reviewer-lc-003", "张某"]},
        {"agency": "lingchuan-emergency", "ruleset": "lingchuan-emergency@1", "review": None,
         "reviewers": [
             {"named": "reviewer-lc-003", "person_id": "reviewer-lc-003", "name": "李某",
              "problems": []},
             {"named": "张某", "person_id": None, "name": None, "problems": [
                 {"code": "not_registered",
                  "basis": "002《法制审核办法》第七条（明确本机关法制审核机构，法制审核人员）",
                  "message": "张某 is not active staff of lingchuan-emergency in the review "
                             "board's register"}]}]},
        ("validation_failed", "not_found", "forbidden", "unauthenticated"), writes=False),
    Rpc("opinion_document", m.ReviewRef, m.OpinionDocument,
        "Data of the 重大行政执法决定法制审核意见书 for the renderer, with its copies routed.",
        ("officer", "head", "legal_unit", "reviewer", "supervisor"), {"review_id": REVIEW_ID},
        DOCUMENT, ("not_found", "domain_rule_violated", "forbidden", "unauthenticated"),
        writes=False),
    Rpc("my_reviews", m.MyReviews, m.ReviewPage, "The reviews the caller is assigned to "
        "(active, not recused) — by default those still before their opinion — newest "
        f"requested first (ties by id), a page at a time (at most {m.MAX_REVIEWS_PAGE}); "
        "`next` is the cursor of the following page. New in 1.2.", ("reviewer", "legal_unit"),
        {"agency": "lingchuan-emergency", "open_only": True, "limit": 20},
        {"items": [REVIEW], "next": None}, ("validation_failed", "forbidden",
                                            "unauthenticated"), writes=False),
    Rpc("access_log", m.AccessLogQuery, m.AccessPage, "调阅监督 (002 第十九条; 003 二(二)): "
        "who read the board's reviews (or was refused), when, by which call and why — newest "
        "first, filtered by review, case, reader, time range and outcome, a page at a time; "
        "`next` is the cursor of the following page. The look at the log is itself logged. "
        "New in 1.2.", ("supervisor", "legal_unit", "head"),
        {"agency": "lingchuan-emergency", "review_id": REVIEW_ID, "limit": 50},
        {"items": [{"id": 87, "at": "2025-10-21T02:00:00+00:00", "actor_id": "head-lc-001",
                    "actor_role": "head", "actor_agency": "lingchuan-emergency",
                    "action": "get_review", "review_id": REVIEW_ID, "case_id": REVIEW["case_id"],
                    "agency": "lingchuan-emergency", "outcome": "granted", "reason": None}],
         "next": None}, ("validation_failed", "forbidden", "unauthenticated"), writes=False),
)

EVENTS = (
    Event("review_requested.v1", m.ReviewRequested, "A major decision awaits legal review.",
          dict(ABOUT, decision=DECISION, party=PARTY, fired=FIRED,
               handlers=["officer-lc-017", "officer-lc-021"],
               requested_at="2025-10-20T01:00:00+00:00")),
    Event("materials_completed.v1", m.MaterialsCompleted,
          "The materials are complete; the review clock runs to `deadline`.",
          dict(ABOUT, complete_on="2025-10-20", clock_start="2025-10-20", deadline=DEADLINE)),
    Event("clock_stopped.v1", m.ClockStopped, "The review clock stopped (days not counted).",
          dict(ABOUT, reason="supplementary_materials", label="补充材料",
               basis="000《法制审核办法》第十条", stopped_on="2025-10-22", note="需补充检测报告")),
    Event("clock_resumed.v1", m.ClockResumed, "The review clock runs again; the new due date.",
          dict(ABOUT, reason="supplementary_materials", stopped_on="2025-10-22",
               resumed_on="2025-10-24", deadline=DEADLINE)),
    Event("opinion_issued.v1", m.OpinionIssued,
          "An opinion that settles or changes the outcome: the reviewers', the head's after a "
          "disagreement, or the collective discussion's. `approving` and `final` together say "
          "whether the decision may be made.",
          dict(ABOUT, opinion="approve", label="同意", approving=True, final=True,
               stage="reviewers", reasons=OPINION["reasons"], reviewers=["reviewer-lc-003"],
               issued_at="2025-10-24T16:00:00+08:00", on_time=True,
               findings=[{"point": "facts_evidence", "result": "pass", "note": None}],
               collective=None, document=DOCUMENT)),
    Event("review_overdue.v1", m.ReviewOverdue, "A review passed its due date without an opinion.",
          dict(ABOUT, due="2025-10-29", deadline=DEADLINE, days_overdue=1)),
    Event("review_due_soon.v1", m.ReviewDueSoon,
          "Reminder: a review falls due within the configured working days.",
          dict(ABOUT, due="2025-10-29", deadline=DEADLINE, workdays_left=2)),
)

CONTRACT = Contract(
    service="review", version=VERSION, title="法制审核 Review board (重大执法决定法制审核)",
    description="Legal review of major decisions: what is major, materials, reviewers with "
                "recusal, findings per review point, opinions, disagreement, collective "
                "discussion and the review clock with its stops.",
    rpcs=RPCS, events=EVENTS, consumes=("records.decision_proposed.v1",),
)
