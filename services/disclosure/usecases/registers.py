"""The registers published before enforcement (事前公开) in the service: imported from an agency's
workbook (services.disclosure.spreadsheets) as new versions of the entries that changed —
nothing unless every sheet reads without an error, nothing again for the same workbook —
exported as a workbook or CSV, read as they stand or stood on a day with their revisions and
what changed between two, an officer's qualification on a day judged on every version of the
officers register (services.disclosure.domain.registers.qualified_on), and the daily watch
that alerts, once per officer and lapse, that a certificate has lapsed."""
from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.disclosure import spreadsheets, store
from services.disclosure.domain import registers as reg
from services.disclosure.usecases.common import SYSTEM
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.messaging.outbox import OutboxWriter
from shared.persistence import timers
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor

LAPSE_WATCH = "disclosure.watch_lapses"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def _subject(kind: str) -> str:
    """The disclosure log's subject of what is done to a register."""
    return f"register:{kind}"


def _kinds_order(codes: Iterable[str]) -> list[reg.RegisterKind]:
    wanted = set(codes)
    return [k for k in reg.KINDS if k.code in wanted]


# ---- import --------------------------------------------------------------------------------

def _workbook(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            "workbook_base64: must be base64 (RFC 4648)",
            message_zh="workbook_base64：Excel文件内容应为base64编码（RFC 4648）",
            details={"workbook_base64": ["must be base64 (RFC 4648)"]}) from None


def _chosen(found: dict[str, tuple[reg.Entry, ...]], kinds: Sequence[str] | None
            ) -> list[reg.RegisterKind]:
    """The registers an import replaces: those named (each must be a sheet of the workbook),
    or else every sheet holding an entry (an empty sheet of the template leaves its register
    alone; to empty a register, name it)."""
    if kinds:
        absent = [reg.KIND[k] for k in kinds if k not in found]
        if absent:
            raise ValidationFailed(
                "kinds: the workbook has no sheet " + ", ".join(k.title for k in absent),
                message_zh="kinds：Excel文件中没有工作表" + "、".join(f"「{k.title}」"
                                                               for k in absent),
                details={"kinds": [f"{k.code}: no sheet {k.title}" for k in absent]})
        return _kinds_order(kinds)
    chosen = _kinds_order(code for code, entries in found.items() if entries)
    if not chosen:
        raise ValidationFailed(
            "workbook_base64: no sheet of the workbook holds an entry; to empty a register "
            "name it in kinds", message_zh="workbook_base64：Excel文件的各工作表均无数据；"
            "如需清空某一登记表，请在kinds中指明", details={"workbook_base64": ["no entries"]})
    return chosen


def import_register(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    actor.require(agency=p["agency"])
    blob = _workbook(p["workbook_base64"])
    found = spreadsheets.import_workbook(blob)
    chosen = _chosen(found, p.get("kinds"))
    sha = hashlib.sha256(blob).hexdigest()
    with db.transaction() as session:
        done = [_revise(session, p["agency"], kind, found[kind.code], sha, actor, now)
                for kind in chosen]
    return {"agency": p["agency"], "sha256": sha, "registers": done}


def _revise(session: Session, agency: str, kind: reg.RegisterKind,
            entries: tuple[reg.Entry, ...], sha: str, actor: Actor, now: datetime) -> dict:
    latest = store.lock_register(session, agency, kind.code, now)
    history = [v for _, v in store.versions(session, agency, kind.code)]
    change = reg.diff(kind, reg.current(history), entries)
    made = reg.revise(kind, history, entries, at=now, by=actor.id)
    counts = {"added": len(change.added), "changed": len(change.changed),
              "removed": len(change.removed)}
    if made:
        latest += 1
        store.add_revision(session, agency, kind.code, latest, made, sha, now, actor.id, counts)
        store.log(session, _subject(kind.code), actor, "register_revised",
                  {"agency": agency, "kind": kind.code, "revision": latest, "sha256": sha,
                   **counts}, now)
    return {"kind": kind.code, "title": kind.title, "revision": latest, "revised": bool(made),
            "entries": len(entries), **counts}


# ---- reads ---------------------------------------------------------------------------------

def _standing(history: Iterable[reg.Version], on: date | None) -> list[reg.Version]:
    """The latest version of each entry still on the register (as it stood at the end of `on`,
    China time), in the order the entries first came."""
    latest: dict[tuple[str, ...], reg.Version] = {}
    for v in history:
        if on is not None and local_date(v.recorded_at) > on:
            continue
        if v.key not in latest or v.number > latest[v.key].number:
            latest[v.key] = v
    return [v for v in latest.values() if v.entry is not None]


def _kind(code: str) -> reg.RegisterKind:
    return reg.KIND[code]


def get_register(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    actor.require(agency=p["agency"])
    kind, on = _kind(p["kind"]), p.get("on")
    with db.read() as session:
        history = store.versions(session, p["agency"], kind.code)
        revisions = store.revisions(session, p["agency"], kind.code)
    day = on or local_date(now)
    shown = [r for r in revisions if on is None or local_date(r["at"]) <= on]
    standing = _standing((v for _, v in history), on)
    entries = [{"key": list(v.key), "number": v.number, "recorded_at": v.recorded_at,
                "recorded_by": v.recorded_by, "values": store.entry_json(v.entry),
                "public": reg.valid_on(v.entry, day) if isinstance(v.entry, reg.Officer)
                else None} for v in standing if v.entry is not None]
    return {"agency": p["agency"], "kind": kind.code, "title": kind.title, "on": on,
            "revision": shown[-1]["revision"] if shown else 0, "entries": entries,
            "revisions": shown}


def register_history(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    actor.require(agency=p["agency"])
    kind = _kind(p["kind"])
    with db.read() as session:
        latest = store.register_revision(session, p["agency"], kind.code)
        first = p["from_revision"]
        last = latest if p.get("to_revision") is None else p["to_revision"]
        _check_range(first, last, latest)
        history = store.versions(session, p["agency"], kind.code, up_to=last)
        revisions = store.revisions(session, p["agency"], kind.code)
    before = reg.current(v for r, v in history if r <= first)
    change = reg.diff(kind, before, reg.current(v for _, v in history))
    return {"agency": p["agency"], "kind": kind.code, "from_revision": first,
            "to_revision": last,
            "added": [store.entry_json(e) for e in change.added],
            "changed": [{"key": list(reg.key_of(c.after)), "changed_fields": list(c.fields),
                         "headers": list(c.headers), "before": store.entry_json(c.before),
                         "after": store.entry_json(c.after)} for c in change.changed],
            "removed": [store.entry_json(e) for e in change.removed],
            "revisions": [r for r in revisions if first < r["revision"] <= last]}


def _check_range(first: int, last: int, latest: int) -> None:
    if first > last:
        raise ValidationFailed(
            f"from_revision: {first} is beyond to_revision {last}",
            message_zh=f"from_revision（{first}）不得大于 to_revision（{last}）",
            details={"from_revision": [f"at most to_revision ({last})"]})
    if last > latest:
        raise DomainRuleViolated(
            f"the register has {latest} revisions, not {last}", code="no_such_revision",
            message_zh=f"该登记表只有 {latest} 个版本，没有第 {last} 版",
            details={"rule": "no_such_revision", "revision": last, "latest": latest})


def officer_qualified(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    """Was the holder of the certificate qualified to enforce on the day (for the category
    and region, when asked) — on every version of the agency's officers register."""
    actor.require(agency=p["agency"])
    with db.read() as session:
        history = store.versions(session, p["agency"], "officers")
    verdict = reg.qualified_on([v for _, v in history], p["certificate_no"], p["on"],
                               category=p.get("category"), region=p.get("region"))
    officer = verdict.officer
    return {"agency": p["agency"], "certificate_no": verdict.certificate_no, "on": verdict.on,
            "qualified": verdict.qualified, "status": verdict.status, "reason": verdict.reason,
            "reason_zh": verdict.reason_zh,
            "officer": store.entry_json(officer) if officer is not None else None}


# ---- export --------------------------------------------------------------------------------

def export_register(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    actor.require(agency=p["agency"])
    kinds = _kinds_order(p.get("kinds") or [k.code for k in reg.KINDS])
    if p["format"] == "csv" and len(kinds) != 1:
        raise ValidationFailed(
            "kinds: a CSV file holds one register: name exactly one kind",
            message_zh="kinds：CSV文件只能包含一个登记表，请只指定一种登记表",
            details={"kinds": ["exactly one for csv"]})
    on = p.get("on")
    with db.read() as session:
        held = {k.code: [v.entry for v in _standing(
            (v for _, v in store.versions(session, p["agency"], k.code)), on)
            if v.entry is not None] for k in kinds}
    if p["format"] == "csv":
        kind = kinds[0]
        blob, media, name = spreadsheets.export_csv(kind.code, held[kind.code]), CSV, kind.code
    else:
        blob, media, name = spreadsheets.export_workbook(held), XLSX, "registers"
    stamp = (on or local_date(now)).isoformat()
    return {"agency": p["agency"], "format": p["format"], "media_type": media,
            "filename": f"{p['agency']}-{name}-{stamp}.{p['format']}", "size": len(blob),
            "sha256": hashlib.sha256(blob).hexdigest(),
            "content_base64": base64.b64encode(blob).decode("ascii")}


# ---- the lapse watch -----------------------------------------------------------------------

def check_lapses(*, db: Db, outbox: OutboxWriter, rules: Rules, now: datetime) -> dict:
    """Officers whose certificate lapsed since they were put on the register (their last valid
    day passed): officer_lapsed.v1, once per officer and lapse however many instances tick and
    however often — the public register shows them no more from the day after."""
    today = local_date(now)
    with db.read() as session:
        agencies = store.agencies_with(session, "officers")
    alerted = [0]

    def watch(agency: str) -> str | None:
        count = _lapses(agency, db=db, outbox=outbox, rules=rules, now=now, today=today)
        alerted[0] += count
        return "alerted" if count else None
    done = timers.each(LAPSE_WATCH, agencies, watch)
    return {"lapsed": alerted[0], "agencies": done.get("alerted", 0),
            "failed": done.get("failed", 0)}


def _lapses(agency: str, *, db: Db, outbox: OutboxWriter, rules: Rules, now: datetime,
            today: date) -> int:
    served = rules.agencies.get(agency)
    if served is None:
        return 0             # no rule set: not an agency this deployment publishes for
    with db.transaction() as session:
        if not timers.claim(session, LAPSE_WATCH, agency):
            return 0
        noticed = 0
        for version in _standing((v for _, v in store.versions(session, agency, "officers")),
                                 None):
            officer = version.entry
            if not isinstance(officer, reg.Officer) or not reg.lapsed(
                    [officer], local_date(version.recorded_at), today):
                continue
            if not store.mark_lapse(session, agency, officer.certificate_no,
                                    officer.valid_until, today, now):
                continue     # alerted before, by this instance or another
            noticed += 1
            _alert(session, outbox, agency, served.ruleset.ref, officer, today, now)
        return noticed


def _alert(session: Session, outbox: OutboxWriter, agency: str, ruleset: str,
           officer: reg.Officer, today: date, now: datetime) -> None:
    data = {"certificate_no": officer.certificate_no, "name": officer.name,
            "unit": officer.unit, "valid_until": officer.valid_until.isoformat(),
            "noticed_on": today.isoformat(), "categories": list(officer.categories),
            "regions": list(officer.regions)}
    store.log(session, _subject("officers"), SYSTEM, "officer_lapsed", data, now)
    store.emit(outbox, session, agency=agency, ruleset=ruleset, actor=SYSTEM,
               event_type="officer_lapsed.v1", data=data)
