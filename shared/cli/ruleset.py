"""`sanxiang ruleset check|show|list`: validate rule-set files, print effective rules.
Labels are Chinese for the people who apply the rules; codes stay visible beside them, and
every value that came from a parent rule set is marked with where it came from."""
from __future__ import annotations

import json
import os
import sys
from typing import Any

from shared.errors import NotFound, RuleSetInvalid
from shared.rulesets.repository import RuleSet, RuleSetRepository
from shared.rulesets.vocabulary import (
    ACT_TYPES,
    AV_SITUATIONS,
    COERCIVE_EXECUTION_METHODS,
    FINDINGS,
    MASKED_INFORMATION,
    PARTY_KINDS,
    PERIOD_UNITS,
    REPORT_RECIPIENTS,
    RETENTION_CONDITIONS,
    RETENTION_SUBJECTS,
)

SECTION_TITLES = {
    "periods": "一、期限", "av": "二、音像记录", "retention": "三、保存期限",
    "major_decisions": "四、重大执法决定目录清单", "review": "五、法制审核",
    "disclosure": "六、行政执法公示", "records": "七、全过程记录",
    "findings": "八、检查发现的依据条款", "vocabulary": "九、本规则集增补的词汇",
}

KEY_LABELS = {
    # periods
    "emergency_start_approval": "紧急先行启动后补办审批", "av_storage": "音像记录存储",
    "av_storage_after_return": "外出执法返回后音像记录存储", "case_archive": "案卷立卷归档",
    "publish_licence_penalty": "行政许可、行政处罚决定信息公开",
    "publish_other_decision": "其他行政执法决定信息公开",
    "withdraw_changed_publication": "被变更、撤销的处罚决定信息撤回",
    "review": "法制审核", "review_extension": "法制审核延长",
    "av_handover_legal_unit": "音像资料移交法制机构",
    # av
    "mandatory_situations": "应当音像记录的情形",
    "discretionary_situations": "根据实际情况音像记录的情形",
    "conduct": "音像记录规范", "storage_labels": "存储标注项目", "offsite_backup": "异地备份",
    # retention
    "classes": "保存类别",
    # major decisions
    "act_types": "一律属于重大的行为类别", "measures": "重大处理措施",
    "fine_thresholds": "罚款数额标准（达到即为重大，含本数）",
    "hearing_held_is_major": "经听证作出的决定属于重大",
    "general_grounds": "一般情形", "coercive_execution_is_major": "行政强制执行决定属于重大",
    "all_non_simple_procedure": "简易程序以外的全部决定",
    # review
    "materials": "送审材料", "review_points": "审核内容", "opinion_types": "审核意见种类",
    "approving_opinions": "视为审核通过的意见", "collective_discussion_required": "集体讨论",
    "collective_opinions": "交由机关领导集体研究决定的意见",
    "reviewer_ratio": "法制审核人员比例", "pause_reasons": "不计入审核期限的期间",
    "recusal_required": "审核人员回避", "legal_qualification_required": "法律职业资格",
    "reviewer_background": "审核人员背景", "legal_counsel": "法律顾问意见",
    "opinion_document": "法制审核意见书", "disagreement": "意见分歧的处理",
    # disclosure
    "summary_fields": "决定信息摘要项目", "published_results": "事后公开的结果",
    "annual_report": "行政执法统计年报", "withheld_grounds": "不予公开的情形",
    "display_windows": "失信信息公示期限",
    "prepublication_review": "公示前审核",
    # records
    "stages": "记录环节", "start_modes": "程序启动方式",
    "investigation_document_kinds": "调查取证文书种类",
    "simple_procedure_items": "简易程序记录事项", "service_methods": "送达方式",
    "access": "记录的查阅与提供", "party_may_read": "当事人可以查阅本人相关记录",
    "party_may_copy": "当事人可以复制本人相关记录", "masked": "查阅时应当隐去",
    "external_release": "对外提供或发布", "officers_may_keep_records": "执法人员可自行保存记录",
    "access_logged": "调阅留痕监督",
}

FIELD_LABELS = {"when": "适用情形", "required": "提交要求", "act_types": "适用行为",
                "av": "音像记录", "requires": "应当记录", "document": "文书",
                "emergency_start": "紧急先行启动", "note": "说明", "starts": "起算",
                "exception": "例外", "applies_to": "适用于", "conditions": "条件",
                "exceptions": "除外", "mode": "方式", "due": "报送期限", "recipients": "报送对象",
                "contents": "内容", "copies": "份数", "classes": "类别",
                "in_force": "施行日期",
                "online_replaces_paper": "网上审核替代书面意见书",
                "opinion_material": "法律意见书（送审材料）",
                "allowed": "允许", "approval_period": "补办审批期限", "in_principle": "原则性要求",
                "minimum": "为最低期限", "years": "保存年限（年）", "permanent": "永久保存",
                "per_archives_rules": "按档案保管期限"}

VALUE_LABELS = {
    True: "是", False: "否", "always": "一律", "when_applicable": "有则提交",
    "when_law_requires": "法律、法规、规章规定应当集体讨论的", "may": "可以", "must": "应当",
    "required": "应当", "optional": "可以", "first_time_penalty_reviewers":
    "初次从事行政处罚决定法制审核的人员应当取得", "all_reviewers": "全部审核人员应当取得",
    "legal_preferred": "优先配备具有法律职业资格或法律专业背景的人员",
    "head_decides": "报请行政执法机关负责人决定", "leaders_reexamine": "提请局领导复核",
    "legal_procedure": "须经法定程序", "approval": "须经批准",
    "head_approval": "须经机关负责人批准", "none": "无",
    "consent_or_public_interest": "权利人同意或不公开会对公共利益造成重大影响的可以公开",
}
CODE_LABELS = {**ACT_TYPES, **AV_SITUATIONS, **COERCIVE_EXECUTION_METHODS, **MASKED_INFORMATION,
               **PARTY_KINDS, **REPORT_RECIPIENTS, **RETENTION_CONDITIONS, **RETENTION_SUBJECTS}


def register(subparsers) -> None:
    parser = subparsers.add_parser("ruleset", help="agency rule sets 规则集: check, show, list")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
    sub = parser.add_subparsers(dest="ruleset_command", metavar="SUBCOMMAND")

    check = sub.add_parser("check", help="validate rule-set files (exit 0 if all valid)")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(func=cmd_check)

    folder = {"help": "rule-set folder (default: $SANXIANG_RULESETS or rulesets/)"}
    show = sub.add_parser("show", help="print the effective rules of one rule set")
    show.add_argument("ref", metavar="ID", help="rule-set id, or id@version")
    show.add_argument("--version", type=int, help="a version other than the highest")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.add_argument("--dir", **folder)
    show.set_defaults(func=cmd_show)

    listing = sub.add_parser("list", help="list rule sets and versions")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument("--dir", **folder)
    listing.set_defaults(func=cmd_list)


def _shown_path(file: str) -> str:
    try:
        shown = os.path.relpath(file)
    except ValueError:
        return file
    return file if shown.startswith("..") else shown


def format_error(err: dict) -> str:
    where = _shown_path(err["file"]) + (f":{err['line']}" if err.get("line") else "")
    path = err.get("path") or "(file)"
    return f"{where}: {path}: {err['rule']}"


def cmd_check(args) -> int:
    failed = 0
    for file in args.files:
        errors = RuleSetRepository.check_file(file)
        if errors:
            failed += 1
            for err in sorted(errors, key=lambda e: (e["file"], e.get("line") or 0)):
                print(format_error(err))
            print(f"INVALID {file}: {len(errors)} error(s)", file=sys.stderr)
        else:
            rs = RuleSetRepository.load_file(file)
            print(f"OK {file}: {rs.ref} sha256:{rs.fingerprint}")
    return 1 if failed else 0


def _repository(args) -> RuleSetRepository:
    return RuleSetRepository([args.dir]) if args.dir else RuleSetRepository.default()


def _guarded(run):
    def wrapper(args) -> int:
        try:
            return run(args)
        except RuleSetInvalid as exc:
            for err in exc.details or []:
                print(format_error(err), file=sys.stderr)
            print(f"rule sets are invalid: {exc.message}", file=sys.stderr)
            return 1
        except NotFound as exc:
            print(f"{exc.message_zh}: {exc.message}", file=sys.stderr)
            return 1
    return wrapper


@_guarded
def cmd_list(args) -> int:
    repo = _repository(args)
    rows: list[dict[str, Any]] = [{"ref": rs.ref, "id": rs.id, "version": rs.version,
             "effective": rs.effective.isoformat(), "title": rs.title,
             "extends": list(rs.extends_chain), "fingerprint": rs.fingerprint}
            for rs in repo.all()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for row in rows:
        extends = f"  继承 {' → '.join(row['extends'])}" if row["extends"] else ""
        print(f"{row['ref']:<26} 生效 {row['effective']}  {row['title']}{extends}  "
              f"{row['fingerprint'][:12]}")
    return 0


@_guarded
def cmd_show(args) -> int:
    rs = _repository(args).get(args.ref, version=args.version)
    if args.json:
        print(json.dumps(rs.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render(rs))
    return 0


# --- Human-readable rendering ---------------------------------------------------------------

def _label(key: Any, path: tuple = ()) -> str:
    if path[:1] == ("vocabulary",) and key in VOCABULARY_LABELS:
        return VOCABULARY_LABELS[key]
    return KEY_LABELS.get(key) or FINDINGS.get(key) or str(key)


# the vocabularies a rule set may extend (shared.rulesets.vocabulary.EXTENSIBLE)
VOCABULARY_LABELS = {"av_situations": "音像记录情形", "sectors": "所属领域",
                     "measures": "处理措施"}


def _value(value: Any) -> str:
    if isinstance(value, bool) or (isinstance(value, str) and value in VALUE_LABELS):
        return VALUE_LABELS[value]
    if isinstance(value, list):
        return "、".join(f"{CODE_LABELS.get(v, v)}" for v in value) or "（无）"
    if isinstance(value, str) and value in CODE_LABELS:
        return CODE_LABELS[value]
    if isinstance(value, dict) and set(value) == {"month", "day"}:
        return f"每年{value['month']}月{value['day']}日前"
    return str(value)


def _period(entry: dict) -> str:
    text = f"{entry['amount']} {PERIOD_UNITS[entry['unit']]}"
    if entry["amount"] == 0 and entry["unit"] == "workdays":
        text += "（当日工作结束前）"
    return text


def render(rs: RuleSet) -> str:
    data = rs.data
    src = data["source"]
    lines = [f"{rs.title}  {rs.ref}",
             f"  生效日期 effective: {rs.effective.isoformat()}",
             f"  继承 extends: {' → '.join(rs.extends_chain) or '（无）'}",
             f"  来源 source: {src['seed'] + ' ' if src.get('seed') else ''}《{src['document']}》"
             + (f" {src['number']}" if src.get("number") else ""),
             *(f"    · {law}" for law in src.get("laws", [])),
             f"  指纹 fingerprint: sha256:{rs.fingerprint}",
             "  （标〔继承 …〕的项目来自上级规则集；代码见方括号）"]
    for section, title in SECTION_TITLES.items():
        if section not in data:
            continue  # a section only some rule sets declare (vocabulary)
        lines.append("")
        lines.append(f"{title} {section}")
        body = data[section]
        for key, value in body.items():
            _render(rs, lines, (section, key), key, value, 1)
    return "\n".join(lines)


def _mark(rs: RuleSet, path: tuple) -> str:
    origin = rs.origin(*path)
    return f"  〔继承 {origin}〕" if origin != rs.ref else ""


def _extras(entry: dict, skip: set) -> list[str]:
    out = []
    for key, value in entry.items():
        if key in skip:
            continue
        if key == "classes":
            out.append(f"{FIELD_LABELS[key]}：" + "；".join(_display_class(i) for i in value))
        elif key == "requires" or key == "contents":
            out.append(f"{FIELD_LABELS[key]}：" + "；".join(f"{i['label']}[{i['code']}]"
                                                          for i in value))
        elif key == "emergency_start":
            parts = [f"{FIELD_LABELS['allowed']} {_value(value['allowed'])}"]
            if value.get("approval_period"):
                parts.append(f"{FIELD_LABELS['approval_period']} {value['approval_period']}")
            if value.get("note"):
                parts.append(value["note"])
            out.append(f"{FIELD_LABELS[key]}：{'，'.join(parts)} — 依据：{value['basis']}")
        else:
            out.append(f"{FIELD_LABELS.get(key, key)}：{_value(value)}")
    return out


def _display_class(entry: dict) -> str:
    """A display class (disclosure.display_windows): not published, or its shortest and
    longest window in months."""
    if not entry["published"]:
        return f"{entry['label']}[{entry['code']}] 不予公示"
    return (f"{entry['label']}[{entry['code']}] 最短{entry.get('min_months', 0)}个月、"
            f"最长{entry['max_months']}个月")


def _render(rs: RuleSet, lines: list[str], path: tuple, key: Any, value: Any,
            depth: int) -> None:
    pad = "  " * depth
    head = f"{pad}{_label(key, path)} [{key}]"
    if path[0] == "periods" and len(path) == 2:
        _render_period(rs, lines, path, head, value)
    elif isinstance(value, dict) and "basis" in value:
        _render_based(rs, lines, path, head, pad, value)
    elif isinstance(value, dict):
        _render_mapping(rs, lines, path, head, pad, key, value, depth)
    elif isinstance(value, list) and all(isinstance(v, dict) and "code" in v for v in value) \
            and value:
        _render_coded_list(rs, lines, path, head, pad, value)
    else:
        lines.append(f"{head}: {_value(value)}{_mark(rs, path)}")


def _render_period(rs: RuleSet, lines: list[str], path: tuple, head: str, value: dict) -> None:
    extra = [f"自{value['starts']}起"] if value.get("starts") else []
    extra += [value["note"]] if value.get("note") else []
    lines.append(f"{head}: {_period(value)}" + (f"（{'；'.join(extra)}）" if extra else "")
                 + f" — 依据：{value['basis']}{_mark(rs, path)}")


def _render_based(rs: RuleSet, lines: list[str], path: tuple, head: str, pad: str,
                  value: dict) -> None:
    shown = next((_value(value[k]) for k in ("value", "mode") if k in value), "")
    lines.append(f"{head}: {shown} — 依据：{value['basis']}{_mark(rs, path)}".replace(
        ":  —", ": —"))
    for extra in _extras(value, {"value", "mode", "basis"}):
        lines.append(f"{pad}    {extra}")


def _render_mapping(rs: RuleSet, lines: list[str], path: tuple, head: str, pad: str, key: Any,
                    value: dict, depth: int) -> None:
    lines.append(f"{head}:" + (f" （无）{_mark(rs, path)}" if not value else ""))
    for sub_key, sub_value in value.items():
        if key == "fine_thresholds":
            lines.append(f"{pad}  {CODE_LABELS.get(sub_key, sub_key)} [{sub_key}]: "
                         f"{sub_value['amount']} 元以上 — 依据：{sub_value['basis']}"
                         f"{_mark(rs, path + (sub_key,))}")
        else:
            _render(rs, lines, path + (sub_key,), sub_key, sub_value, depth + 1)


def _render_coded_list(rs: RuleSet, lines: list[str], path: tuple, head: str, pad: str,
                       value: list[dict]) -> None:
    lines.append(f"{head}:{_mark(rs, path)}")
    for entry in value:
        text = f"{pad}  · {entry['label']} [{entry['code']}]"
        if "basis" in entry:
            text += f" — 依据：{entry['basis']}"
        lines.append(text)
        for extra in _extras(entry, {"code", "label", "basis"}):
            lines.append(f"{pad}      {extra}")
