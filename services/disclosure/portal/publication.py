"""The value the portal publishes: one publication as the service hands it over.

The service maps its rows to `Publication` (or hands `Publication.from_dict` a plain dict of
the same fields) and calls `Portal.publish` with it after every change; the portal keeps no
database of its own — what it needs of earlier states it reads back from the files it wrote.

Fields:
    id              stable public identifier ([a-z0-9-], 1–64): the page is p/<id>.html
    agency_code     the agency's code ([a-z0-9-]); agency_name its name as shown
    kind            the publication kind's code ([a-z0-9-], e.g. penalty); kind_name as shown
    title           the heading of the page (e.g. the case name)
    summary         ordered (label, value) pairs: the rule set's summary fields, already redacted
    decision_date   the date of the decision (the search's year filter and CSV column)
    published_at    when it was first published (timezone-aware): the order of the lists
    state           published | corrected | withdrawn | expired
    history         every change so far, oldest first: (at, state, note, and for a public
                    act of the agency's log its leaf_index and the leaf as logged — what the
                    portal's verifier hashes again; an expired publication's JSON keeps the
                    indexes but not the leaves, whose bodies say what is no longer shown)
    withdrawal_reason   required when withdrawn: published on the page (行政处罚法 第四十八条)

The rule the portal applies by state: published and corrected publications are listed (their
agency's lists, their kind's, the whole site's) and in the agency's feed; a withdrawn one drops
from every list but keeps its page, which shows the reason and the history, and its feed entry
says it was withdrawn; an expired one (its display window over, or taken down on 信用修复)
drops from every list and from search, and its page keeps only the notice and the history —
title and summary are no longer shown anywhere.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, cast

from shared.errors import ValidationFailed

State = Literal["published", "corrected", "withdrawn", "expired"]
STATES: tuple[State, ...] = ("published", "corrected", "withdrawn", "expired")
LISTED: frozenset[str] = frozenset({"published", "corrected"})
STATE_ZH = {"published": "已公示", "corrected": "已更正", "withdrawn": "已撤回",
            "expired": "公示期满已撤下"}

_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_TEXT_MAX = 20_000


@dataclass(frozen=True)
class Change:
    """One step of a publication's history: when, the state it left it in, and what changed."""

    at: datetime
    state: State
    note: str = ""
    leaf_index: int | None = None   # its place in the agency's log (None: not a leaf)
    leaf: str = ""                  # the leaf as logged (canonical JSON)


@dataclass(frozen=True)
class Publication:
    id: str
    agency_code: str
    agency_name: str
    kind: str
    kind_name: str
    title: str
    summary: tuple[tuple[str, str], ...]
    decision_date: date
    published_at: datetime
    state: State = "published"
    history: tuple[Change, ...] = field(default_factory=tuple)
    withdrawal_reason: str = ""

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise _refusal(problems)

    @property
    def listed(self) -> bool:
        return self.state in LISTED

    @property
    def updated_at(self) -> datetime:
        """The time of its last change (its publication when nothing changed since)."""
        return max([self.published_at, *(c.at for c in self.history)])

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Publication:
        """A publication from plain data (ISO dates and times, summary as [[label, value]])."""
        problems: dict[str, list[str]] = {}
        try:
            history = tuple(Change(at=_when(c["at"]), state=cast(State, c["state"]),
                                   note=str(c.get("note", "")),
                                   leaf_index=_index(c.get("leaf_index")),
                                   leaf=str(c.get("leaf", "")))
                            for c in data.get("history", ()))
        except (KeyError, TypeError, ValueError) as exc:
            problems["history"] = [f"each change needs at (ISO time) and state: {exc}"]
            history = ()
        try:
            summary = tuple((str(label), str(value)) for label, value in data.get("summary", ()))
        except (TypeError, ValueError):
            problems["summary"] = ["must be a list of [label, value] pairs"]
            summary = ()
        dates: dict[str, Any] = {}
        for name, parse in (("decision_date", _day), ("published_at", _when)):
            try:
                dates[name] = parse(data[name])
            except KeyError:
                problems[name] = ["is required"]
            except (TypeError, ValueError):
                problems[name] = ["must be an ISO date" if name == "decision_date"
                                  else "must be an ISO date-time with its offset"]
        missing = [n for n in ("id", "agency_code", "agency_name", "kind", "kind_name", "title")
                   if not isinstance(data.get(n), str)]
        for name in missing:
            problems[name] = ["is required (a string)"]
        if problems:
            raise _refusal(problems)
        return cls(id=data["id"], agency_code=data["agency_code"],
                   agency_name=data["agency_name"], kind=data["kind"],
                   kind_name=data["kind_name"], title=data["title"], summary=summary,
                   decision_date=dates["decision_date"], published_at=dates["published_at"],
                   state=cast(State, data.get("state", "published")), history=history,
                   withdrawal_reason=str(data.get("withdrawal_reason", "")))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "agency_code": self.agency_code, "agency_name": self.agency_name,
                "kind": self.kind, "kind_name": self.kind_name, "title": self.title,
                "summary": [list(pair) for pair in self.summary],
                "decision_date": self.decision_date.isoformat(),
                "published_at": self.published_at.isoformat(), "state": self.state,
                "history": [_change_dict(c) for c in self.history],
                "withdrawal_reason": self.withdrawal_reason}


def _change_dict(c: Change) -> dict[str, Any]:
    out: dict[str, Any] = {"at": c.at.isoformat(), "state": c.state, "note": c.note}
    if c.leaf_index is not None:
        out.update(leaf_index=c.leaf_index, leaf=c.leaf)
    return out


def _index(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("leaf_index must be a non-negative integer")
    return value


def _when(value: Any) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("no offset")
    return moment


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValueError("a date-time, not a date")
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _problems(p: Publication) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for name in ("id", "agency_code", "kind"):
        if not _CODE.match(getattr(p, name)):
            problems[name] = ["must be 1-64 of a-z, 0-9 and '-' (it names a file)"]
    for name in ("agency_name", "kind_name", "title"):
        text = getattr(p, name)
        if not text.strip() or len(text) > 500:
            problems[name] = ["must be 1-500 characters, not blank"]
    if sum(len(label) + len(value) for label, value in p.summary) > _TEXT_MAX:
        problems["summary"] = [f"must total at most {_TEXT_MAX} characters"]
    if p.state not in STATES:
        problems["state"] = [f"must be one of {', '.join(STATES)}"]
    if p.published_at.tzinfo is None:
        problems["published_at"] = ["must carry its offset"]
    if any(c.state not in STATES or c.at.tzinfo is None for c in p.history):
        problems["history"] = ["each change needs a known state and a time with its offset"]
    if p.state == "withdrawn" and not p.withdrawal_reason.strip():
        problems["withdrawal_reason"] = ["is required when the publication is withdrawn"]
    return problems


_FIELD_ZH = {"id": "编号", "agency_code": "机关代码", "agency_name": "机关名称", "kind": "类别代码",
             "kind_name": "类别名称", "title": "标题", "summary": "摘要",
             "decision_date": "决定日期", "published_at": "公示时间", "state": "状态",
             "history": "变更记录", "withdrawal_reason": "撤回理由"}


def _refusal(problems: dict[str, list[str]]) -> ValidationFailed:
    summary = "; ".join(f"{name}: {', '.join(rules)}" for name, rules in problems.items())
    names_zh = "、".join(_FIELD_ZH.get(name, name) for name in problems)
    return ValidationFailed(f"invalid publication: {summary}", details=problems,
                            message_zh=f"公示信息不符合要求：{names_zh}有误")
