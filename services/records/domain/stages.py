"""Stages of a case and their transitions, which records belong to which stage, the
situations a record's content shows by itself, and how a case may start (the start modes an
agency's rule set provides)."""
from __future__ import annotations

from typing import Any

from shared.errors import DomainRuleViolated
from shared.rulesets.repository import RuleSet
from shared.rulesets.vocabulary import START_MODES

# 程序启动 → 调查取证 → 审查决定 → 送达执行 → 归档管理 (000 第三条, 002 第三条, 004 第二十二条)
STAGES = ("initiation", "investigation", "decision", "service_execution", "archive")
STAGE_LABELS = {"initiation": "程序启动", "investigation": "调查取证", "decision": "审查决定",
                "service_execution": "送达执行", "archive": "归档管理"}
# a case's status (cases.status) as a Chinese reader knows it
STATUS_LABELS = {"open": "办理中", "closed": "已结案", "archived": "已归档"}
# how a case started (cases.start_mode): the rule sets' start modes, and an emergency start
START_MODE_LABELS = {**START_MODES, "emergency": "紧急情况下先行启动、事后补批"}

# Forward only. A case may end early (不予立案, 撤销立案, 不予处罚) by closing, which moves it
# to `archive` from any open stage; `close_case` does that, `advance_stage` only steps ahead.
NEXT_STAGE = {"initiation": "investigation", "investigation": "decision",
              "decision": "service_execution", "service_execution": "archive"}

# where each start mode leaves a case opened with it
START_STATES = {"ex_officio": "approved", "emergency": "pending_approval",
                "application": "pending_acceptance", "complaint": "pending_decision",
                "referral": "pending_decision"}
# start states in which the procedure has not started (no stage may be entered)
NOT_STARTED = ("pending_decision", "pending_acceptance", "not_started")

# record_type → stages it may be recorded in. Seeds: 000 第十四至三十条; 004 第三十一至四十三条.
RECORD_STAGES: dict[str, tuple[str, ...]] = {
    "application_receipt": ("initiation",),
    "credentials_shown": ("investigation", "service_execution"),
    "investigation_document": ("investigation",),
    "rights_notice": ("investigation", "decision"),
    "statement_defence": ("investigation", "decision"),
    "hearing_record": ("investigation", "decision"),
    "refusal_to_cooperate": ("investigation", "service_execution"),
    "evidence_preservation": ("investigation",),
    # 查封、扣押 (行政强制措施): while investigating, or to secure a decision's execution
    "sealing": ("investigation", "service_execution"),
    "seizure": ("investigation", "service_execution"),
    "review_record": ("decision",),
    "expert_opinion": ("decision",),
    "collective_discussion": ("decision",),
    "simple_procedure": ("investigation", "decision"),
    "service": ("decision", "service_execution"),
    "performance": ("service_execution",),
    "rectification_check": ("service_execution",),
    "reminder": ("service_execution",),
    "statement_review": ("service_execution", "decision"),
    "coercive_execution": ("service_execution",),
    "court_enforcement": ("service_execution",),
    # 对外提供 may happen at any point of an open case (000 第三十三条; 004 第四十五条)
    "external_release": STAGES[:-1],
    # 告知案源提供人执法情况、执法结果 (004 第三十条第二款), whenever there is something to tell
    "source_notice": STAGES[:-1],
    "note": STAGES[:-1],
}

# Situations a record's content shows by itself, whatever the officer declares (the declared
# ones are kept too: the union is recorded). Whether a situation makes AV mandatory is the
# case's rule set's to say (av.mandatory_situations), not this table's: it only names what the
# seeds' AV lists speak of, where the content tells it —
#   000《全过程记录办法》第十七条（二）（三）、第十八条（二）（三）（四）、
#       第二十七条（二）、第二十八条;
#   002《全过程记录办法》第十条（四）、第十一条; 001 工作方案 四(二)二, 附件2 第四条;
#   004 第二十五条、第三十三条、第三十六条第二款、第四十条第二款、第四十二条第二款.
# record_type → {None: situations of every such record, field: {value: situations}}; looked
# up by a record's type as its content names it, which a record may lack (None finds nothing).
IMPLIED_SITUATIONS: dict[str | None, dict[str | None, Any]] = {
    "investigation_document": {"document_kind": {
        # 现场检查（勘验）: 000 第十八条（二）; 001 工作方案 四(二)二; 004 第二十五条、第三十三条
        "onsite_inspection": ("onsite_inspection",),
        # 抽样取证: 000 第十八条（二）; 004 第三十三条
        "sampling": ("sampling",),
        # 询问当事人和证人: 000 第十八条（二）; 001 附件2 第四条; 004 第三十三条
        "interview": ("interview",),
        "interview_party": ("interview",),
        "interview_witness": ("interview",),
        # 先行登记保存: 000 第十八条（二）; 004 第二十五条、第三十三条
        "evidence_preservation": ("evidence_preservation",),
        # 调取书证、物证 is 取证 itself: 001 工作方案 四(二)二; 004 第二十五条 (调查取证)
        "evidence_request": ("evidence_collection",),
        # 听证全过程记录文书 (000 第十五条（六）): 000 第十八条（三）; 004 第三十六条第二款
        "hearing": ("hearing",),
    }},
    "evidence_preservation": {None: ("evidence_preservation",)},
    # 查封场所、设施或者财物 / 扣押财物 are acts of their own record types: 000 第十七条（一）;
    # 002 第十条（一）（二）; 004 第二十五条 (行政强制)
    "sealing": {None: ("seal",)},
    "seizure": {None: ("seize",)},
    "refusal_to_cooperate": {None: ("non_cooperation",)},          # 000 第十七条（三）
    "hearing_record": {None: ("hearing",)},
    "rectification_check": {None: ("rectification_check",)},      # 000 第二十八条; 004 第四十条
    # 000 第十八条（四）, 第二十七条（二） "并进行音像记录"
    "service": {"method": {"lien": ("service_lien",), "public_notice": ("service_public_notice",)}},
    "coercive_execution": {
        None: ("coercive_measure",),          # 001 工作方案 四(二)二; 004 第二十五条
        # 排除妨碍、恢复原状、代履行: 000 第十七条（二）; 002 第十条（四）; 004 第四十二条第二款
        "measure": {"substitute_performance": ("substitute_performance",),
                    "remove_obstruction": ("remove_obstruction",),
                    "restore_original_state": ("restore_original_state",)}},
}


def check_advance(current: str, target: str) -> None:
    if current == "archive":
        raise DomainRuleViolated(f"case is closed (stage archive); it cannot move to {target}",
                                 code="case_closed",
                                 message_zh=f"案件已结案（处于{STAGE_LABELS['archive']}阶段），"
                                            f"不得转入{STAGE_LABELS.get(target, target)}阶段")
    expected = NEXT_STAGE[current]
    if target != expected:
        raise DomainRuleViolated(
            f"illegal stage transition {current} → {target}: the next stage after "
            f"{STAGE_LABELS[current]} is {expected} ({STAGE_LABELS[expected]}); stages only "
            "move forward one at a time, and closing a case early is close_case",
            message_zh=f"不得由{STAGE_LABELS[current]}阶段转入"
                       f"{STAGE_LABELS.get(target, target)}阶段："
                       f"{STAGE_LABELS[current]}的下一阶段是"
                       f"{STAGE_LABELS[expected]}（{expected}）；阶段只能逐一向前推进，"
                       "提前结案请用 close_case",
            code="illegal_transition", details={"from": current, "to": target,
                                                "allowed": [expected]})


def check_record_stage(record_type: str, stage: str) -> None:
    allowed = RECORD_STAGES[record_type]
    if stage not in allowed:
        raise DomainRuleViolated(
            f"a {record_type} record belongs to stage {' or '.join(allowed)}, "
            f"but the case is in {stage} ({STAGE_LABELS[stage]})",
            message_zh=f"{record_type} 记录属于"
                       f"{'或'.join(STAGE_LABELS[s] for s in allowed)}阶段，"
                       f"案件当前处于{STAGE_LABELS[stage]}阶段",
            code="record_not_allowed_in_stage",
            details={"record_type": record_type, "stage": stage, "allowed": list(allowed)})


def implied_situations(record_type: str | None, content: dict) -> set[str]:
    """The situations `content` of a `record_type` record shows by itself."""
    rules = IMPLIED_SITUATIONS.get(record_type)
    if not rules:
        return set()
    found = set(rules.get(None, ()))
    for field, by_value in rules.items():
        if field is not None:
            found.update(by_value.get(content.get(field), ()))
    return found


def check_start_mode(rs: RuleSet, mode: str) -> None:
    """The start modes an agency's rule set provides (an emergency start is a variant of
    starting ex officio, allowed where the rule set says so)."""
    modes = {m["code"]: m for m in rs.section("records")["start_modes"]}
    if mode == "emergency":
        allowed = (modes.get("ex_officio", {}).get("emergency_start") or {}).get("allowed")
    else:
        allowed = mode in modes
    if not allowed:
        raise DomainRuleViolated(f"start mode {mode!r} is not provided by {rs.ref}",
                                 message_zh=f"规则集 {rs.ref} 未规定启动方式 {mode!r}",
                                 code="start_mode_not_allowed",
                                 details={"start_mode": mode, "ruleset": rs.ref})


def check_not_started(start_state: str) -> None:
    """A stage is entered only once the procedure has started."""
    if start_state in NOT_STARTED:
        raise DomainRuleViolated(
            f"the procedure has not started ({start_state}): record the decision "
            "to start (decide_source) or the acceptance receipt first",
            message_zh=f"执法程序尚未启动（{start_state}）：请先记录立案决定（decide_source）"
                       "或受理回执",
            code="not_started")
