"""Errors that cross service boundaries.

Every error carries a machine code, an English message, a Chinese message where a citizen
may read it, and structured details. Over nameko RPC the reply's ``error.exc_args[0]`` is
that payload as a JSON object, so callers in any language can branch on ``code``; Python
callers get the same class back because each one is registered for deserialisation.
"""
from __future__ import annotations

from typing import Any

from nameko.exceptions import deserialize_to_instance


class SanxiangError(Exception):
    code = "error"
    message_zh = "系统错误"

    def __init__(self, message: Any = "", *, code: str | None = None,
                 message_zh: str | None = None, details: Any = None):
        # Deserialisation calls cls(payload_dict): accept the payload back as-is.
        if isinstance(message, dict) and "code" in message and "message" in message:
            payload = message
            message = payload["message"]
            code = payload.get("code")
            message_zh = payload.get("message_zh")
            details = payload.get("details")
        self.message = str(message)
        if code:
            self.code = code
        if message_zh:
            self.message_zh = message_zh
        # Always an object, so callers can read details[...] without a null check (the
        # reply keeps JSON types: shared.messaging.rpc.serialize_error).
        self.details = details if details is not None else {}
        super().__init__(self.payload())

    def payload(self) -> dict:
        return {"code": self.code, "message": self.message,
                "message_zh": self.message_zh, "details": self.details}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@deserialize_to_instance
class ValidationFailed(SanxiangError):
    """A payload broke its contract. ``details`` maps field paths to the rules broken."""
    code = "validation_failed"
    message_zh = "提交的数据不符合要求"

    @classmethod
    def from_messages(cls, messages: dict, *, what: str = "payload") -> ValidationFailed:
        flat = flatten_messages(messages)
        summary = "; ".join(f"{path}: {', '.join(rules)}" for path, rules in flat.items())
        return cls(f"invalid {what}: {summary}", details=flat,
                   message_zh=fields_zh(flat) if flat else None)


@deserialize_to_instance
class BadRequest(SanxiangError):
    """An RPC request that cannot be read as one: not UTF-8 JSON, not `{"args": [], "kwargs":
    {...}}`, missing the properties a reply needs, or naming no method of the service.
    ``details`` maps what is wrong (``content_type``, ``body``, ``kwargs``, ``method``…) to
    the rules broken. The request is also dead-lettered (``dlq.<service>``)."""
    code = "bad_request"
    message_zh = "请求无法解析"


@deserialize_to_instance
class NotFound(SanxiangError):
    code = "not_found"
    message_zh = "未找到"


@deserialize_to_instance
class Forbidden(SanxiangError):
    code = "forbidden"
    message_zh = "无权执行此操作"
    # about something outside the caller's reach: answered as not found (shared.trust.actor)
    out_of_reach: bool = False


@deserialize_to_instance
class BoardOpinionStands(Forbidden):
    """The review board has given its opinion on the proposal: only the rule set's
    disagreement path (异议 → 协商沟通 → 负责人决定, 002 第十五条; 陵川: 局领导复核) changes
    it, never an opinion entered around the board (000 第十一条, 004 第五十七条（十三）)."""
    code = "board_opinion_stands"
    message_zh = "法制审核机构已出具审核意见，只能通过异议程序改变，不得另行录入审核意见"


@deserialize_to_instance
class BoardReviewPending(Forbidden):
    """The review board is deployed and takes up the proposal: an opinion entered by hand
    would pre-empt it."""
    code = "board_review_pending"
    message_zh = "法制审核机构正在审核该决定，不得另行录入审核意见"


@deserialize_to_instance
class Unauthenticated(SanxiangError):
    code = "unauthenticated"
    message_zh = "身份凭证缺失或无效"


@deserialize_to_instance
class DomainRuleViolated(SanxiangError):
    """The request is well-formed but the rules forbid it (illegal transition, missing review…)."""
    code = "domain_rule_violated"
    message_zh = "违反执法程序规则"


@deserialize_to_instance
class Conflict(SanxiangError):
    code = "conflict"
    message_zh = "数据冲突"


@deserialize_to_instance
class IdempotencyKeyReused(Conflict):
    """The caller's idempotency key was used before for another request of the same caller
    and method (shared.persistence.idempotency): refused, nothing written."""
    code = "idempotency_key_reused"
    message_zh = "幂等键已用于另一请求，请为新请求使用新的幂等键"


@deserialize_to_instance
class Unavailable(SanxiangError):
    """A passing fault (the database restarting, out of connections, a serialisation
    failure or deadlock): nothing was written; the same request may be sent again.
    ``details``: ``retry`` (always true) and ``incident``, the id the service logged it under."""
    code = "unavailable"
    message_zh = "服务暂时不可用，请稍后重试"


@deserialize_to_instance
class InternalError(SanxiangError):
    """A fault of the service itself. The caller learns only ``details.incident``, the id
    under which the service logged what happened (with its traceback); nothing of the
    fault's text, which may name tables, queries or values."""
    code = "internal_error"
    message_zh = "系统内部错误"


@deserialize_to_instance
class ServiceNotDeployed(SanxiangError):
    code = "service_not_deployed"
    message_zh = "所需服务未部署"


@deserialize_to_instance
class ConfigurationError(SanxiangError):
    code = "configuration_error"
    message_zh = "配置错误"


@deserialize_to_instance
class CalendarNotCovered(ConfigurationError):
    """No calendar data covers a year a legal period needs: we refuse to guess."""
    code = "calendar_not_covered"
    message_zh = "工作日历未覆盖该年度，无法计算法定期限"


@deserialize_to_instance
class RuleSetInvalid(ConfigurationError):
    code = "ruleset_invalid"
    message_zh = "规则集无效"


# marshmallow's wording of the rules the contracts use most, as a Chinese reader sees them;
# any other rule is shown as written (it names the field and the limit already)
RULES_ZH = {
    "Missing data for required field.": "必填",
    "Unknown field.": "未知字段",
    "Field may not be null.": "不得为空",
    "Not a valid string.": "应为字符串",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid boolean.": "应为是或否（true/false）",
    "Not a valid date.": "应为日期（YYYY-MM-DD）",
    "Not a valid datetime.": "应为带时区的时间（如 2025-10-09T16:30:00+08:00）",
    "Not a valid UUID.": "应为 UUID",
    "Not a valid list.": "应为列表",
    "Not a valid mapping type.": "应为对象",
    "Invalid input type.": "类型不正确",
    "Shorter than minimum length 1.": "不得为空",
    # the kernel's own checks (shared.law.major)
    "unknown field": "未知字段",
    "required": "必填",
    "must be true or false": "应为是或否（true/false）",
    "must be a list of codes": "应为代码列表",
}


def rule_zh(rule: str) -> str:
    """A broken rule's wording for a Chinese reader (the rule itself where none is kept)."""
    if rule in RULES_ZH:
        return RULES_ZH[rule]
    if rule.startswith("Must be one of: "):
        return "应为下列之一：" + rule[len("Must be one of: "):].rstrip(".")
    return rule


def fields_zh(problems: dict[str, list[str]]) -> str:
    """A ValidationFailed's Chinese message for `problems` (field → rules broken): it names
    each field and the rule it broke, as the English message does."""
    summary = "；".join(f"{path}：{'，'.join(rule_zh(r) for r in rules)}"
                       for path, rules in problems.items())
    return f"{ValidationFailed.message_zh}：{summary}"


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict → {"a.b.0.c": ["rule", ...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten_messages(value, path))
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            out[prefix or "_schema"] = list(messages)
        else:
            for i, value in enumerate(messages):
                out.update(flatten_messages(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


# What a caller got wrong, not the service: logged at INFO without a traceback
# (shared.messaging.rpc gives them to nameko as each entrypoint's expected_exceptions).
CLIENT_ERRORS: tuple[type[SanxiangError], ...] = (
    ValidationFailed, BadRequest, NotFound, Forbidden, Unauthenticated, DomainRuleViolated,
    Conflict, ServiceNotDeployed)
