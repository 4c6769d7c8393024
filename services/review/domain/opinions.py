"""From findings to the final word: a finding per review point, the opinion and whether it
may be given, the handling unit's disagreement (异议: consultation, then the head decides)
and the collective discussion (集体讨论) a passed review goes to where the rule set asks."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from services.review.domain import states
from services.review.domain.review import Review
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.law.review import (
    consultation_first,
    counsel_opinion_material,
    disagreement_rule,
    leaders_decide,
)
from shared.rulesets.repository import RuleSet

FINDING_RESULTS = ("pass", "flaw", "fail")


def review_points(rs: RuleSet) -> dict[str, dict]:
    return {p["code"]: p for p in rs.section("review")["review_points"]}


def opinion_kinds(rs: RuleSet) -> dict[str, dict]:
    review = rs.section("review")
    approving = set(review["approving_opinions"])
    return {o["code"]: dict(o, approving=o["code"] in approving,
                            leaders_decide=leaders_decide(rs, o["code"]))
            for o in review["opinion_types"]}


def finding(rs: RuleSet, point: str, result: str, note: str | None, *, by: str,
            at: datetime) -> dict:
    """A reviewer's finding on one of the rule set's review points."""
    points = review_points(rs)
    if point not in points:
        raise ValidationFailed.from_messages({"point": [
            f"not a review point of {rs.ref}; one of: {', '.join(points)}"]})
    return {"result": result, "note": note, "by": by, "at": at.isoformat()}


def opinion_kind(rs: RuleSet, code: str) -> dict:
    """The rule set's opinion of that code."""
    kinds = opinion_kinds(rs)
    if code not in kinds:
        raise ValidationFailed.from_messages({"opinion": [
            f"not an opinion of {rs.ref}; one of: {', '.join(kinds)}"]})
    return kinds[code]


def check_opinion(rs: RuleSet, code: str, findings: dict) -> dict:
    """The opinion must be of the rule set's kinds, and every review point must have a
    finding first; an approval cannot stand on a failed point."""
    kind = opinion_kind(rs, code)
    missing = [p for p in review_points(rs) if p not in findings]
    if missing:
        raise DomainRuleViolated(
            f"no finding yet for review point(s) {', '.join(missing)}; every point of "
            f"{rs.ref} is examined before an opinion", code="findings_incomplete",
            message_zh=f"审核要点 {'、'.join(missing)} 尚无审核意见：出具审核意见前应逐项审核"
                       f"规则集 {rs.ref} 的每个审核要点",
            details={"missing_points": missing})
    failed = [p for p, f in findings.items() if f["result"] == "fail"]
    if kind["approving"] and failed:
        raise DomainRuleViolated(
            f"an approving opinion cannot stand on failed review point(s) {', '.join(failed)}",
            code="approval_on_failed_point", details={"failed_points": failed},
            message_zh=f"审核要点 {'、'.join(failed)} 不符合，不得出具同意的审核意见")
    return kind


def counsel_opinion(rs: RuleSet, review: Mapping) -> dict | None:
    """The legal counsel's 法律意见书 on file with the review, where the rule set requires one
    before the opinion (review.legal_counsel: 陵川 001 工作方案 四(三)一 “对我局做出的重大执法
    决定，法律顾问应通过出具法律意见书等形式进行审核”); refused while it is missing. None
    where the rule set does not require it."""
    code = counsel_opinion_material(rs)
    if code is None:
        return None
    for m in review["materials"]:
        if m["code"] == code:
            return dict(m)
    rule = rs.section("review")["legal_counsel"]
    raise DomainRuleViolated(
        f"{rs.ref} requires the legal counsel's opinion before the review's opinion "
        f"({rule['basis']}): submit it as material {code!r} first",
        code="legal_counsel_opinion_missing",
        message_zh="法律顾问尚未出具法律意见书，不得提出审核意见",
        details={"material": code, "basis": rule["basis"]})


def opinion_outcome(owed: bool) -> str:
    """How an opinion ends for the state machine: final, or owing a collective discussion."""
    return states.OWES_COLLECTIVE if owed else states.FINAL


def issued(kind: Mapping, reasons: str, *, by: str, at: datetime, day: date,
           assignments: Sequence[Mapping], deadline: Mapping | None, owed: bool,
           revised: bool) -> dict:
    """The reviewers' opinion, on time when given by the due date (a review without one has
    no clock to be late against)."""
    return {
        "code": kind["code"], "label": kind["label"], "approving": kind["approving"],
        "reasons": reasons, "issued_on": day.isoformat(), "issued_at": at.isoformat(),
        "issued_by": by,
        "reviewers": [a["reviewer_id"] for a in assignments if a["status"] == "active"],
        "stage": "reviewers", "final": not owed, "collective_discussion_owed": owed,
        "leaders_decide": bool(kind.get("leaders_decide")),
        "on_time": deadline is None or day.isoformat() <= deadline["due"],
        "revised": revised}


def opinion_of(review: Review) -> dict:
    """The review's opinion, which every act after one is issued works on."""
    opinion = review["opinion"]
    if opinion is None:
        raise DomainRuleViolated("no opinion has been issued yet", code="no_opinion",
                                 message_zh=f"审核 {review['id']} 尚未出具审核意见")
    return opinion


# ---- disagreement (异议) ------------------------------------------------------------------------

def disagreement(rs: RuleSet, review: Mapping, reason: str, *, by: str,
                 at: datetime) -> dict:
    """The handling unit disagrees (002 第十五条; 001 附件3 第九条): recorded with the
    procedure the rule set sets, and the state to go back to if the opinion stands."""
    rule = disagreement_rule(rs)
    return {"contested_at": at.isoformat(), "by": by, "reason": reason,
            "procedure": rule["value"], "basis": rule["basis"],
            "opinion_contested": review["opinion"]["code"], "state_before": review["state"],
            "consultations": [], "head_decision": None, "resolved_by": None}


def consulted(d: Mapping, consultation: Mapping) -> dict:
    """The disagreement with a consultation; one where the handling unit accepts the opinion
    resolves it."""
    out = dict(d, consultations=d["consultations"] + [consultation])
    if consultation["outcome"] == states.ACCEPTED:
        out["resolved_by"] = "consultation"
    return out


def disagreement_of(review: Review) -> dict:
    """The review's disagreement, which every act on a contested review works on."""
    d = review["disagreement"]
    if d is None:
        raise DomainRuleViolated("the opinion has not been contested", code="not_contested",
                                 message_zh=f"审核 {review['id']} 的审核意见未被提出异议")
    return d


def require_consulted(d: Mapping) -> None:
    """Where the disagreement's procedure consults first (002 第十五条), the head decides
    only what a consultation did not settle; the leaders' re-examination (001 附件3 第九条)
    needs none."""
    if consultation_first(d["procedure"]) and not d["consultations"]:
        raise DomainRuleViolated("the handling unit and the reviewers consult first; the "
                                 "head decides what consultation did not settle",
                                 message_zh="承办机构与审核人员应先协商沟通；协商不成的，"
                                            "再报请负责人决定",
                                 code="consultation_first")


_REVIEWERS_PART = ("code", "label", "approving", "reasons", "issued_on", "issued_by",
                   "reviewers")
CONCLUSION_ZH = {"approve": "同意作出决定", "not_approve": "不同意作出决定"}


def _kept(opinion: Mapping, stage: str, *, code: str, label: str, reasons: str, by: str,
          by_name: str, day: date, participants: Sequence[str] = ()) -> dict:
    """What a later word leaves of the opinion it changes: the reviewers' own opinion (their
    code, label, reasons and date, which the 意见书 prints under their names) and every
    decision after it, each with who made it."""
    reviewers = opinion.get("reviewers_opinion") or {k: opinion.get(k) for k in _REVIEWERS_PART}
    decision = {"stage": stage, "code": code, "label": label, "reasons": reasons,
                "by": by, "by_name": by_name, "participants": list(participants),
                "decided_on": day.isoformat()}
    return {"reviewers_opinion": reviewers,
            "decisions": [*(opinion.get("decisions") or ()), decision]}


def replaced(opinion: Mapping, kind: Mapping, reasons: str, *, by: str, at: datetime,
             day: date, owed: bool, by_name: str = "") -> dict:
    """The opinion as the head replaces it; the reviewers' opinion is kept beside it."""
    kept = _kept(opinion, "head_decision", code=kind["code"], label=kind["label"],
                 reasons=reasons, by=by, by_name=by_name, day=day)
    return dict(opinion, code=kind["code"], label=kind["label"], approving=kind["approving"],
                reasons=reasons, issued_on=day.isoformat(), issued_at=at.isoformat(),
                issued_by=by, stage="head_decision", final=not owed,
                collective_discussion_owed=owed, **kept)


# ---- collective discussion (集体讨论) -----------------------------------------------------------

def discussed(opinion: Mapping, conclusion: str, summary: str, *, by: str, at: datetime,
              day: date, by_name: str = "", participants: Sequence[str] = ()) -> dict:
    """The leaders' conclusion is the final word: it approves only what the opinion approved,
    or what the opinion left to them to decide (001 附件3 第七条（八）)."""
    decides = bool(opinion["approving"] or opinion.get("leaders_decide"))
    kept = _kept(opinion, "collective_discussion", code=conclusion,
                 label=CONCLUSION_ZH[conclusion], reasons=summary, by=by, by_name=by_name,
                 day=day, participants=participants)
    return dict(opinion, approving=conclusion == "approve" and decides,
                stage="collective_discussion", final=True, collective_discussion_owed=False,
                issued_on=day.isoformat(), issued_at=at.isoformat(), issued_by=by,
                reasons=summary, **kept)
