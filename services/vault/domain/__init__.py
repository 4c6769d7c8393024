"""The vault's rules, pure: which retention class an object falls in and until when it is kept
(000《全过程记录办法》第三十六条: AV at least 2 years, permanently where it is penalty evidence,
where enforcement was obstructed, for major emergencies and mass incidents, for major or complex
cases; case files per the archives term the agency configures — 永久, 定期30年, 定期10年), the
digests every object is recorded with, when a disposal may be asked and approved (after expiry,
never under a legal hold, by two different people), a fixity audit's verdict and how many
objects each tick of a rolling cycle audits."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final

from shared.calendar.clock import CST
from shared.calendar.years import years_after
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.rulesets.repository import RuleSet

SUBJECTS: Final = ("av", "case_file", "text_record")
SUBJECT_ZH: Final = {"av": "执法音像资料", "case_file": "案卷", "text_record": "文字记录"}
MODES: Final = ("COMPLIANCE", "GOVERNANCE")
SYSTEM_ACTOR: Final = {"id": "vault-fixity", "role": "supervisor", "name": "存储完整性巡检"}
DAY_SECONDS: Final = 86400


@dataclass(frozen=True)
class Retention:
    """The class an object is kept under, with the rule and rule set that set it; `years`
    None is permanent (永久)."""
    class_code: str
    label: str
    basis: str
    ruleset: str
    years: int | None
    term: str | None = None          # the archives term, for a class kept per archives rules
    term_basis: str | None = None

    @property
    def permanent(self) -> bool:
        return self.years is None

    def until(self, stored_on: date) -> date | None:
        """The last day the object is kept (None: permanently), counted in calendar years
        from the day it was stored (shared.calendar.years)."""
        return None if self.years is None else years_after(stored_on, self.years)

    def to_dict(self) -> dict[str, object]:
        return {"class": self.class_code, "label": self.label, "basis": self.basis,
                "ruleset": self.ruleset, "years": self.years, "permanent": self.permanent,
                "term": self.term, "term_basis": self.term_basis}


def lock_until(last_day: date | None) -> datetime | None:
    """The moment a lock ends: the end of the last day kept (China Standard Time)."""
    if last_day is None:
        return None
    return datetime.combine(last_day, time(23, 59, 59), tzinfo=CST)


def digests(rs: RuleSet) -> tuple[str, ...]:
    """The digests every object of the agency is recorded with: SHA-256, and SM3 where the rule
    set asks for it."""
    rule = rs.section("retention").get("digests")
    found = tuple(rule["value"]) if rule else ("sha256",)
    return found if "sha256" in found else ("sha256", *found)


def _terms(rs: RuleSet) -> dict[str, dict]:
    return {t["code"]: t for t in rs.section("retention").get("archives_terms", [])}


def _term_years(term: dict) -> int | None:
    return None if term.get("permanent") else int(term["years"])


def _longer(a: int | None, b: int | None) -> bool:
    """Whether a period of `a` years keeps longer than one of `b` (None: permanent)."""
    if a is None:
        return b is not None
    return b is not None and a > b


def archives_term(rs: RuleSet, asked: str | None) -> dict:
    """The archives term a case file takes: the agency's (retention.archives_term) or a longer
    one the caller asks for — never a shorter one."""
    terms = _terms(rs)
    rule = rs.section("retention").get("archives_term")
    if rule is None or rule["value"] not in terms:
        raise DomainRuleViolated(f"rule set {rs.ref} configures no archives term "
                                 "(retention.archives_term)",
                                 message_zh=f"规则集 {rs.ref} 未配置档案保管期限"
                                 "（retention.archives_term）", details={"ruleset": rs.ref})
    configured = dict(terms[rule["value"]], basis=rule["basis"])
    if asked is None or asked == configured["code"]:
        return configured
    if asked not in terms:
        raise ValidationFailed(f"term {asked!r} is not an archives term of {rs.ref}",
                               message_zh=f"{asked!r} 不是规则集 {rs.ref} 的档案保管期限："
                               f"term 应为下列之一：{', '.join(sorted(terms))}",
                               details={"term": [f"one of {', '.join(sorted(terms))}"]})
    if _longer(_term_years(configured), _term_years(terms[asked])):
        raise DomainRuleViolated(
            f"term {asked} keeps shorter than the {configured['label']} {rs.ref} configures",
            message_zh=f"保管期限 {asked}（{terms[asked]['label']}）短于规则集 {rs.ref} 配置的"
            f"{configured['label']}，不得缩短保存期限",
            details={"term": asked, "configured": configured["code"],
                     "rule": "term_shorter_than_configured"})
    return terms[asked]


def retention_for(rs: RuleSet, subject: str, facts: frozenset[str] | set[str],
                  term: str | None = None) -> Retention:
    """The longest class of the rule set that applies to an object of `subject` with `facts`
    (a class without conditions applies to every object of its subject; one with conditions
    when any of them holds — 第三十六条 lists them as alternatives)."""
    classes = [c for c in rs.section("retention")["classes"] if c["applies_to"] == subject]
    known = {cond for c in classes for cond in c["conditions"]}
    unknown = sorted(set(facts) - known)
    if unknown:
        raise ValidationFailed(f"facts {', '.join(unknown)} are no retention conditions of "
                               f"{subject} in {rs.ref}",
                               message_zh=f"事实 {', '.join(unknown)} 不是规则集 {rs.ref} 中"
                               f"{SUBJECT_ZH.get(subject, subject)}（{subject}）的保存期限条件："
                               f"facts 应为下列之一：{', '.join(sorted(known)) or '（无）'}",
                               details={"facts": [f"one of {', '.join(sorted(known)) or '(none)'}"
                                                  f" (got {', '.join(unknown)})"]})
    best: Retention | None = None
    for cls in classes:
        if cls["conditions"] and not set(facts) & set(cls["conditions"]):
            continue
        found = _resolve(rs, cls, term)
        if best is None or _longer(found.years, best.years):
            best = found
    if best is None:
        raise DomainRuleViolated(f"rule set {rs.ref} has no retention class for {subject}",
                                 message_zh=f"规则集 {rs.ref} 没有适用于"
                                 f"{SUBJECT_ZH.get(subject, subject)}（{subject}）的保存期限类别",
                                 details={"subject": subject, "ruleset": rs.ref})
    return best


def _resolve(rs: RuleSet, cls: dict, term: str | None) -> Retention:
    base = {"class_code": cls["code"], "label": cls["label"], "basis": cls["basis"],
            "ruleset": rs.ref}
    if cls.get("per_archives_rules"):
        chosen = archives_term(rs, term)
        return Retention(**base, years=_term_years(chosen), term=chosen["code"],
                         term_basis=chosen["basis"])
    if cls.get("permanent"):
        return Retention(**base, years=None)
    return Retention(**base, years=int(cls["years"]))


# ---- holds and disposal ---------------------------------------------------------------------

def why_kept(retain_until: date | None, legal_hold: bool, today: date) -> str | None:
    """Why an object may not be disposed of today (a rule code), or None once it may."""
    if legal_hold:
        return "legal_hold"
    if retain_until is None:
        return "permanent"
    if today <= retain_until:
        return "retention_active"
    return None


def check_disposal(object_id: str, retain_until: date | None, legal_hold: bool,
                   today: date) -> None:
    why = why_kept(retain_until, legal_hold, today)
    if why is None:
        return
    reason = {"legal_hold": "it is under legal hold",
              "permanent": "it is kept permanently",
              "retention_active": f"it is kept until {retain_until}"}[why]
    reason_zh = {"legal_hold": "该对象处于法律冻结（legal hold）状态",
                 "permanent": "该对象永久保存",
                 "retention_active": f"该对象保存至 {retain_until}，保存期限未届满"}[why]
    raise DomainRuleViolated(f"object {object_id} may not be disposed of: {reason}",
                             message_zh=f"对象 {object_id} 不得销毁：{reason_zh}",
                             details={"object_id": object_id, "rule": why,
                                      "retain_until": retain_until.isoformat()
                                      if retain_until else None})


def check_approver(disposal_id: str, state: str, requested_by: str, approver: str) -> None:
    """A disposal is approved once, by someone other than who asked for it."""
    if state != "requested":
        raise DomainRuleViolated(f"disposal {disposal_id} is {state}, not awaiting approval",
                                 message_zh=f"销毁申请 {disposal_id} 处于 {state} 状态，"
                                 "不是待审批状态",
                                 details={"disposal_id": disposal_id, "state": state,
                                          "rule": "not_requested"})
    if approver == requested_by:
        raise DomainRuleViolated(
            f"disposal {disposal_id} was asked for by {requested_by}: a second person approves "
            "it", message_zh=f"销毁申请 {disposal_id} 由 {requested_by} 提出，"
            "须由另一人审批", details={"disposal_id": disposal_id, "rule": "four_eyes"})


# ---- fixity ---------------------------------------------------------------------------------

def fixity_outcome(recorded: dict[str, str], found: dict[str, str] | None) -> str:
    """pass, fail (a digest differs) or missing (nothing stored under the key)."""
    if found is None:
        return "missing"
    return "pass" if all(found.get(a) == d for a, d in recorded.items()) else "fail"


def audit_budget(total: int, cycle_days: int, tick_seconds: int) -> int:
    """How many objects one tick audits so that all `total` are read within `cycle_days`
    (the oldest-audited first): a rolling cycle, never a burst."""
    if total <= 0:
        return 0
    if cycle_days < 1 or tick_seconds < 1:
        raise ValueError("cycle_days and tick_seconds must be positive")
    ticks = max(1, (cycle_days * DAY_SECONDS) // tick_seconds)
    return max(1, math.ceil(total / ticks))
