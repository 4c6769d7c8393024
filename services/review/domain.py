"""Rules of the review board, free of any framework: which materials are missing, when the
review is due, who may review, whether an opinion may be given, what the staffing ratio asks,
and the data of the 法制审核意见书. Everything agency-specific comes from the rule set."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.calendar.legal import Calendar, Deadline, clock_pause
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.rulesets.repository import RuleSet

# states of a review
AWAITING_MATERIALS = "awaiting_materials"   # requested; materials missing (returned)
UNDER_REVIEW = "under_review"               # clock running
PAUSED = "paused"                           # clock stopped (补充材料, 专家论证, 提请解释)
OPINION_ISSUED = "opinion_issued"           # reviewers' opinion given, final
CONTESTED = "contested"                     # the handling unit disagrees (异议)
AWAITING_COLLECTIVE = "awaiting_collective_discussion"  # passed; 集体讨论 owed (周村)
DECIDED = "decided"                         # head decided a contested opinion / collective done
OPEN_STATES = (AWAITING_MATERIALS, UNDER_REVIEW, PAUSED)
FINDING_RESULTS = ("pass", "flaw", "fail")


# ---- materials ------------------------------------------------------------------------------

def materials_missing(rs: RuleSet, submitted: set[str], applicable: set[str],
                      hearing_held: bool) -> list[dict]:
    """What a complete submission still lacks (000 第五条, 002 第十条). `when_applicable`
    materials are owed when they exist: the hearing transcript when a hearing was held,
    anything the handling unit declared applicable."""
    owed = set(applicable) | ({"hearing_or_assessment"} if hearing_held else set())
    return [{"code": m["code"], "label": m["label"], "basis": m["basis"]}
            for m in rs.section("review")["materials"]
            if m["code"] not in submitted
            and (m["required"] == "always" or m["code"] in owed)]


def material_codes(rs: RuleSet) -> list[str]:
    return [m["code"] for m in rs.section("review")["materials"]]


def clock_starts_on_receipt(rs: RuleSet) -> bool:
    rule = rs.section("review").get("clock_starts")
    return bool(rule) and rule["value"] == "receipt"


# ---- clock ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stop:
    stopped_on: date
    resumed_on: date | None
    reason: str
    label: str


def pauses(stops: list[Stop]) -> list[tuple]:
    """Calendar pauses of the finished stops; an open stop has no end yet."""
    out = []
    for s in stops:
        if s.resumed_on is not None:
            p = clock_pause(s.stopped_on, s.resumed_on, s.label)
            if p:
                out.append(p)
    return out


def review_deadline(calendar: Calendar, rs: RuleSet, start: date, *, stops: list[Stop] = (),
                    extended: bool = False, agency: str | None = None
                    ) -> tuple[Deadline, Deadline | None]:
    """The review period from `start` (the day materials were complete, or received where the
    rule set says so) with the stopped days not counted; with an approved extension, the
    extension runs on from the first due date (10 + 10 工作日 in 000/002; 7 工作日 + at most
    3 日 in 001)."""
    periods = rs.data["periods"]
    held = pauses(list(stops))
    base = periods["review"]
    first = calendar.due(start, base["amount"], base["unit"], rule="review",
                         basis=base["basis"], agency=agency, paused=held)
    if not extended:
        return first, None
    ext = periods.get("review_extension")
    if ext is None:
        raise DomainRuleViolated(f"rule set {rs.ref} allows no extension of the review period",
                                 code="no_extension")
    second = calendar.due(first.due, ext["amount"], ext["unit"], rule="review_extension",
                          basis=ext["basis"], agency=agency, paused=held)
    return first, second


def pause_reason(rs: RuleSet, code: str) -> dict:
    reasons = {r["code"]: r for r in rs.section("review")["pause_reasons"]}
    if code not in reasons:
        allowed = ", ".join(reasons) or "none — this rule set stops the clock for nothing"
        raise ValidationFailed.from_messages({"reason": [
            f"not a reason that stops the review clock under {rs.ref}; one of: {allowed}"]})
    return reasons[code]


# ---- reviewers ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reviewer:
    person_id: str
    name: str
    roles: tuple[str, ...]
    legal_qualification: bool
    qualification_no: str | None
    penalty_reviews_done: int   # before this system plus those completed in it
    position: str | None = None  # 职务, printed on the 意见书


def recusal_grounds(rs: RuleSet, person_id: str, *, handlers: list[str],
                    participants: list[str], interests: list[dict]) -> list[dict]:
    """Why this person may not review this case (002 第八条第三款, 004 第四十九条): the
    handler, a declared interest, prior involvement in the case."""
    if not rs.section("review")["recusal_required"]["value"]:
        return []
    basis = rs.section("review")["recusal_required"]["basis"]
    out = []
    if person_id in handlers:
        out.append({"code": "case_handler", "basis": basis,
                    "message": "is a handler (承办人) of the case"})
    for i in interests:
        if i["person_id"] == person_id:
            out.append({"code": "declared_interest", "basis": basis,
                        "message": f"declared an interest: {i['interest']}"})
    if person_id in participants and person_id not in handlers:
        out.append({"code": "prior_involvement", "basis": basis,
                    "message": "took part in the case before (appears in its record)"})
    return out


def qualification_problems(rs: RuleSet, reviewer: Reviewer, act_type: str) -> list[dict]:
    """行政处罚法 第五十八条第二款: a first-time reviewer of penalty decisions needs the
    法律职业资格; some rule sets ask it of every reviewer."""
    out = []
    if "reviewer" not in reviewer.roles:
        out.append({"code": "not_a_reviewer", "basis": "",
                    "message": "is not registered as a reviewer (法制审核人员)"})
    rule = rs.section("review").get("legal_qualification_required")
    if rule and not reviewer.legal_qualification:
        first_penalty = act_type == "penalty" and reviewer.penalty_reviews_done == 0
        if rule["value"] == "all_reviewers" or (
                rule["value"] == "first_time_penalty_reviewers" and first_penalty):
            out.append({"code": "legal_qualification_required", "basis": rule["basis"],
                        "message": "reviews a penalty decision for the first time without "
                                   "法律职业资格" if first_penalty else
                                   "has no 法律职业资格, which this rule set requires"})
    return out


def assignment_reason(reviewer: Reviewer, act_type: str, rs: RuleSet, note: str) -> str:
    checks = ["not a handler of the case", "no declared interest", "not involved before"]
    if reviewer.legal_qualification:
        checks.append(f"法律职业资格 {reviewer.qualification_no or 'on file'}")
    elif act_type == "penalty":
        checks.append(f"{reviewer.penalty_reviews_done} penalty reviews done before")
    return f"{note} — checked under {rs.ref}: " + "; ".join(checks)


def staffing(rs: RuleSet, officers: int, reviewers: int) -> dict:
    """Reviewers against enforcement officers (国办发〔2018〕118号 5%; 003 二(三)2(1))."""
    rule = rs.section("review")["reviewer_ratio"]
    ratio = Decimal(rule["value"])
    required = math.ceil(ratio * officers) if officers else 0
    return {"ruleset": rs.ref, "officers": officers, "reviewers": reviewers,
            "ratio_required": str(ratio),
            "ratio_actual": str((Decimal(reviewers) / officers).quantize(Decimal("0.0001")))
            if officers else None,
            "reviewers_required": required, "met": reviewers >= required,
            "in_principle": bool(rule.get("in_principle", False)), "basis": rule["basis"]}


# ---- findings and opinions ------------------------------------------------------------------

def review_points(rs: RuleSet) -> dict[str, dict]:
    return {p["code"]: p for p in rs.section("review")["review_points"]}


def opinion_kinds(rs: RuleSet) -> dict[str, dict]:
    review = rs.section("review")
    approving = set(review["approving_opinions"])
    return {o["code"]: dict(o, approving=o["code"] in approving)
            for o in review["opinion_types"]}


def check_opinion(rs: RuleSet, code: str, findings: dict) -> dict:
    """The opinion must be of the rule set's kinds, and every review point must have a
    finding first; an approval cannot stand on a failed point."""
    kinds = opinion_kinds(rs)
    if code not in kinds:
        raise ValidationFailed.from_messages({"opinion": [
            f"not an opinion of {rs.ref}; one of: {', '.join(kinds)}"]})
    missing = [p for p in review_points(rs) if p not in findings]
    if missing:
        raise DomainRuleViolated(
            f"no finding yet for review point(s) {', '.join(missing)}; every point of "
            f"{rs.ref} is examined before an opinion", code="findings_incomplete",
            details={"missing_points": missing})
    kind = kinds[code]
    failed = [p for p, f in findings.items() if f["result"] == "fail"]
    if kind["approving"] and failed:
        raise DomainRuleViolated(
            f"an approving opinion cannot stand on failed review point(s) {', '.join(failed)}",
            code="approval_on_failed_point", details={"failed_points": failed})
    return kind


def disagreement_rule(rs: RuleSet) -> dict:
    rule = rs.section("review").get("disagreement")
    if rule:
        return rule
    return {"value": "head_decides",
            "basis": f"{rs.ref} sets no procedure; the agency head (行政机关负责人) decides"}


# ---- the 法制审核意见书 ----------------------------------------------------------------------

def copies(rs: RuleSet) -> list[dict]:
    """Where the copies go (000 第九条, 002 第十三条): one into the case file, one kept by
    the reviewers; online review may replace the paper (002)."""
    doc = rs.section("review").get("opinion_document") or {"copies": 2,
                                                            "online_replaces_paper": False}
    routed = [{"copy": 1, "destination": "case_file", "label": "存入执法案卷"},
              {"copy": 2, "destination": "review_archive", "label": "法制审核机构留存归档"}]
    for n in range(3, doc["copies"] + 1):
        routed.append({"copy": n, "destination": "other", "label": "其他"})
    return [dict(c, online_replaces_paper=doc["online_replaces_paper"]) for c in routed]


RESULT_ZH = {"pass": "符合", "flaw": "存在瑕疵", "fail": "不符合"}


def opinion_document(rs: RuleSet, review: dict, agency_name: str) -> dict:
    """The data of the renderer's `legal_review_opinion` template (its manifest's fields):
    what was submitted, each review point's finding, the opinion and its reasons, who
    reviewed — and where its copies go. Administrative names the review does not know
    (document number, units) take the request's values or the usual defaults."""
    points = review_points(rs)
    opinion = review["opinion"]
    doc = review.get("document_info") or {}
    decision = review["decision"]
    iso = lambda d: d.isoformat() if hasattr(d, "isoformat") else d  # noqa: E731
    source = rs.data.get("source") or {}
    basis = rs.section("review")["review_points"][0]["basis"] if points else ""
    data = {
        "authority_name": agency_name,
        "doc_number": doc.get("doc_number") or _review_doc_number(review["case_no"]),
        "submitting_unit": doc.get("submitting_unit") or "执法承办机构",
        "submitting_unit_kind": doc.get("submitting_unit_kind") or "机构",
        "submitted_date": iso(review["received_on"]),
        "materials_complete_date": iso(review["complete_on"] or review["received_on"]),
        "case_name": review.get("case_title") or f"{(review.get('party') or {}).get('name', '')}案",
        "case_number": review["case_no"],
        "review_rule": (f"《{source['document']}》" if source.get("document") else rs.ref)
        + (f"（{basis}）" if basis else ""),
        "reviewing_unit": doc.get("reviewing_unit") or "法制审核机构",
        "materials": [{"name": m["title"]} for m in review["materials"]],
        "proposed_decision": (f"依据{decision['legal_basis']}，" if decision.get("legal_basis")
                              else "") + (decision.get("conclusion") or ""),
        "review_points": [{"point": points[code]["label"] if code in points else code,
                           "finding": RESULT_ZH[f["result"]] + (f"：{f['note']}"
                                                                if f.get("note") else "。")}
                          for code, f in review["findings"].items()],
        "opinion_kind": opinion["label"],
        "opinion_reasons": opinion["reasons"],
        "reviewers": [{"name": a["name"], "position": a.get("position") or "法制审核人员"}
                      for a in review["assignments"] if a["status"] == "active"],
        "review_date": opinion["issued_on"],
    }
    return {"template_id": "legal_review_opinion", "copies": copies(rs), "data": data}


def _review_doc_number(case_no: str) -> str:
    """陵应急立〔2025〕12号 → 陵应急法审〔2025〕12号: the opinion numbered after its case."""
    prefix, sep, rest = case_no.partition("〔")
    if not sep:
        return f"{case_no}法审"
    return f"{prefix.removesuffix('立')}法审{sep}{rest}"
