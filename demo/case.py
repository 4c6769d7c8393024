"""The demo case: a 陵川 safety-production penalty — 60,000 CNY on a company, hence major —
taken through every stage as a list of named RPC steps. `sanxiang demo` runs it against the
live suite and the end-to-end tests run the same steps, so the demo cannot rot unnoticed; the
tests' builders (tests/builders.py) take their requests from these steps by name."""
from __future__ import annotations

import hashlib
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.rulesets.repository import RuleSetRepository

AGENCY = "lingchuan-emergency"
HANDLERS = ("officer-lc-017", "officer-lc-021")
REVIEWER = "reviewer-lc-005"
# who acts in the demo, by role
ACTORS = {"officer": "officer-lc-017", "head": "head-lc-001", "legal_unit": "legal-lc-003",
          "reviewer": REVIEWER, "publisher": "publisher-lc-009"}
MATERIALS = [
    {"code": "proposal", "title": "重大行政执法决定建议及情况说明"},
    {"code": "investigation_report", "title": "案件调查终结报告"},
    {"code": "draft_decision", "title": "行政处罚决定书（代拟稿）"},
    {"code": "basis_and_evidence",
     "title": "法律依据及证据材料目录（现场检查笔录、询问笔录、培训台账、执法视频）"},
    # 陵川: the legal counsel reviews every major decision by a 法律意见书 (001 工作方案 四(三)一)
    {"code": "legal_counsel_opinion", "title": "法律顾问法律意见书",
     "note": "经审阅案卷材料，事实清楚，证据充分，处罚适当"},
]
# the same 法律意见书 on a review the legal unit enters by hand (no board deployed)
COUNSEL_OPINION = {"counsel": "陵川县人民政府法律顾问 张律师",
                   "issued_at": "2025-10-23T16:00:00+08:00",
                   "summary": "经审阅案卷材料，事实清楚，证据充分，处罚适当", "document": None}
SHA = "3f1d0c9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4c3b2a190807f6e"
# the footage of the case's two AV records, stored in the vault before each is recorded
ONSITE_FOOTAGE = "ZFJLY-0031-20251009-1400.mp4"
PRESERVATION_FOOTAGE = "ZFJLY-0031-20251010-1055.mp4"
OFFICERS = [{"name": "李明", "certificate_no": "14052100017", "certificate_shown": True},
            {"name": "张华", "certificate_no": "14052100021", "certificate_shown": True}]
# the agency's officers register (行政执法人员清单) as its workbook lists them:
# 姓名, 单位, 所属机构, 职务, 执法证件号, 有效期起, 有效期止, 执法类别, 执法区域 —
# the officers the case names, so the record keeper's findings find each one qualified on the
# day of each record
REGISTER_OFFICERS = [
    ["李明", "陵川县应急管理局", "安全生产执法大队", "执法队员", "14052100017", "2023-01-01",
     "2028-12-31", "行政检查、行政处罚、行政强制", "陵川县"],
    ["张华", "陵川县应急管理局", "安全生产执法大队", "执法队员", "14052100021", "2023-01-01",
     "2028-12-31", "行政检查、行政处罚、行政强制", "陵川县"],
]
PARTY = {"id": "party-1", "kind": "organisation", "name": "陵川县宏泰煤业有限公司",
         "id_number": "91140524MA0K7QXX3R", "representative": "赵建国",
         "address": "陵川县礼义镇", "phone": "0356-6201234"}
INFORMANT = {"id": "person-1", "role": "informant", "name": "王秀英", "phone": "13903561234"}


@dataclass(frozen=True)
class Footage:
    """The sample AV file an AV step's record names: its file name, of case `case_no` of
    `agency` (footage_file makes its bytes)."""
    name: str
    case_no: str
    agency: str = AGENCY


@dataclass(frozen=True)
class Step:
    name: str   # what the step does to the case, unique in a plan: "case_opened", "onsite_video"
    title: str
    role: str
    method: str
    payload: Callable[[dict], dict | list[dict]]  # a list: one call per item
    expect_error: str | None = None  # a step the rules must refuse, shown as such
    service: str = "records"
    # events travel between services: retry while the answer is not there yet
    until: Callable[[object], bool] | None = None
    retry_on: str | None = None      # an error code meaning "not yet", retried
    # an AV step: the file its record names (footage_file), stored in the vault before it
    footage: Footage | None = None


def perform(step: Step, call: Callable[..., object], ctx: dict, seconds: float = 20) -> Any:
    """Run one step with `call(**payload)`: a list payload makes one call per item, and a
    step that waits on another service's event is retried for up to `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            payload = step.payload(ctx)
            items = payload if isinstance(payload, list) else [payload]
            result = None
            for item in items:
                result = call(**item)
            if step.until is None or step.until(result) or time.monotonic() > deadline:
                return result
        except Exception as exc:
            if not step.retry_on or getattr(exc, "code", None) != step.retry_on \
                    or time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def _t(day: int, hm: str) -> str:
    return f"2025-10-{day:02d}T{hm}:00+08:00"


def _record(record_type: str, at: str, content: dict, situations=()) -> Callable[[dict], dict]:
    return lambda ctx: {"case_id": ctx["case_id"], "record_type": record_type,
                        "occurred_at": at, "content": content, "situations": list(situations)}


def footage_file(name: str, case_no: str) -> bytes:
    """The demo's sample AV file `name` of case `case_no`: a small ISO media file (its ftyp
    box, then a free box naming the recorder, the file and the case), so each case's footage
    is content of its own in the vault, which keeps one object per content and agency."""
    label = f"执法记录仪 ZFJLY-0031 {name} {case_no} ".encode() * 64
    ftyp = (24).to_bytes(4, "big") + b"ftypmp42" + (0).to_bytes(4, "big") + b"mp42isom"
    return ftyp + (8 + len(label)).to_bytes(4, "big") + b"free" + label


def footage_upload(step: Step, ctx: dict) -> tuple[dict, bytes] | None:
    """Where `step` records AV whose file is not in the vault yet (ctx["footage"]): the
    vault's begin_upload request for it — AV of the case, penalty evidence — and its bytes;
    None otherwise. A runner stores it (begin_upload, the bytes to the upload URL,
    complete_upload) and keeps the stored object under ctx["footage"][name]."""
    if step.footage is None or step.footage.name in ctx.get("footage", {}):
        return None
    name, data = step.footage.name, footage_file(step.footage.name, step.footage.case_no)
    return {"agency": step.footage.agency, "subject": "av",
            "sha256": hashlib.sha256(data).hexdigest(),
            "sm3": None, "size": len(data), "name": name, "media_type": "video/mp4",
            "case_id": ctx["case_id"], "facts": ["penalty_evidence"], "term": None,
            "legal_hold": False}, data


def store_footage(vault: Any, step: Step, ctx: dict, seconds: float = 60) -> dict | None:
    """Before `step`: the footage its AV record names stored through `vault` (an RPC proxy of
    the vault as the officer: begin_upload, the bytes PUT to the URL it answers — its upload
    endpoint or a presigned S3 URL — and complete_upload), kept under ctx["footage"]; the
    stored object, or None where the step needs none or it is stored already."""
    upload = footage_upload(step, ctx)
    if upload is None:
        return None
    request, data = upload
    target = vault.begin_upload(**request)
    put = urllib.request.Request(target["url"], data=data, method=target["method"],
                                 headers=dict(target.get("headers") or {}))
    with urllib.request.urlopen(put, timeout=seconds) as sent:  # the URL the vault answered
        sent.read()
    stored = dict(vault.complete_upload(upload_id=target["upload_id"]))
    ctx.setdefault("footage", {})[request["name"]] = stored
    return stored


def stored_footage(ctx: dict, name: str) -> dict:
    """The vault object holding the footage `name` (vault.complete_upload's answer)."""
    held = ctx.get("footage", {}).get(name)
    if held is None:
        raise LookupError(f"the footage {name} is not in the vault yet: store it first "
                          f"(demo.case.footage_upload) — an AV record names a vault object")
    return held


def _av(started: str, ended: str, stored: str, place: str, situations, name: str):
    return lambda ctx: {
        "case_id": ctx["case_id"], "party": PARTY["name"], "handler": "李明",
        "device_no": "ZFJLY-0031", "started_at": started, "ended_at": ended, "place": place,
        "opening_statement_made": True, "interruptions": [], "situations": list(situations),
        "media": {"object_ref": stored_footage(ctx, name)["id"],
                  "sha256": stored_footage(ctx, name)["sha256"],
                  "size_bytes": stored_footage(ctx, name)["size"], "format": "mp4"},
        "stored_at": stored, "evidence_note": {"maker": "李明", "extractor": "张华",
                                               "extracted_at": stored}}


def _advance(to: str, at: str):
    return lambda ctx: {"case_id": ctx["case_id"], "to_stage": to, "occurred_at": at,
                        "reason": None}


DECISION = {"act_type": "penalty", "party_id": "party-1", "fine_amount": "60000", "measures": [],
            "hearing_held": False, "grounds": [], "procedure": "general",
            "licence_action": None, "coercive_execution": None,
            "facts": "未如实记录安全生产教育和培训情况，3名特种作业人员未按规定持证上岗作业",
            "legal_basis": "《中华人民共和国安全生产法》第九十七条第（三）项、第（七）项",
            "conclusion": "罚款人民币陆万元整"}


def review_steps() -> list[Step]:
    """The review board's part (DOMAIN.md §3): the request arrives by event, materials,
    a refused and an accepted assignment, findings on every review point, the opinion."""
    def review(ctx, **kw):
        return dict(kw, review_id=ctx["review_id"])
    # the reviewer examines every review point of the agency's rule set (陵川: 附件3 第五条)
    points = [p["code"] for p in RuleSetRepository.default().get(AGENCY)
              .section("review")["review_points"]]
    return [
        Step("review_requested",
             "送审 the review board has the request (from decision_proposed)", "legal_unit",
             "list_reviews", lambda ctx: {"agency": AGENCY, "case_id": ctx["case_id"]},
             service="review", until=lambda result: bool(result)),
        Step("materials_submitted",
             "送审材料 materials submitted, complete: the clock starts", "officer",
             "submit_materials", lambda ctx: review(ctx, materials=MATERIALS, applicable=[],
                                                    submitted_at=_t(20, "10:00")),
             service="review"),
        Step("staff_registered",
             "审核人员 register the reviewer and a handler", "legal_unit", "register_staff",
             lambda ctx: [
                 {"agency": AGENCY, "person_id": REVIEWER, "name": "陈静",
                  "position": "政策法规股股长",
                  "roles": ["reviewer"],
                  "legal_qualification": True, "qualification_no": "A20181405123",
                  "prior_penalty_reviews": 12},
                 {"agency": AGENCY, "person_id": HANDLERS[0], "name": "李明",
                  "roles": ["officer", "reviewer"], "legal_qualification": False,
                  "prior_penalty_reviews": 3}], service="review"),
        Step("handler_assignment_refused",
             "指定审核 the case handler as reviewer — must be refused (回避)", "legal_unit",
             "assign_reviewer", lambda ctx: review(ctx, reviewer_id=HANDLERS[0],
                                                   reason="政策法规股指定"),
             service="review", expect_error="recusal_required"),
        Step("reviewer_assigned",
             "指定审核 assign 陈静 (法律职业资格)", "legal_unit", "assign_reviewer",
             lambda ctx: review(ctx, reviewer_id=REVIEWER, reason="政策法规股指定"),
             service="review"),
        Step("points_found",
             f"审核要点 findings on the {len(points)} review points", "reviewer",
             "record_finding", lambda ctx: [review(ctx, point=p, result="pass", note=None,
                                                   recorded_at=_t(23, "16:00"))
                                            for p in points], service="review"),
        Step("opinion_issued",
             "审核意见 opinion: approve (同意)", "reviewer", "issue_opinion",
             lambda ctx: review(ctx, opinion="approve",
                                reasons="主体合法，事实清楚，证据确凿，适用依据正确，程序合法，裁量适当",
                                issued_at=_t(24, "15:00"), collective_discussion_required=False),
             service="review"),
    ]


def steps(case_no: str, with_review: bool = True, archived_by_vault: bool = False) -> list[Step]:
    """The whole case, numbered `case_no`: with the review board deployed, its part
    (review_steps); without it, the legal unit enters the review by RPC. With the archive
    vault deployed (`archived_by_vault`) nobody archives the case by hand: the vault packages
    it on archive_due.v1 and records it archived itself."""
    plan = [
        Step("case_opened",
             "立案 open the case (依职权, 立案审批表)", "officer", "open_case", lambda ctx: {
            "case_no": case_no, "agency": AGENCY, "act_type": "penalty",
            "title": f"{PARTY['name']}未按规定开展安全生产教育培训案", "start_mode": "ex_officio",
            "occurred_at": _t(9, "16:30"), "parties": [PARTY], "persons": [INFORMANT],
            "handlers": list(HANDLERS), "filing_approval": {
                "start_reason": "群众举报并经现场检查发现特种作业人员未持证上岗",
                "party_summary": f"{PARTY['name']}，法定代表人{PARTY['representative']}",
                "known_facts": "2025年10月9日现场检查发现3名特种作业人员未持证上岗作业",
                "handler_opinion": "建议立案调查", "unit_opinion": "同意立案",
                "legal_basis": "《中华人民共和国安全生产法》第九十七条",
                "head_opinion": "同意立案",
                "signatures": [{"role": "handler", "name": "李明", "signed_at": "2025-10-09"},
                               {"role": "agency_head", "name": "王建军",
                                "signed_at": "2025-10-09"}],
                "approved_at": _t(9, "16:30")}}),
        Step("onsite_video",
             "音像记录 on-site inspection video (stored same day)", "officer",
             "record_av", _av(_t(9, "14:00"), _t(9, "15:10"), _t(9, "17:20"),
                              "陵川县礼义镇宏泰煤矿井口", ["onsite_inspection"], ONSITE_FOOTAGE),
             footage=Footage(ONSITE_FOOTAGE, case_no)),
        Step("investigation_started",
             "调查取证 stage", "officer", "advance_stage",
             _advance("investigation", _t(10, "08:30"))),
        Step("credentials_shown",
             "亮证 officers' names, certificates and showing", "officer", "append_record",
             _record("credentials_shown", _t(10, "09:00"), {"officers": OFFICERS})),
        Step("onsite_inspection",
             "现场检查笔录 on-site inspection record", "officer", "append_record",
             _record("investigation_document", _t(9, "14:30"), {
                 "document_kind": "onsite_inspection", "place": "宏泰煤矿调度室",
                 "document_no": "陵应急检〔2025〕31号", "officers": OFFICERS,
                 "summary": "检查特种作业人员持证情况，3人无有效特种作业操作证"},
                 ["onsite_inspection"])),
        Step("interview",
             "询问笔录 interview of the safety manager", "officer", "append_record",
             _record("investigation_document", _t(10, "10:30"), {
                 "document_kind": "interview", "place": "宏泰煤矿会议室",
                 "document_no": "陵应急询〔2025〕31号", "officers": OFFICERS,
                 "summary": "安全科长承认未组织特种作业人员参加培训取证，举报人王秀英反映属实"},
                 ["interview"])),
        Step("evidence_preserved",
             "先行登记保存 evidence preservation, on video", "officer", "append_record",
             _record("evidence_preservation", _t(10, "11:00"), {
                 "reason": "培训台账可能被补记或灭失", "object": "2025年度安全培训台账3册",
                 "form": "registration_preservation", "approved_by": "王建军",
                 "document_no": "陵应急先保〔2025〕31号", "officers": OFFICERS})),
        Step("preservation_video",
             "音像记录 of the preservation", "officer", "record_av",
             _av(_t(10, "10:55"), _t(10, "11:20"), _t(10, "16:00"), "宏泰煤矿会议室",
                 ["evidence_preservation"], PRESERVATION_FOOTAGE),
             footage=Footage(PRESERVATION_FOOTAGE, case_no)),
        Step("rights_notified",
             "行政处罚告知书 rights notice", "officer", "append_record",
             _record("rights_notice", _t(14, "10:00"), {
                 "rights": ["statement", "defence", "hearing"], "notified_on": "2025-10-14",
                 "document_no": "陵应急告〔2025〕31号"})),
        Step("statement_heard",
             "陈述申辩笔录 the party's statement", "officer", "append_record",
             _record("statement_defence", _t(16, "15:00"), {
                 "waived": False, "summary": "当事人承认违法事实，请求从轻处罚"})),
        Step("decision_stage",
             "审查决定 stage", "officer", "advance_stage", _advance("decision", _t(17, "09:00"))),
        Step("case_reviewed",
             "案件审理记录 case review record", "officer", "append_record",
             _record("review_record", _t(17, "10:00"), {
                 "drafter": "李明", "reviewer": "孙丽", "opinion": "建议罚款人民币陆万元",
                 "legal_basis": "《中华人民共和国安全生产法》第九十七条",
                 "evidence": ["现场检查笔录", "询问笔录", "培训台账", "现场执法视频"]})),
        Step("decision_proposed",
             "拟作出决定 propose: fine 60,000 CNY on a company", "officer", "propose_decision",
             lambda ctx: {"case_id": ctx["case_id"], "occurred_at": _t(20, "09:00"),
                          "decision": DECISION}),
        Step("unreviewed_decision_refused",
             "作出决定 without legal review — must be refused", "head", "issue_decision",
             lambda ctx: {"case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
                          "decision_no": ctx["decision_no"], "issued_at": _t(21, "10:00"),
                          "signed_by": "王建军"},
             expect_error="legal_review_required" if with_review else "service_not_deployed"),
        *(review_steps() if with_review else [
            Step("legal_review_entered",
                 "法制审核 legal review entered by the legal unit: approve", "legal_unit",
                 "enter_legal_review",
                 lambda ctx: {"case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
                              "opinion": "approve", "reviewers": ["陈静", "刘洋"],
                              "reasons": "主体合法，事实清楚，证据确凿，"
                                         "适用依据正确，程序合法，裁量适当",
                              "reviewed_at": _t(24, "15:00"),
                              "counsel_opinion": COUNSEL_OPINION})]),
        Step("decision_issued",
             "作出决定 issue the decision", "head", "issue_decision",
             lambda ctx: {"case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
                          "decision_no": ctx["decision_no"], "issued_at": _t(27, "10:00"),
                          "signed_by": "王建军"},
             # the opinion reaches the chain through an event: wait for it
             retry_on="legal_review_required" if with_review else None),
        Step("service_stage",
             "送达执行 stage", "officer", "advance_stage",
             _advance("service_execution", _t(27, "10:30"))),
        Step("decision_served",
             "送达回证 direct service", "officer", "append_record",
             _record("service", _t(27, "15:00"), {
                 "document": "行政处罚决定书", "method": "direct", "recipient": "赵建国",
                 "signed_by": "赵建国", "served_at": _t(27, "15:00"),
                 "document_no": "陵应急送〔2025〕31号"})),
        Step("fine_paid",
             "履行 the fine is paid", "officer", "append_record",
             _record("performance", "2025-11-10T09:00:00+08:00", {
                 "performed": True, "summary": "当事人已于2025年11月7日缴纳罚款人民币60000元"})),
        Step("case_closed",
             "结案 close the case", "officer", "close_case", lambda ctx: {
            "case_id": ctx["case_id"], "closed_at": "2025-11-12T10:00:00+08:00",
            "reason": "罚款已缴纳，执行完毕"}),
        Step("case_archived",
             "归档 archive the case file", "officer", "archive_case", lambda ctx: {
            "case_id": ctx["case_id"], "archived_at": "2025-11-25T10:00:00+08:00",
            "archive_no": "LCYJ-2025-WS-031", "location": "档案室3号柜"}),
    ]
    return [s for s in plan if not (archived_by_vault and s.name == "case_archived")]


def step(name: str, case_no: str = "陵应急立〔2025〕31号", with_review: bool = True) -> Step:
    """The step called `name` of the plan for `case_no`."""
    for candidate in steps(case_no, with_review=with_review):
        if candidate.name == name:
            return candidate
    raise LookupError(f"the demo case has no step {name!r} "
                      f"({'with' if with_review else 'without'} the review board)")


def until(plan: list[Step], name: str) -> list[Step]:
    """The steps of `plan` before the one called `name`."""
    names = [s.name for s in plan]
    if name not in names:
        raise LookupError(f"the plan has no step {name!r}")
    return plan[:names.index(name)]


def remember(ctx: dict, step: Step, result: Any) -> None:
    """Carry forward what later steps need (case id, the proposal's seq)."""
    if step.method == "open_case":
        ctx["case_id"] = result["id"]
    if step.method == "propose_decision":
        ctx["proposal_seq"] = result["seq"]
    if step.method == "list_reviews" and result:
        ctx["review_id"] = result[0]["id"]


def decision_document(ctx: dict, case_no: str, sample: dict) -> dict:
    """The 行政处罚决定书 of the demo case, as the renderer's penalty_decision template takes
    it: the template's sample for the bank account and appeal bodies, the case's own facts,
    party, basis, fine, number and date for the rest."""
    party = {"name": PARTY["name"], "kind": PARTY["kind"], "id_number": PARTY["id_number"],
             "legal_representative": PARTY["representative"], "address": PARTY["address"]}
    procedure = ("本机关于2025年10月14日向你单位送达了《行政处罚告知书》（陵应急告〔2025〕31号），"
                 "告知你单位依法享有陈述、申辩和要求听证的权利。你单位于2025年10月16日进行了"
                 "陈述，承认违法事实，请求从轻处罚。本案属重大行政执法决定，经本机关法制审核，"
                 "审核意见：同意。")
    data = dict(
        sample, authority_name="陵川县应急管理局", doc_number=ctx["decision_no"], party=party,
        case_origin=f"2025年10月9日，本机关依职权对你单位立案调查（{case_no}）。",
        facts=DECISION["facts"],
        evidence=[{"name": "现场检查笔录（陵应急检〔2025〕31号）",
                   "proves": "3名特种作业人员无有效特种作业操作证"},
                  {"name": "询问笔录（陵应急询〔2025〕31号）",
                   "proves": "未组织特种作业人员参加培训取证"},
                  {"name": "先行登记保存的2025年度安全培训台账3册",
                   "proves": "安全生产教育和培训情况未如实记录"},
                  {"name": "执法记录仪音像资料（ZFJLY-0031）", "proves": "现场检查的过程"}],
        violations=[{"act": "未如实记录安全生产教育和培训情况",
                     "violated_provision": "《中华人民共和国安全生产法》第二十八条第四款",
                     "penalty_provision": "《中华人民共和国安全生产法》第九十七条第（三）项"},
                    {"act": "特种作业人员未按照规定经专门的安全作业培训并取得相应资格，上岗作业",
                     "violated_provision": "《中华人民共和国安全生产法》第三十条第一款",
                     "penalty_provision": "《中华人民共和国安全生产法》第九十七条第（七）项"}],
        procedure=procedure, penalty_basis=DECISION["legal_basis"], penalty_kinds="罚款",
        fine_amount=DECISION["fine_amount"], decision_date="2025-10-27")
    for untold in ("other_penalty", "correction_order"):  # the sample's, not this case's
        data.pop(untold, None)
    return data
