"""Findings on the officers a case's records name (持证上岗, 亮证执法: 行政处罚法 第四十二条
第一款; 000《公示办法》第九条（三）、第十条（一）; 002《公示办法》第十条（三）、第十一条; 004
第十一条、第十七条):
each officer a record names, on the record's day (China time), judged by the disclosure
publisher's officers register (officer_qualified) — `officer_unqualified` where the certificate
had not begun, had expired, was taken off the register or did not cover the case's 执法类别;
`officer_unknown` where the register has no such certificate, each naming the record, the
officer and the day; and, where the register could not be asked (the publisher not deployed,
not answering or refusing), one `officer_unverified` for the case naming every officer and record
left unchecked and why: never a silent pass, and not one alike finding per record.

Pure: the records come in as they are folded (findings.ChainFold), the register's answers
through `Check`, a function of (certificate number, day) the caller caches."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from shared.calendar.clock import local_date

# officer_qualified's statuses, by the finding each raises (qualified raises none)
UNQUALIFIED: Final = frozenset({"removed", "not_yet_valid", "expired", "category_not_covered",
                                "region_not_covered"})
UNKNOWN: Final = frozenset({"unknown_officer"})
UNVERIFIED: Final = "unverified"
_WHO: Final = "执法记录所列执法人员{name}（执法证件号{no}）"
MESSAGES: Final = {
    "officer_unqualified": _WHO + "于{on}不具备执法资格：{why}",
    "officer_unknown": _WHO + "不在行政执法人员清单中：{why}",
}


@dataclass(frozen=True)
class Named:
    """An officer a record names, on the record's day."""
    seq: int
    occurred_at: str
    on: date
    certificate_no: str
    name: str


@dataclass(frozen=True)
class Verdict:
    """What the register says of a certificate on a day (officer_qualified's status and
    reason), or `unverified` with why it could not be asked."""
    status: str
    reason: str
    reason_zh: str


Check = Callable[[str, date], Verdict]


def named(seq: int, occurred_at: str, content: Mapping[str, Any]) -> list[Named]:
    """The officers a record's content names (its `officers`), each once."""
    on = local_date(datetime.fromisoformat(occurred_at))
    out: dict[str, Named] = {}
    for officer in content.get("officers") or ():
        number = str(officer.get("certificate_no") or "").strip()
        if number and number not in out:
            out[number] = Named(seq, occurred_at, on, number, str(officer.get("name") or ""))
    return list(out.values())


def code_of(verdict: Verdict) -> str | None:
    """The finding a verdict raises, None for a qualified officer."""
    if verdict.status in UNQUALIFIED:
        return "officer_unqualified"
    if verdict.status in UNKNOWN:
        return "officer_unknown"
    if verdict.status == UNVERIFIED:
        return "officer_unverified"
    return None


@dataclass(frozen=True)
class Finding:
    code: str
    officer: Named
    verdict: Verdict

    def message(self) -> str:
        o = self.officer
        return MESSAGES[self.code].format(name=o.name or "（未写姓名）", no=o.certificate_no,
                                          on=o.on.isoformat(), why=self.verdict.reason_zh)

    def officer_json(self) -> dict[str, Any]:
        o = self.officer
        return {"certificate_no": o.certificate_no, "name": o.name, "on": o.on.isoformat(),
                "status": self.verdict.status, "reason": self.verdict.reason}


def unverified(found: Sequence[Finding]) -> str:
    """What one officer_unverified of a case says: each officer left unchecked with the
    records (seq) naming them, and why the register could not be asked."""
    by_officer: dict[tuple[str, str], list[int]] = {}
    for f in found:
        by_officer.setdefault((f.officer.certificate_no, f.officer.name), []).append(
            f.officer.seq)
    who = "；".join(f"{name or '（未写姓名）'}（执法证件号{no}，第{_seqs(seqs)}号记录）"
                   for (no, name), seqs in by_officer.items())
    reasons = "；".join(dict.fromkeys(f.verdict.reason_zh for f in found))
    return f"无法核验执法记录所列执法人员的执法资格：{who}。原因：{reasons}"


def _seqs(seqs: Iterable[int]) -> str:
    return "、".join(map(str, seqs))


def judge(officers: Iterable[Named], check: Check) -> list[Finding]:
    """Each officer named, judged on the record's day (`check` asked once per certificate and
    day by the caller's cache), in record order."""
    out = []
    for officer in sorted(officers, key=lambda o: (o.seq, o.certificate_no)):
        verdict = check(officer.certificate_no, officer.on)
        code = code_of(verdict)
        if code is not None:
            out.append(Finding(code, officer, verdict))
    return out


class Cached:
    """`check` asked once per (certificate, day) however many records name the officer."""

    def __init__(self, check: Check) -> None:
        self.check = check
        self.asked: dict[tuple[str, date], Verdict] = {}

    def __call__(self, certificate_no: str, on: date) -> Verdict:
        key = (certificate_no, on)
        if key not in self.asked:
            self.asked[key] = self.check(certificate_no, on)
        return self.asked[key]

