"""The review's state machine as one table: in which state each act may be done, by whom, and
the state it leads to — where an act can end more than one way, one row per outcome."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from shared.errors import DomainRuleViolated

# states of a review
AWAITING_MATERIALS: Final = "awaiting_materials"   # requested; materials missing (returned)
UNDER_REVIEW: Final = "under_review"               # clock running
PAUSED: Final = "paused"                           # clock stopped (补充材料, 专家论证, 提请解释)
OPINION_ISSUED: Final = "opinion_issued"           # reviewers' opinion given, final
CONTESTED: Final = "contested"                     # the handling unit disagrees (异议)
AWAITING_COLLECTIVE: Final = "awaiting_collective_discussion"  # passed; 集体讨论 owed (周村)
DECIDED: Final = "decided"                         # contest decided by the head / 集体讨论 held
STATES: Final = (AWAITING_MATERIALS, UNDER_REVIEW, PAUSED, OPINION_ISSUED, CONTESTED,
                 AWAITING_COLLECTIVE, DECIDED)
OPEN_STATES: Final = (AWAITING_MATERIALS, UNDER_REVIEW, PAUSED)
# a target: the state the review stood in when its opinion was contested
PREVIOUS: Final = "<state before the contest>"

# outcomes of an act that can end more than one way
COMPLETE: Final = "complete"                  # the materials are complete now
INCOMPLETE: Final = "incomplete"              # returned with what is missing
FINAL: Final = "final"                        # the opinion is the last word
OWES_COLLECTIVE: Final = "owes_collective"    # a passed review goes to 集体讨论 first
ACCEPTED: Final = "opinion_accepted"          # consultation: the handling unit accepts it
TO_REVISE: Final = "reviewers_to_revise"      # consultation: the reviewers will revise it
NO_AGREEMENT: Final = "no_agreement"          # consultation settled nothing
UPHOLD: Final = "uphold"                      # the head upholds the contested opinion


@dataclass(frozen=True)
class Party:
    """Who may do an act: one of `roles` of the review's agency; where `assigned`, also a
    reviewer with an active assignment to this review."""
    roles: tuple[str, ...]
    assigned: bool = False


HANDLING_UNIT: Final = Party(("officer", "head"))
BOARD: Final = Party(("legal_unit", "head"))
HEAD: Final = Party(("head",))
ASSIGNED_REVIEWER: Final = Party(("reviewer", "legal_unit"), assigned=True)
DECLARANT: Final = Party(("reviewer", "legal_unit", "head"))     # of an interest (利害关系)
CONSULTED: Final = Party(("officer", "head", "legal_unit", "reviewer"))
CLOCK: Final = Party(("legal_unit",))     # the board acting through its clock


@dataclass(frozen=True)
class Transition:
    act: str
    source: str | None      # None: there is no review yet
    outcome: str | None     # None: however the act ends
    target: str
    party: Party


T = Transition
AW, UR, PA, OI, CO, AC, DE = STATES
TRANSITIONS: Final[tuple[Transition, ...]] = (
    #  act                             from  outcome        to        who
    T("request_review",                None, None,          AW,       HANDLING_UNIT),
    T("submit_materials",              AW,   INCOMPLETE,    AW,       HANDLING_UNIT),
    T("submit_materials",              AW,   COMPLETE,      UR,       HANDLING_UNIT),
    T("submit_materials",              UR,   None,          UR,       HANDLING_UNIT),
    T("submit_materials",              PA,   None,          PA,       HANDLING_UNIT),
    T("assign_reviewer",               AW,   None,          AW,       BOARD),
    T("assign_reviewer",               UR,   None,          UR,       BOARD),
    T("assign_reviewer",               PA,   None,          PA,       BOARD),
    *(T("declare_interest",            s,    None,          s,        DECLARANT) for s in STATES),
    T("stop_clock",                    UR,   None,          PA,       ASSIGNED_REVIEWER),
    T("resume_clock",                  PA,   None,          UR,       ASSIGNED_REVIEWER),
    # where the clock runs from receipt (陵川) it may run before the materials are complete
    T("extend_deadline",               UR,   None,          UR,       HEAD),
    T("extend_deadline",               PA,   None,          PA,       HEAD),
    T("extend_deadline",               AW,   None,          AW,       HEAD),
    T("watch_clock",                   UR,   None,          UR,       CLOCK),
    T("watch_clock",                   AW,   None,          AW,       CLOCK),
    T("record_finding",                UR,   None,          UR,       ASSIGNED_REVIEWER),
    T("record_finding",                PA,   None,          PA,       ASSIGNED_REVIEWER),
    T("issue_opinion",                 UR,   FINAL,         OI,       ASSIGNED_REVIEWER),
    T("issue_opinion",                 UR,   OWES_COLLECTIVE, AC,     ASSIGNED_REVIEWER),
    # a contested opinion may be revised by the reviewers after consultation
    T("issue_opinion",                 CO,   FINAL,         OI,       ASSIGNED_REVIEWER),
    T("issue_opinion",                 CO,   OWES_COLLECTIVE, AC,     ASSIGNED_REVIEWER),
    T("contest_opinion",               OI,   None,          CO,       HANDLING_UNIT),
    T("contest_opinion",               AC,   None,          CO,       HANDLING_UNIT),
    T("record_consultation",           CO,   ACCEPTED,      PREVIOUS, CONSULTED),
    T("record_consultation",           CO,   TO_REVISE,     CO,       CONSULTED),
    T("record_consultation",           CO,   NO_AGREEMENT,  CO,       CONSULTED),
    T("head_decide",                   CO,   UPHOLD,        PREVIOUS, HEAD),
    T("head_decide",                   CO,   FINAL,         DE,       HEAD),
    T("head_decide",                   CO,   OWES_COLLECTIVE, AC,     HEAD),
    T("record_collective_discussion",  AC,   None,          DE,       HEAD),
)

# how a refusal names each act ("cannot … while the review is …")
DOING: Final = {
    "request_review": "request a review", "submit_materials": "submit materials",
    "assign_reviewer": "assign a reviewer", "declare_interest": "declare an interest",
    "stop_clock": "stop the clock", "resume_clock": "resume the clock",
    "extend_deadline": "extend the review period", "watch_clock": "send a clock event",
    "record_finding": "record a finding", "issue_opinion": "issue an opinion",
    "contest_opinion": "contest the opinion", "record_consultation": "record a consultation",
    "head_decide": "decide the disagreement",
    "record_collective_discussion": "record a collective discussion",
}

# the same, and each state, as a Chinese reader knows them
DOING_ZH: Final = {
    "request_review": "申请法制审核", "submit_materials": "提交审核材料",
    "assign_reviewer": "指派审核人员", "declare_interest": "申报利害关系",
    "stop_clock": "中止审核期限", "resume_clock": "恢复审核期限",
    "extend_deadline": "延长审核期限", "watch_clock": "发送审核期限事件",
    "record_finding": "录入审核要点意见", "issue_opinion": "出具审核意见",
    "contest_opinion": "提出异议", "record_consultation": "录入协商沟通情况",
    "head_decide": "由负责人决定异议",
    "record_collective_discussion": "录入集体讨论情况",
}
STATE_ZH: Final = {
    AWAITING_MATERIALS: "待补充材料", UNDER_REVIEW: "审核中", PAUSED: "审核期限中止",
    OPINION_ISSUED: "已出具审核意见", CONTESTED: "异议处理中",
    AWAITING_COLLECTIVE: "待集体讨论", DECIDED: "已决定",
}


def acts() -> tuple[str, ...]:
    return tuple(dict.fromkeys(t.act for t in TRANSITIONS))


def sources(act: str) -> tuple[str | None, ...]:
    """The states `act` may be done in, in the table's order."""
    return tuple(dict.fromkeys(t.source for t in TRANSITIONS if t.act == act))


def party(act: str) -> Party:
    """Who may do `act` (one party per act, whatever the state)."""
    for t in TRANSITIONS:
        if t.act == act:
            return t.party
    raise KeyError(f"no act {act!r} in the review's state machine")


def require_state(act: str, state: str) -> None:
    allowed = sources(act)
    if state not in allowed:
        raise DomainRuleViolated(
            f"cannot {DOING[act]} while the review is {state}; only when "
            f"{' or '.join(str(s) for s in allowed)}", code="wrong_state",
            message_zh=f"审核处于“{STATE_ZH.get(state, state)}”状态（{state}），不得"
                       f"{DOING_ZH[act]}；只能在"
                       + "或".join(f"“{STATE_ZH.get(str(s), str(s))}”" for s in allowed)
                       + "状态下进行",
            details={"state": state, "allowed": list(allowed)})


def next_state(act: str, state: str | None, outcome: str | None = None, *,
               previous: str | None = None) -> str:
    """The state `act` done in `state` leads to, for its `outcome`; `previous` is the state
    before a contest, where the act goes back to it."""
    rows = [t for t in TRANSITIONS if t.act == act and t.source == state]
    if not rows:
        require_state(act, state or "")
    row = next((t for t in rows if t.outcome == outcome), None) \
        or next((t for t in rows if t.outcome is None), None)
    if row is None:
        raise ValueError(f"{act} from {state} has no outcome {outcome!r}")
    if row.target != PREVIOUS:
        return row.target
    if previous is None:
        raise ValueError(f"{act} from {state} returns to the state before the contest")
    return previous


def require_assigned(assignments: Sequence[dict], person_id: str) -> dict:
    """Findings and opinions come from a reviewer assigned to this review."""
    for a in assignments:
        if a["reviewer_id"] == person_id and a["status"] == "active":
            return a
    raise DomainRuleViolated(f"{person_id} is not an assigned reviewer of this review",
                             message_zh=f"{person_id} 不是本次审核指派的审核人员",
                             code="not_assigned", details={"actor": person_id})


def may(act: str, state: str | None, *, role: str, assigned: bool) -> bool:
    """Whether someone of `role` (an active reviewer of the review or not) may do `act` in
    `state` — what the use cases enforce, asked without raising."""
    who = party(act)
    return (role in who.roles and (assigned or not who.assigned)
            and state in sources(act))
