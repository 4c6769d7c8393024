"""Findings: every violation the recorded data shows, so a supervisor can see each item of
004 第五十七条 that concerns records — (五) not recorded, (六) altered, (七) released outside
procedure, (八) not archived, (九)(十三) a decision issued around the review board's
opinion — plus the periods of the case's rule set, mandatory AV act by act, enforcement
without a 催告 and a complaint's source not told the result. Each finding cites the article of
the rule set the case was judged under (`article`).

Pure: the case, its entries, its AV records and its refused reads come in as value types
(read by the store); `case_findings` answers the findings in a fixed order."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.records.domain import chain, gate, officers, stages
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
    start_mode: str | None = None            # the records contract's start_mode

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
    """An AV record's metadata (the av_records row) and when it recorded (its entry's
    started_at and ended_at): the acts it can cover are those of that time (av_missing)."""
    seq: int
    late: bool
    storage_due: dict
    stored_at: datetime
    situations: Sequence[str] = field(default_factory=tuple)
    started_at: datetime | None = None
    ended_at: datetime | None = None

    def spans(self, at: datetime) -> bool:
        """The recording ran while the act happened."""
        return (self.started_at is not None and self.ended_at is not None
                and utc(self.started_at) <= utc(at) <= utc(self.ended_at))

    def on_day_of(self, at: datetime) -> bool:
        """The recording ran on the act's day (China Standard Time)."""
        if self.started_at is None or self.ended_at is None:
            return False
        return local_date(self.started_at) <= local_date(at) <= local_date(self.ended_at)


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


def article(rs: RuleSet, code: str, own: str | None = None) -> str:
    """The article finding `code` is judged under in the case's rule set: the basis of the rule
    it applied (`own`: the period's, the AV situation's, the release rule's…) and the article
    the rule set's `findings` section names for the code, each where there is one — an
    agency's own, or base's where its seeds are silent; never another agency's."""
    return "; ".join(part for part in (own, rs.finding_article(code)) if part)


def _finding(case: CaseState, code: str, article: str, message: str, *, seq: int | None = None,
             due: str | None = None, at: str | None = None) -> dict:
    return {"code": code, "article": article, "case_id": case.id, "case_no": case.case_no,
            "seq": seq, "message": message, "due": due, "at": at}


def case_findings(case: CaseState, entries: Iterable[EntryRow], avs: Sequence[AvRecord],
                  refused: Sequence[RefusedAccess], rs: RuleSet, now: datetime,
                  check: officers.Check | None = None) -> list[dict]:
    """Every finding of one case, in this order: altered, emergency approval, AV stored late,
    AV missing, releases, execution without a reminder, records missing, the source not told,
    the gate, archiving, refused reads, and — where `check` asks the officers register — the
    officers the records name (domain.officers).

    `entries` (in seq order) are read once, as they come: a long chain is folded a chunk at a
    time (ChainFold), never held whole — the rules below see each chunk, and what the rules
    over the whole chain need is kept in a summary that does not grow with the chain."""
    fold = ChainFold(case, rs, avs)
    rows = fold.fed(entries)
    _, bad, _ = chain.verify_chain(rows)
    fold.drain(rows)  # what lies past a break is read still
    out = altered_at(case, rs, bad)
    out += emergency_approval(case, rs, now)
    out += av_storage_late(case, avs)
    out += fold.av_missing
    out += fold.releases
    out += execution_unreminded(case, rs, fold.executions, fold.reminded_on)
    out += records_missing(case, rs, fold.kept(), fold.record_kinds())
    out += source_not_told(case, rs, fold.record_kinds())
    out += gate_findings(case, rs, fold.kept())
    out += archive_late(case, now)
    out += access_refused(case, rs, refused)
    if check is not None:
        out += officer_findings(case, rs, fold.officers, check)
    return out


def officer_findings(case: CaseState, rs: RuleSet, named: Iterable[officers.Named],
                     check: officers.Check) -> list[dict]:
    """Each officer a record names who was not qualified on its day or not on the register:
    the record (seq, when), the officer and the article; then one officer_unverified for the
    case naming every officer and record the register could not be asked about."""
    judged = officers.judge(named, check)
    out = [dict(_finding(case, f.code, article(rs, f.code), f.message(), seq=f.officer.seq,
                         at=f.officer.occurred_at), officer=f.officer_json())
           for f in judged if f.code != "officer_unverified"]
    left = [f for f in judged if f.code == "officer_unverified"]
    if left:
        out.append(_finding(case, "officer_unverified", article(rs, "officer_unverified"),
                            officers.unverified(left), seq=left[0].officer.seq))
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
        self._av_used: set[tuple[int, str]] = set()  # (AV seq, situation) given to an act
        self.executions: list[Execution] = []  # enforcement acts no 催告 read so far preceded
        self.reminded_on: date | None = None   # the first day a 催告书 was served
        self.officers: list[officers.Named] = []  # each officer a record names, on its day

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
        self.av_missing += av_missing(self.case, self.rs, records, self.avs, self._av_used)
        for record in records:
            if record.content.get("record_type") == "external_release":
                self.releases += release_findings(self.case, self.rs, record.seq,
                                                  record.occurred_at, record.content)
            self._record_types.setdefault(record.content.get("record_type"), record)
            self._execution(record)
            self.officers += officers.named(record.seq, record.occurred_at, record.content)
        for entry in chunk:
            self._stages.setdefault(entry.stage, entry)
            if entry.kind in _GATE_KINDS:
                self._gate.append(entry)

    def _execution(self, record: TextRecord) -> None:
        """Keep the first day a 催告书 was served and each enforcement act it does not yet
        precede (judged once all are read: a 催告书 may be entered after the act it
        preceded)."""
        content = record.content
        kind = content.get("record_type")
        if kind == "reminder":
            served = date.fromisoformat(content["served_on"])
            self.reminded_on = min(self.reminded_on or served, served)
        elif kind in _EXECUTION_WHAT:
            on = (date.fromisoformat(content["applied_on"]) if kind == "court_enforcement"
                  else local_date(datetime.fromisoformat(record.occurred_at)))
            if self.reminded_on is None or self.reminded_on >= on:  # else preceded already
                self.executions.append(Execution(record.seq, kind, on))

    def kept(self) -> list[EntryRow]:
        """The entries kept, in seq order."""
        by_seq = {entry.seq: entry for entry in (*self._stages.values(), *self._gate)}
        return [by_seq[seq] for seq in sorted(by_seq)]

    def record_kinds(self) -> list[TextRecord]:
        """One record of each record type, in seq order."""
        return sorted(self._record_types.values(), key=lambda record: record.seq)


@dataclass(frozen=True)
class Execution:
    """An enforcement act: coercive execution (its day) or an application to the court (the
    day applied)."""
    seq: int
    kind: str
    on: date


_EXECUTION_WHAT = {"coercive_execution": "作出强制执行决定前",
                   "court_enforcement": "申请人民法院强制执行前"}


def execution_unreminded(case: CaseState, rs: RuleSet, executions: Sequence[Execution],
                         reminded_on: date | None) -> list[dict]:
    """A coercive execution or an application to the court for enforcement before any 催告书
    was served (000 第三十条 “经催告…逾期仍不履行”; 004 第四十一条: the 催告书 is served
    before). A 催告 served on the day of the act does not precede it: the party is given a
    time to perform after it. No seed sets that time (行政强制法's ten days are the law's),
    so only the order is judged."""
    return [_finding(case, "execution_without_reminder", article(rs, "execution_without_reminder"),
                     f"{_EXECUTION_WHAT[act.kind]}未制作催告书送达当事人 ({act.on.isoformat()}"
                     + (f"; 催告书 served {reminded_on.isoformat()})" if reminded_on else ")"),
                     seq=act.seq)
            for act in executions if reminded_on is None or reminded_on >= act.on]


def source_not_told(case: CaseState, rs: RuleSet,
                    records: Sequence[TextRecord]) -> list[dict]:
    """A case started from a complaint or a referral closed without the source told of its
    course and result (source_notice), where the rule set's start mode requires it
    (requires notify_result: 004 第三十条第二款 “依法决定启动…应当及时将执法情况、执法结果等
    事项告知案源提供单位或者个人，并记录告知情况”). Judged at closing, when the result is known."""
    if case.status == "open" or case.start_state in stages.NOT_STARTED:
        return []
    mode = next((m for m in rs.section("records")["start_modes"]
                 if m["code"] == case.start_mode), None)
    if mode is None or "notify_result" not in {r["code"] for r in mode.get("requires", ())}:
        return []
    if any(record.content.get("record_type") == "source_notice" for record in records):
        return []
    return [_finding(case, "source_result_not_told", mode["basis"],
                     f"依{mode['label']}启动的案件未记录将执法情况、执法结果告知案源提供人")]


def text_records(entries: Sequence[EntryRow]) -> list[TextRecord]:
    out = []
    for entry in entries:
        if entry.kind == "record":
            body = entry.parsed()
            out.append(TextRecord(entry.seq, body["occurred_at"], body["content"]))
    return out


def altered(case: CaseState, rs: RuleSet, entries: Iterable[EntryRow]) -> list[dict]:
    """(六) altered: the chain must recompute."""
    _, bad, _ = chain.verify_chain((e.seq, e.body, e.prev_hash, e.entry_hash) for e in entries)
    return altered_at(case, rs, bad)


def altered_at(case: CaseState, rs: RuleSet, bad: chain.ChainBreak | None) -> list[dict]:
    """The finding of the chain's first break, if any."""
    if not bad:
        return []
    return [_finding(case, "record_altered", article(rs, "record_altered"),
                     f"chain broken at seq {bad.seq}: {bad.problem}", seq=bad.seq)]


def emergency_approval(case: CaseState, rs: RuleSet, now: datetime) -> list[dict]:
    """An emergency start approved late or not at all (沁源 第十二条: within 24 hours); the
    article is the emergency start's basis in the rule set."""
    out = []
    if case.emergency_due:
        due = datetime.fromisoformat(case.emergency_due["due"])
        approved = case.emergency_approved_at
        if (approved and utc(approved) > due) or (not approved and now > due):
            out.append(_finding(case, "emergency_approval_late",
                                article(rs, "emergency_approval_late",
                                        case.emergency_due["basis"]),
                                "紧急先行启动未在期限内补办审批手续", due=iso(due),
                                at=iso(approved) if approved else None))
    if case.start_state == "pending_approval" and case.status != "open":
        out.append(_finding(case, "emergency_approval_missing",
                            article(rs, "emergency_approval_missing", _emergency_basis(rs)),
                            "紧急先行启动的案件结案时仍未补办立案审批手续"))
    return out


def _emergency_basis(rs: RuleSet) -> str | None:
    for mode in rs.section("records")["start_modes"]:
        if mode["code"] == "ex_officio" and mode.get("emergency_start"):
            return str(mode["emergency_start"]["basis"])
    return None


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
               avs: Sequence[AvRecord], used: set[tuple[int, str]] | None = None) -> list[dict]:
    """(五) an act for which the rule set makes AV mandatory, without an AV record of its own.

    Each act is judged by itself, by its record and its time (000 第十七条, 002 第十条,
    004 第二十五条 name acts, not cases): an AV record covers an act of a situation it
    recorded (a service's, also one of "service") when it was recording at the act's time —
    it then covers every act of that time — or, failing that, when it recorded on the act's
    day (China Standard Time), and then it covers one act of that situation only: the first,
    in seq order, that no recording spans. A recording of another day covers nothing, so an
    AV record of 10-01 does not cover a 查封 of 10-20, nor a second inspection days later.
    `used` keeps which (AV record, situation) went to an act across the chunks of a chain."""
    used = set() if used is None else used
    out = []
    for seq, at, code, info in av_required(rs, records):
        if not _av_covers(avs, used, code, at):
            out.append(_finding(case, "av_missing", info.get("basis", ""),
                                f"应当进行音像记录而未记录: {info.get('label', code)}", seq=seq))
    return out


def _av_covers(avs: Sequence[AvRecord], used: set[tuple[int, str]], code: str,
               occurred_at: str) -> bool:
    at = datetime.fromisoformat(occurred_at)
    recorded = [av for av in avs if code in av.situations
                or (code in _SERVICE_CODES and "service" in av.situations)]
    if any(av.spans(at) for av in recorded):
        return True
    for av in recorded:
        if av.on_day_of(at) and (av.seq, code) not in used:
            used.add((av.seq, code))
            return True
    return False


def av_required(rs: RuleSet,
                records: Sequence[TextRecord]) -> Iterator[tuple[int, str, str, dict]]:
    """(seq, occurred_at, situation, rule) for each situation of each record that the rule set
    makes AV mandatory: the situations declared with the record and those its content shows
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
            yield record.seq, record.occurred_at, code, required[code]


_RELEASE_APPROVER = {"approval": None, "head_approval": "agency_head"}


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
        out += _release_unapproved(case, _RELEASE_APPROVER[rule["value"]],
                                   article(rs, "release_unapproved", rule["basis"]), seq,
                                   released_at, content)
    keep = access.get("officers_may_keep_records")
    recipient = content["recipient"]
    if recipient["kind"] == "officer" and keep and keep["value"] is False:
        out.append(_finding(case, "records_kept_by_officer",
                            article(rs, "records_kept_by_officer", keep["basis"]),
                            "行政执法人员不得自行保存执法记录资料: "
                            f"released to {recipient['name']}",
                            seq=seq))
    return out


def _release_unapproved(case: CaseState, role: str | None, cited: str, seq: int,
                        released_at: str, content: dict) -> list[dict]:
    """A release without the approval the rule set requires (`role`: the approver's, where
    it names one), or approved only after it."""
    approval = content.get("approval")
    who = "行政机关负责人批准" if role else "批准"
    if not approval:
        return [_finding(case, "release_unapproved", cited,
                         f"未经{who}对外提供执法记录 (to {content['recipient']['name']})",
                         seq=seq)]
    if role and approval["approver_role"] != role:
        return [_finding(case, "release_unapproved", cited,
                         f"未经{who}对外提供执法记录: approved by {approval['approved_by']}"
                         f" ({approval['approver_role']})", seq=seq,
                         at=approval["approved_at"])]
    approved = utc(datetime.fromisoformat(approval["approved_at"]))
    released = utc(datetime.fromisoformat(released_at))
    if approved > released:
        return [_finding(case, "release_unapproved", cited,
                         f"对外提供执法记录后才批准 (approved {iso(approved)}, released "
                         f"{iso(released)})", seq=seq, at=iso(approved))]
    return []


def records_missing(case: CaseState, rs: RuleSet, entries: Sequence[EntryRow],
                    records: Sequence[TextRecord]) -> list[dict]:
    """(五) records a stage requires but that are missing."""
    out = []
    record_types = {record.content.get("record_type") for record in records}
    stages_reached = {entry.stage for entry in entries}
    if "decision" in stages_reached and "credentials_shown" not in record_types \
            and case.act_type != "licence":
        out.append(_finding(case, "credentials_not_recorded",
                            article(rs, "credentials_not_recorded"),
                            "调查取证未记录执法人员姓名、证件编号及出示情况"))
    issued = [entry.seq for entry in entries if entry.kind == "decision_issued"]
    if issued and case.act_type == "penalty" and "rights_notice" not in record_types:
        out.append(_finding(case, "rights_notice_missing", article(rs, "rights_notice_missing"),
                            "作出处罚决定前未记录告知当事人陈述、申辩权利", seq=issued[0]))
    if issued and case.status != "open" and "service" not in record_types:
        out.append(_finding(case, "service_not_recorded", article(rs, "service_not_recorded"),
                            "执法决定未记录送达过程", seq=issued[0]))
    return out


def gate_findings(case: CaseState, rs: RuleSet, entries: Sequence[EntryRow]) -> list[dict]:
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
            out += _decision_on_board_opinion(case, rs, entries, reviews, entry.seq, decision)
    return out


def _decision_on_board_opinion(case: CaseState, rs: RuleSet, entries: Sequence[EntryRow],
                               reviews: Sequence[gate.Review], seq: int,
                               decision: dict) -> list[dict]:
    on, proposal_seq = decision.get("legal_review_seq"), decision["proposal_seq"]
    cited = article(rs, "decision_not_on_board_opinion")
    board = [r.seq for r in reviews if r.proposal_seq == proposal_seq and r.board]
    if board and on != board[-1]:
        what = f"seq {on}" if on is not None else "no legal review"
        return [_finding(case, "decision_not_on_board_opinion", cited,
                         f"决定未依据法制审核机构的最后审核意见作出: issued on {what}, "
                         f"the board's last opinion on proposal "
                         f"{proposal_seq} is seq {board[-1]}", seq=seq)]
    if not board and on is not None:
        later = board_opinions_after(entries, seq, proposal_seq)
        if later:
            return [_finding(case, "decision_not_on_board_opinion", cited,
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


def access_refused(case: CaseState, rs: RuleSet, refused: Sequence[RefusedAccess]) -> list[dict]:
    """(七) attempts to read outside procedure, blocked and recorded."""
    return [_finding(case, "access_refused", article(rs, "access_refused"),
                     f"{row.actor_role} {row.actor_id} ({row.actor_agency}) "
                     f"was refused {row.action}: {row.reason}", at=iso(row.at))
            for row in refused]
