"""The registers published before enforcement (事前公开) in the service: imported from an agency's
workbook (services.disclosure.spreadsheets) as new versions of the entries that changed —
nothing unless every sheet reads without an error, nothing again for the same workbook — and
the watch that alerts, once per officer and lapse, that a certificate has lapsed. Their reads
(get_register, register_history, officer_qualified, export_register) are in queries."""
from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from services.disclosure import spreadsheets, store
from services.disclosure.domain import registers as reg
from services.disclosure.usecases.common import SYSTEM
from shared.calendar.clock import local_date
from shared.errors import ValidationFailed
from shared.messaging.outbox import OutboxWriter
from shared.persistence import timers
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor

LAPSE_WATCH = "disclosure.watch_lapses"


def _subject(kind: str) -> str:
    """The disclosure log's subject of what is done to a register."""
    return f"register:{kind}"


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
        return store.register_kinds(kinds)
    chosen = store.register_kinds(code for code, entries in found.items() if entries)
    if not chosen:
        raise ValidationFailed(
            "workbook_base64: no sheet of the workbook holds an entry; to empty a register "
            "name it in kinds", message_zh="workbook_base64：Excel文件的各工作表均无数据；"
            "如需清空某一登记表，请在kinds中指明", details={"workbook_base64": ["no entries"]})
    return chosen


def import_register(p: dict, *, actor: Actor, db: Db, now: datetime, outbox: OutboxWriter,
                    rules: Rules, **_: Any) -> dict:
    """The registers of the workbook recorded as new revisions (with the reason given, 000
    《公示办法》第十八条), and — when something changed — register_revised.v1 in the same
    transaction, for the portal."""
    actor.require(agency=p["agency"])
    blob = _workbook(p["workbook_base64"])
    found = spreadsheets.import_workbook(blob)
    chosen = _chosen(found, p.get("kinds"))
    sha = hashlib.sha256(blob).hexdigest()
    why = (p.get("reason"), p.get("reason_text"))
    with db.transaction() as session:
        done = [_revise(session, p["agency"], kind, found[kind.code], sha, actor, now, why)
                for kind in chosen]
        revised = [{k: d[k] for k in ("kind", "title", "revision")} for d in done if d["revised"]]
        if revised:
            store.emit(outbox, session, agency=p["agency"],
                       ruleset=rules.agency(p["agency"]).ruleset.ref, actor=actor,
                       event_type="register_revised.v1",
                       data={"agency": p["agency"], "registers": revised, "reason": why[0],
                             "reason_text": why[1], "at": now.isoformat()})
    return {"agency": p["agency"], "sha256": sha, "registers": done}


def _revise(session: Session, agency: str, kind: reg.RegisterKind,
            entries: tuple[reg.Entry, ...], sha: str, actor: Actor, now: datetime,
            why: tuple[str | None, str | None] = (None, None)) -> dict:
    latest = store.lock_register(session, agency, kind.code, now)
    history = [v for _, v in store.versions(session, agency, kind.code)]
    change = reg.diff(kind, reg.current(history), entries)
    made = reg.revise(kind, history, entries, at=now, by=actor.id)
    counts = {"added": len(change.added), "changed": len(change.changed),
              "removed": len(change.removed)}
    if made:
        latest += 1
        store.add_revision(session, agency, kind.code, latest, made, sha, now, actor.id, counts,
                           *why)
        store.log(session, _subject(kind.code), actor, "register_revised",
                  {"agency": agency, "kind": kind.code, "revision": latest, "sha256": sha,
                   "reason": why[0], "reason_text": why[1], **counts}, now)
    return {"kind": kind.code, "title": kind.title, "revision": latest, "revised": bool(made),
            "entries": len(entries), **counts}


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
        for version in store.standing(
                (v for _, v in store.versions(session, agency, "officers")), None):
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
