"""The legal review (法制审核) rules both the record keeper and the review board apply: when a
passed review must still go to the agency's collective discussion (集体讨论) before the decision,
which opinions leave the decision to that discussion, which procedure settles the handling
unit's disagreement with an opinion, and whether the legal counsel's 法律意见书 is owed."""
from __future__ import annotations

from shared.rulesets.repository import RuleSet


def collective_discussion_always(rs: RuleSet) -> bool:
    """Does every passed review go to 集体讨论 under this rule set (周村 004 第五十五条)?
    Elsewhere only when the law requires it (行政处罚法 第五十七条第二款), which the reviewers
    (or the legal unit) flag."""
    return bool(rs.section("review")["collective_discussion_required"]["value"] == "always")


def leaders_decide(rs: RuleSet, opinion: str | None) -> bool:
    """Is `opinion` one that leaves the decision to the leaders' collective discussion
    (review.collective_opinions: 陵川 001 附件3 第七条（八）“由局机关领导集体研究决定”)?"""
    return opinion in (rs.section("review").get("collective_opinions") or ())


def collective_discussion_owed(rs: RuleSet, approving: bool, flagged: bool,
                               opinion: str | None = None) -> bool:
    """Is a collective discussion owed before the decision? After an approving opinion:
    always where the rule set says so, elsewhere where the reviewers flagged that the law
    requires it; and after an opinion that leaves the decision to the leaders, always."""
    return (approving and (collective_discussion_always(rs) or flagged)) \
        or leaders_decide(rs, opinion)


def disagreement_rule(rs: RuleSet) -> dict:
    """The rule set's procedure for the handling unit's disagreement with an opinion (异议:
    002 第十五条, 001 附件3 第九条) with its basis; where a rule set is silent the agency's head
    decides."""
    rule = rs.section("review").get("disagreement")
    if rule:
        return dict(rule)
    return {"value": "head_decides",
            "basis": f"{rs.ref} sets no procedure; the agency head decides"}


def consultation_first(procedure: str) -> bool:
    """Must the handling unit and the reviewers consult before the head decides? Under
    head_decides (002 第十五条: 协商沟通, 协商不成的报请负责人决定) yes; under
    leaders_reexamine (001 附件3 第九条: 有异议的，可以提请局领导复核) the leaders re-examine
    at the handling unit's request, consulted or not."""
    return procedure != "leaders_reexamine"


def counsel_opinion_material(rs: RuleSet) -> str | None:
    """The review material that carries the legal counsel's 法律意见书 where the rule set
    requires one before the opinion (review.legal_counsel: value required, opinion_material;
    陵川 001 工作方案 四(三)一); None where it is not required or not tracked."""
    rule = rs.section("review").get("legal_counsel") or {}
    if rule.get("value") != "required":
        return None
    material = rule.get("opinion_material")
    return str(material) if material else None
