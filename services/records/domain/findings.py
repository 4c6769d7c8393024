"""Findings: every violation the recorded data shows, so a supervisor can see each item of
004 第五十七条 that concerns records — (五) not recorded, (六) altered, (七) released outside
procedure, (八) not archived, (九)(十三) a decision issued around the review board's
opinion — plus the periods of the case's rule set.

Pure: the case, its entries, its AV records and its refused reads come in as value types
(read by the store); `case_findings` answers the findings in a fixed order."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.records.domain import chain, gate, stages
from shared.calendar.clock import iso, local_date, utc
from shared.rulesets.repository import RuleSet


@dataclass(frozen=True)
class CaseState:
    """What the findings read of a case's row."""
    id: str
    case_no: str
    act_type: str
    status: str
    start_state: str
    emergency_due: dict | None = None        # Deadline.to_dict() of the emergency approval
    emergency_approved_at: datetime | None = None
    archive_due: dict | None = None          # Deadline.to_dict() of archiving
    archived_at: datetime | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> CaseState:
        return cls(**{name: row[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class EntryRow:
    """An entry of the chain as stored (its hashed body)."""
    seq: int
    kind: str
    stage: str
    body: str
    prev_hash: str
    entry_hash: str

    def parsed(self) -> dict:
        return json.loads(self.body)

    def content(self) -> dict:
        return self.parsed()["content"]


@dataclass(frozen=True)
class AvRecord:
    """An AV record's metadata (the av_records row)."""
    seq: int
    late: bool
    storage_due: dict
    stored_at: datetime
    situations: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class RefusedAccess:
    """A refused call about the case, from the access log."""
    at: datetime
    actor_id: str
    actor_role: str
    actor_agency: str | None
    action: str
    reason: str | None


@dataclass(frozen=True)
class TextRecord:
    """A `record` entry: its seq, when it happened (as written) and its content."""
    seq: int
    occurred_at: str
    content: dict


def _finding(case: CaseState, code: str, article: str, message: str, *, seq: int | None = None,
             due: str | None = None, at: str | None = None) -> dict:
    return {"code": code, "article": article, "case_id": case.id, "case_no": case.case_no,
            "seq": seq, "message": message, "due": due, "at": at}


def case_findings(case: CaseState, entries: Iterable[EntryRow], avs: Sequence[AvRecord],
                  refused: Sequence[RefusedAccess], rs: RuleSet, now: datetime) -> list[dict]:
    """Every finding of one case, in this order: altered, emergency approval, AV stored late,
    AV missing, releases, records missing, the gate, archiving, refused reads.

    `entries` (in seq order) are read once, as they come: a long chain is folded a chunk at a
    time (ChainFold), never held whole — the rules below see each chunk, and what the rules
    over the whole chain need is kept in a summary that does not grow with the chain."""
    fold = ChainFold(case, rs, avs)
    rows = fold.fed(entries)
    _, bad, _ = chain.verify_chain(rows)
    fold.drain(rows)  # what lies past a break is read still
    out = altered_at(case, bad)
    out += emergency_approval(case, now)
    out += av_storage_late(case, avs)
    out += fold.av_missing
    out += fold.releases
    out += records_missing(case, fold.kept(), fold.record_kinds())
    out += gate_findings(case, fold.kept())
    out += archive_late(case, now)
    out += access_refused(case, refused)
    return out


# The entry kinds the gate reads (every one of them is kept; a case has a few).
_GATE_KINDS = frozenset({"legal_review", "decision_issued"})
FOLD_CHUNK = 500


class ChainFold:
    """The findings' one pass over a chain: each chunk of at most FOLD_CHUNK entries goes
    through the rules that judge entries one by one (AV missing, releases), and is then let
    go; what the rules over the whole chain read is kept — the first entry of each stage and
    of each record type (records_missing asks only which occur) and the entries the gate
    reads (its reviews and decisions). Only those grow with the chain, and only with them."""

    def __init__(self, case: CaseState, rs: RuleSet, avs: Sequence[AvRecord]) -> None:
        self.case, self.rs, self.avs = case, rs, avs
        self.av_missing: list[dict] = []
        self.releases: list[dict] = []
        self._chunk: list[EntryRow] = []
        self._stages: dict[str, EntryRow] = {}
        self._gate: list[EntryRow] = []
        self._record_types: dict[Any, TextRecord] = {}

    def fed(self, entries: Iterable[EntryRow]) -> Iterator[tuple[int, str, str, str]]:
        """The chain's links of `entries`, each entry folded as it passes."""
        for entry in entries:
            self._chunk.append(entry)
            if len(self._chunk) >= FOLD_CHUNK:
                self._flush()
            yield entry.seq, entry.body, entry.prev_hash, entry.entry_hash
        self._flush()

    def drain(self, rows: Iterator[tuple]) -> None:
        for _ in rows:
            pass

    def _flush(self) -> None:
        chunk, self._chunk = self._chunk, []
        records = text_records(chunk)
        self.av_missing += av_missing(self.case, self.rs, records, self.avs)
        for record in records:
            if record.content.get("record_type") == "external_release":
                self.releases += release_findings(self.case, self.rs, record.seq,
                                                  record.occurred_at, record.content)
            self._record_types.setdefault(record.content.get("record_type"), record)
        for entry in chunk:
            self._stages.setdefault(entry.stage, entry)
            if entry.kind in _GATE_KINDS:
                self._gate.append(entry)

    def kept(self) -> list[EntryRow]:
        """The entries kept, in seq order."""
        by_seq = {entry.seq: entry for entry in (*self._stages.values(), *self._gate)}
        return [by_seq[seq] for seq in sorted(by_seq)]

    def record_kinds(self) -> list[TextRecord]:
        """One record of each record type, in seq order."""
        return sorted(self._record_types.values(), key=lambda record: record.seq)


def text_records(entries: Sequence[EntryRow]) -> list[TextRecord]:
    out = []
    for entry in entries:
        if entry.kind == "record":
            body = entry.parsed()
            out.append(TextRecord(entry.seq, body["occurred_at"], body["content"]))
    return out


def altered(case: CaseState, entries: Iterable[EntryRow]) -> list[dict]:
    """(六) altered: the chain must recompute."""
    _, bad, _ = chain.verify_chain((e.seq, e.body, e.prev_hash, e.entry_hash) for e in entries)
    return altered_at(case, bad)


def altered_at(case: CaseState, bad: chain.ChainBreak | None) -> list[dict]:
    """The finding of the chain's first break, if any."""
    if not bad:
        return []
    return [_finding(case, "record_altered", "周村 第五十七条(六); 沁源 第三十五条",
                     f"chain broken at seq {bad.seq}: {bad.problem}", seq=bad.seq)]


def emergency_approval(case: CaseState, now: datetime) -> list[dict]:
    """An emergency start approved late or not at all (沁源 第十二条: within 24 hours)."""
    out = []
    if case.emergency_due:
        due = datetime.fromisoformat(case.emergency_due["due"])
        approved = case.emergency_approved_at
        if (approved and utc(approved) > due) or (not approved and now > due):
            out.append(_finding(case, "emergency_approval_late", case.emergency_due["basis"],
                                "紧急先行启动未在期限内补办审批手续", due=iso(due),
                                at=iso(approved) if approved else None))
    if case.start_state == "pending_approval" and case.status != "open":
        out.append(_finding(case, "emergency_approval_missing", "周村 第二十八条; 沁源 第十二条",
                            "紧急先行启动的案件结案时仍未补办立案审批手续"))
    return out


def av_storage_late(case: CaseState, avs: Sequence[AvRecord]) -> list[dict]:
    """AV stored late (沁源 第三十二条 2 工作日; 陵川 当日)."""
    return [_finding(case, "av_storage_late", av.storage_due["basis"],
                     f"音像记录未在规定期限内存储 (due {av.storage_due['due']})",
                     seq=av.seq, due=av.storage_due["due"], at=iso(av.stored_at))
            for av in avs if av.late]


# A service's AV requirement is met by an AV record of that service or of "service" itself.
_SERVICE_CODES = {"service", "service_lien", "service_public_notice"}
_SERVICE_BY_METHOD = {"lien": "service_lien", "public_notice": "service_public_notice"}


def av_missing(case: CaseState, rs: RuleSet, records: Sequence[TextRecord],
               avs: Sequence[AvRecord]) -> list[dict]:
    """(五) a mandatory-AV situation without an AV record covering it."""
    covered: set[str] = set()
    for av in avs:
        covered.update(av.situations)
    return [_finding(case, "av_missing", info.get("basis", ""),
                     f"应当进行音像记录而未记录: {info.get('label', code)}", seq=seq)
            for seq, code, info in av_required(rs, records)
            if code not in covered and not (code in _SERVICE_CODES and "service" in covered)]


def av_required(rs: RuleSet, records: Sequence[TextRecord]) -> Iterator[tuple[int, str, dict]]:
    """(seq, situation, rule) for each situation of each record that the rule set makes AV
    mandatory: the situations declared with the record and those its content shows
    (stages.implied_situations — also for records appended before a situation was derived),
    plus a service whose method the rule set marks `av: required` (004 第三十九条)."""
    mandatory = rs.av_mandatory_situations
    methods = {m["code"]: m for m in rs.section("records")["service_methods"]
               if m.get("av") == "required"}
    for record in records:
        content = record.content
        record_type = content.get("record_type")
        found = set(content.get("situations") or ()) | stages.implied_situations(record_type,
                                                                                 content)
        required = {code: mandatory[code] for code in found if code in mandatory}
        method = methods.get(content.get("method")) if record_type == "service" else None
        if method and not required.keys() & _SERVICE_CODES:
            code = _SERVICE_BY_METHOD.get(method["code"], "service")
            required[code] = {"label": method["label"], "basis": method["basis"]}
        for code in sorted(required):
            yield record.seq, code, required[code]


_RELEASE_APPROVER = {"approval": None, "head_approval": "agency_head"}
_RELEASE_ARTICLE = "周村 第五十七条(七)"


def release_findings(case: CaseState, rs: RuleSet, seq: int, released_at: str,
                     content: dict) -> list[dict]:
    """004 第五十七条（七）: 擅自保存或者对外提供. The rule set says what a release needs
    (records.access.external_release): legal_procedure — its legal basis, which the content
    must name; approval — an approval given before the release; head_approval — the
    agency head's. Where officers may not keep records, none may be released to one."""
    access = rs.section("records")["access"]
    out = []
    rule = access["external_release"]
    if rule["value"] in _RELEASE_APPROVER:
        article = f"{rule['basis']}; {_RELEASE_ARTICLE}"
        out += _release_unapproved(case, _RELEASE_APPROVER[rule["value"]], article, seq,
                                   released_at, content)
    keep = access.get("officers_may_keep_records")
    recipient = content["recipient"]
    if recipient["kind"] == "officer" and keep and keep["value"] is False:
        out.append(_finding(case, "records_kept_by_officer",
                            f"{keep['basis']}; {_RELEASE_ARTICLE}",
                            "行政执法人员不得自行保存执法记录资料: "
                            f"released to {recipient['name']}",
                            seq=seq))
    return out


def _release_unapproved(case: CaseState, role: str | None, article: str, seq: int,
                        released_at: str, content: dict) -> list[dict]:
    """A release without the approval the rule set requires (`role`: the approver's, where
    it names one), or approved only after it."""
    approval = content.get("approval")
    who = "行政机关负责人批准" if role else "批准"
    if not approval:
        return [_finding(case, "release_unapproved", article,
                         f"未经{who}对外提供执法记录 (to {content['recipient']['name']})",
                         seq=seq)]
    if role and approval["approver_role"] != role:
        return [_finding(case, "release_unapproved", article,
                         f"未经{who}对外提供执法记录: approved by {approval['approved_by']}"
                         f" ({approval['approver_role']})", seq=seq,
                         at=approval["approved_at"])]
    approved = utc(datetime.fromisoformat(approval["approved_at"]))
    released = utc(datetime.fromisoformat(released_at))
    if approved > released:
        return [_finding(case, "release_unapproved", article,
                         f"对外提供执法记录后才批准 (approved {iso(approved)}, released "
                         f"{iso(released)})", seq=seq, at=iso(approved))]
    return []


def records_missing(case: CaseState, entries: Sequence[EntryRow],
                    records: Sequence[TextRecord]) -> list[dict]:
    """(五) records a stage requires but that are missing."""
    out = []
    record_types = {record.content.get("record_type") for record in records}
    stages_reached = {entry.stage for entry in entries}
    if "decision" in stages_reached and "credentials_shown" not in record_types \
            and case.act_type != "licence":
        out.append(_finding(case, "credentials_not_recorded", "沁源 第十四条; 周村 第三十一条",
                            "调查取证未记录执法人员姓名、证件编号及出示情况"))
    issued = [entry.seq for entry in entries if entry.kind == "decision_issued"]
    if issued and case.act_type == "penalty" and "rights_notice" not in record_types:
        out.append(_finding(case, "rights_notice_missing", "周村 第三十五条",
                            "作出处罚决定前未记录告知当事人陈述、申辩权利", seq=issued[0]))
    if issued and case.status != "open" and "service" not in record_types:
        out.append(_finding(case, "service_not_recorded", "沁源 第二十七条; 周村 第三十九条",
                            "执法决定未记录送达过程", seq=issued[0]))
    return out


_GATE_ARTICLE = ("沁源《法制审核办法》第十一条; 安泽《法制审核办法》第十六条; "
                 "周村 第五十七条(九)(十三)")


def gate_findings(case: CaseState, entries: Sequence[EntryRow]) -> list[dict]:
    """(九)(十三) Where the review board gave an opinion on a proposal, a decision on it
    stands on the board's last opinion before it — also in chains written before records
    refused a review entered beside the board's: a decision on such an entry, on an older
    board opinion, or major and on none is flagged; so is one on an entry by hand that the
    board's opinion on the proposal followed (the entry pre-empted the board)."""
    reviews: list[gate.Review] = []
    out = []
    for entry in entries:
        if entry.kind == "legal_review":
            reviews.append(gate.Review.of(entry.seq, entry.content()))
        if entry.kind != "decision_issued":
            continue
        decision = entry.content()
        if decision.get("major") or decision.get("legal_review_seq") is not None:
            out += _decision_on_board_opinion(case, entries, reviews, entry.seq, decision)
    return out


def _decision_on_board_opinion(case: CaseState, entries: Sequence[EntryRow],
                               reviews: Sequence[gate.Review], seq: int,
                               decision: dict) -> list[dict]:
    on, proposal_seq = decision.get("legal_review_seq"), decision["proposal_seq"]
    board = [r.seq for r in reviews if r.proposal_seq == proposal_seq and r.board]
    if board and on != board[-1]:
        what = f"seq {on}" if on is not None else "no legal review"
        return [_finding(case, "decision_not_on_board_opinion", _GATE_ARTICLE,
                         f"决定未依据法制审核机构的最后审核意见作出: issued on {what}, "
                         f"the board's last opinion on proposal "
                         f"{proposal_seq} is seq {board[-1]}", seq=seq)]
    if not board and on is not None:
        later = board_opinions_after(entries, seq, proposal_seq)
        if later:
            return [_finding(case, "decision_not_on_board_opinion", _GATE_ARTICLE,
                             f"决定依据法制审核机构以外录入的审核意见 (seq {on}) 作出, "
                             f"法制审核机构其后出具审核意见 (seq {later[0]})", seq=seq)]
    return []


def board_opinions_after(entries: Sequence[EntryRow], after: int,
                         proposal_seq: int) -> list[int]:
    out = []
    for entry in entries:
        if entry.seq > after and entry.kind == "legal_review":
            content = entry.content()
            if content["proposal_seq"] == proposal_seq and gate.is_board_opinion(content):
                out.append(entry.seq)
    return out


def archive_late(case: CaseState, now: datetime) -> list[dict]:
    """(八) not archived within the period after closing."""
    if not case.archive_due:
        return []
    due = case.archive_due["due"]
    archived = case.archived_at
    day = local_date(archived) if archived else local_date(now)
    if day.isoformat() <= due:
        return []
    return [_finding(case, "archive_late", case.archive_due["basis"],
                     "案卷未在行政执法行为终结之日起规定期限内立卷归档", due=due,
                     at=iso(archived) if archived else None)]


def access_refused(case: CaseState, refused: Sequence[RefusedAccess]) -> list[dict]:
    """(七) attempts to read outside procedure, blocked and recorded."""
    return [_finding(case, "access_refused", "沁源 第三十三条; 周村 第五十七条(七)",
                     f"{row.actor_role} {row.actor_id} ({row.actor_agency}) "
                     f"was refused {row.action}: {row.reason}", at=iso(row.at))
            for row in refused]
