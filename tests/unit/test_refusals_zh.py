"""Every refusal says in Chinese what it says in English: the case, stage, review, field, rule,
key or file at fault, never only its class's category ("未找到", "违反执法程序规则" …).

Read from the source: every construction of a Sanxiang error in services/ and shared/ passes
message_zh beside its English message (or is one of the few allowed below, each with its
reason), and the shapes many sites share — the bad request's properties, a proposal's fields —
are checked for what they say."""
from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

import shared.errors
from services.records.domain import stages
from services.review.domain import states
from shared.errors import BadRequest, DomainRuleViolated, ValidationFailed
from shared.law.major import DecisionProposal
from shared.messaging.rpc import decode_request

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("services", "shared")
# services/vault is new and lands on its own; its refusals join this check when it does
NOT_YET: tuple[str, ...] = ()
# helpers that build a refusal and must be given its Chinese message too
BUILDERS = {"out_of_reach"}
# constructions whose Chinese message is not theirs to write, "path:class" → why
ALLOWED = {
    # `sanxiang call` rebuilds a peer's refusal from its reply payload, which carries the
    # peer's own message_zh (SanxiangError(payload) reads it back)
    "shared/cli/call.py:SanxiangError": "rebuilt from the peer's payload, message_zh included",
}


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if not rel.startswith(NOT_YET):
                yield rel, ast.parse(path.read_text("utf-8"), rel)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else None


def error_names(modules: list[tuple[str, ast.Module]]) -> set[str]:
    """The kernel's error classes and every class anywhere that derives from one."""
    names = {n for n, v in vars(shared.errors).items()
             if isinstance(v, type) and issubclass(v, shared.errors.SanxiangError)}
    bases = {node.name: {_name(b) for b in node.bases}
             for _, tree in modules for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    grown = True
    while grown:
        found = {c for c, of in bases.items() if c not in names and of & names}
        names |= found
        grown = bool(found)
    return names


def constructions_without_zh() -> list[str]:
    modules = list(_sources())
    errors = error_names(modules) | BUILDERS
    out = []
    for rel, tree in modules:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _name(node.func) not in errors:
                continue
            if any(k.arg == "message_zh" for k in node.keywords):
                continue
            # a payload dict rebuilt as its error, or **kwargs passed on, is judged where made
            if any(k.arg is None for k in node.keywords):
                continue
            where = f"{rel}:{_name(node.func)}"
            if where not in ALLOWED:
                out.append(f"{rel}:{node.lineno}: {_name(node.func)}(...) has no message_zh")
    return out


def test_every_refusal_raised_in_services_and_the_kernel_passes_its_chinese_message():
    assert constructions_without_zh() == []


def test_the_allow_list_names_only_constructions_that_exist():
    modules = list(_sources())
    errors = error_names(modules)
    made = {f"{rel}:{_name(n.func)}" for rel, tree in modules for n in ast.walk(tree)
            if isinstance(n, ast.Call) and _name(n.func) in errors}
    assert set(ALLOWED) <= made


def request(**changes) -> SimpleNamespace:
    base = dict(body=b'{"args": [], "kwargs": {}}', content_type="application/json",
                content_encoding="utf-8", properties={"reply_to": "r", "correlation_id": "c"})
    return SimpleNamespace(**dict(base, **changes))


@pytest.mark.parametrize("message, said", [
    (request(properties={"correlation_id": "c"}, content_type="text/plain"),
     "请求无法解析：reply_to：缺失：回复依据它寻址；content_type：应为 application/json，"
     "而不是 'text/plain'"),
    (request(body=b'{"args": {}, "extra": 1}'),
     "请求无法解析：extra：未知字段；args：应为列表；kwargs：缺失"),
    (request(body=b"\xff"), "请求无法解析：body：不是有效的 UTF-8（第 0 字节）"),
])
def test_a_bad_request_names_each_property_and_rule_in_chinese(message, said):
    with pytest.raises(BadRequest) as exc:
        decode_request(message)
    assert exc.value.message_zh == said
    # the English and the details are as they were
    assert exc.value.message.startswith("cannot read the request: ")
    assert all(isinstance(r, str) for rules in exc.value.details.values() for r in rules)


def test_a_proposal_of_unknown_fields_names_them_in_chinese():
    with pytest.raises(ValidationFailed) as exc:
        DecisionProposal.from_dict({"fine": 1})
    assert exc.value.message_zh == "提交的数据不符合要求：fine：未知字段；act_type：必填"


def test_a_stage_refusal_names_the_stages_by_their_chinese_labels():
    with pytest.raises(DomainRuleViolated) as exc:
        stages.check_advance("initiation", "decision")
    assert exc.value.message_zh.startswith("不得由程序启动阶段转入审查决定阶段："
                                           "程序启动的下一阶段是调查取证")
    with pytest.raises(DomainRuleViolated) as exc:
        stages.check_record_stage("performance", "investigation")
    assert exc.value.message_zh == "performance 记录属于送达执行阶段，案件当前处于调查取证阶段"


def test_a_review_in_the_wrong_state_names_the_act_and_the_states_in_chinese():
    with pytest.raises(DomainRuleViolated) as exc:
        states.require_state("issue_opinion", states.AWAITING_MATERIALS)
    assert exc.value.message_zh == ("审核处于“待补充材料”状态（awaiting_materials），"
                                    "不得出具审核意见；只能在“审核中”或“异议处理中”状态下进行")
    assert set(states.DOING_ZH) == set(states.DOING)
    assert set(states.STATE_ZH) == set(states.STATES)
