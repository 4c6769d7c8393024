"""The legal review (法制审核) rules both the record keeper and the review board apply: when a
passed review must still go to the agency's collective discussion (集体讨论) before the decision,
and which procedure settles the handling unit's disagreement with an opinion."""
from __future__ import annotations

from shared.rulesets.repository import RuleSet


def collective_discussion_always(rs: RuleSet) -> bool:
    """Does every passed review go to 集体讨论 under this rule set (周村 004 第五十五条)?
    Elsewhere only when the law requires it (行政处罚法 第五十七条第二款), which the reviewers
    (or the legal unit) flag."""
    return bool(rs.section("review")["collective_discussion_required"]["value"] == "always")


def collective_discussion_owed(rs: RuleSet, approving: bool, flagged: bool) -> bool:
    """Is a collective discussion owed before the decision? Only after an approving opinion:
    always where the rule set says so, elsewhere where the reviewers flagged that the law
    requires it."""
    return approving and (collective_discussion_always(rs) or flagged)


def disagreement_rule(rs: RuleSet) -> dict:
    """The rule set's procedure for the handling unit's disagreement with an opinion (异议:
    002 第十五条, 001 附件3 第九条) with its basis; where a rule set is silent the agency's head
    decides."""
    rule = rs.section("review").get("disagreement")
    if rule:
        return dict(rule)
    return {"value": "head_decides",
            "basis": f"{rs.ref} sets no procedure; the agency head decides"}
