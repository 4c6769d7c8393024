"""Who may review a case: recusal (回避), the legal qualification a penalty review asks for,
the assignment and its reasons, declared interests — and the staffing ratio of reviewers to
enforcement officers."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final

from shared.errors import Conflict, DomainRuleViolated
from shared.rulesets.repository import RuleSet

# what the board's register says of a staff member (register_staff's answer)
STAFF_FIELDS: Final = ("agency", "person_id", "name", "position", "roles",
                       "legal_qualification", "qualification_no", "prior_penalty_reviews",
                       "active", "note")


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

# each ground of recusal and problem of qualification (by code), as a Chinese reader knows it
PROBLEMS_ZH: Final = {
    "case_handler": "是本案承办人", "declared_interest": "已申报利害关系",
    "prior_involvement": "曾参与本案（见于执法记录）",
    "not_a_reviewer": "未登记为法制审核人员",
    "legal_qualification_required": "未取得法律职业资格",
}


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


def require_unassigned(assignments: Sequence[Mapping], person_id: str) -> None:
    if any(a["reviewer_id"] == person_id and a["status"] == "active" for a in assignments):
        raise Conflict(f"{person_id} is already assigned", code="already_assigned",
                       message_zh=f"{person_id} 已被指派审核本案")


def require_eligible(rs: RuleSet, review: Mapping, person: Reviewer) -> None:
    """The person must not recuse (回避) and must hold what reviewing this decision asks."""
    grounds = recusal_grounds(rs, person.person_id, handlers=review["handlers"],
                              participants=review["participants"],
                              interests=review["interests"])
    if grounds:
        raise DomainRuleViolated(
            f"{person.name} ({person.person_id}) must recuse (回避): "
            + "; ".join(g["message"] for g in grounds), code="recusal_required",
            message_zh=f"法制审核人员 {person.name}（{person.person_id}）应当回避："
                       + "；".join(PROBLEMS_ZH[g["code"]] for g in grounds),
            details={"grounds": [g["code"] for g in grounds], "basis": grounds[0]["basis"]})
    problems = qualification_problems(rs, person, review["decision"]["act_type"])
    if problems:
        raise DomainRuleViolated(
            f"{person.name} ({person.person_id}) may not review this: "
            + "; ".join(x["message"] for x in problems), code="not_qualified",
            message_zh=f"{person.name}（{person.person_id}）不得审核本案："
                       + "；".join(_problem_zh(x, review, person) for x in problems),
            details={"problems": [x["code"] for x in problems],
                     "basis": problems[0]["basis"]})


def _problem_zh(problem: Mapping, review: Mapping, person: Reviewer) -> str:
    if problem["code"] != "legal_qualification_required":
        return str(PROBLEMS_ZH[problem["code"]])
    if review["decision"]["act_type"] == "penalty" and person.penalty_reviews_done == 0:
        return "首次审核行政处罚决定而未取得法律职业资格"
    return "未取得法律职业资格，而本规则集要求审核人员具备"


def assignment(rs: RuleSet, review: Mapping, person: Reviewer, note: str, *, by: str,
               at: datetime) -> dict:
    """The assignment with its reason and what was checked."""
    act_type = review["decision"]["act_type"]
    return {"reviewer_id": person.person_id, "name": person.name,
            "position": person.position,
            "reason": assignment_reason(person, act_type, rs, note),
            "legal_qualification": person.legal_qualification,
            "assigned_at": at.isoformat(), "assigned_by": by, "status": "active"}


def require_own_interest(role: str, actor_id: str, person_id: str) -> None:
    if role == "reviewer" and actor_id != person_id:
        raise DomainRuleViolated("a reviewer declares only their own interest",
                                 message_zh="审核人员只能申报本人的利害关系，"
                                            f"不得代 {person_id} 申报",
                                 code="not_own_interest")


def recused(assignments: Sequence[dict], person_id: str, interest: str,
            at: datetime) -> list[dict]:
    """A declared interest (利害关系) ends the person's active assignment (回避)."""
    return [dict(a, status="recused", recused_at=at.isoformat(), recusal_reason=interest)
            if a["reviewer_id"] == person_id and a["status"] == "active" else a
            for a in assignments]


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


def penalty_credits(review: Mapping) -> list[str]:
    """Whom a review counts for among the penalty reviews a reviewer has done in the system
    (the experience 行政处罚法 第五十八条第二款's qualification is judged by): once an opinion
    is issued on a penalty decision, each of its active reviewers."""
    if review["opinion"] is None or review["decision"].get("act_type") != "penalty":
        return []
    return sorted({a["reviewer_id"] for a in review["assignments"] if a["status"] == "active"})
