"""The fixity audit: every object read back on a rolling cycle (all of an agency's within the
configured days, the least recently audited first), a fixity event per copy (when, algorithm,
outcome), fixity_failed.v1 for a copy that no longer hashes to its record or is gone, and the
bad copy repaired from the good one (the replica, or the primary for a bad replica)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from services.vault import domain, store
from services.vault.storage import ObjectStore
from services.vault.storage.config import Stores
from services.vault.usecases.common import lock_of
from services.vault.usecases.package import report_unfinished
from shared.errors import NotFound, SanxiangError
from shared.messaging.outbox import OutboxWriter
from shared.persistence import timers
from shared.persistence.db import Db
from shared.trust.actor import Actor

TIMER = "vault.fixity"


def audit_fixity(p: dict, *, actor: Actor, db: Db, stores: Stores, outbox: OutboxWriter,
                 now: datetime, **_: object) -> dict:
    """Audit now: up to `limit` of the agency's objects, least recently audited first."""
    actor.require(agency=p["agency"])
    return {"agency": p["agency"], **audit_agency(p["agency"], p["limit"], db=db,
                                                  stores=stores, outbox=outbox, now=now)}


def audit_tick(*, db: Db, stores: Stores, outbox: OutboxWriter, now: datetime,
               tick_seconds: int) -> dict:
    """One tick of the rolling cycle: for each agency, its share of the cycle; and the case
    packages written and never recorded, reported (package.report_unfinished)."""
    with db.read() as session:
        agencies = store.agencies_stored(session)
        budgets = {a: domain.audit_budget(store.count_stored(session, a),
                                          stores.fixity_cycle_days, tick_seconds)
                   for a in agencies}
    done: dict = {agency: audit_agency(agency, budget, db=db, stores=stores, outbox=outbox,
                                       now=now) for agency, budget in budgets.items()}
    unfinished = report_unfinished(db=db, stores=stores, now=now)
    if unfinished:
        done["unfinished_packages"] = unfinished
    return done


def audit_agency(agency: str, limit: int, *, db: Db, stores: Stores, outbox: OutboxWriter,
                 now: datetime) -> dict:
    with db.read() as session:
        due = [dict(r) for r in store.due_for_audit(session, agency, limit)]
    outcomes = timers.each(TIMER, due, lambda obj: audit_one(obj, db=db, stores=stores,
                                                             outbox=outbox, now=now))
    return {"audited": sum(outcomes.values()), "outcomes": outcomes}


def _found(target: ObjectStore, key: str, algorithms: Sequence[str]) -> dict[str, str] | None:
    try:
        return target.digest(key, algorithms)
    except NotFound:
        return None


def audit_one(obj: dict, *, db: Db, stores: Stores, outbox: OutboxWriter,
              now: datetime) -> str:
    """Read the object's copies back, repair a bad one from a good one; the object's outcome."""
    recorded: dict[str, str] = obj["digests"]
    algorithms = tuple(recorded)
    copies = {"primary": stores.primary, "replica": stores.replica}
    found = {name: _found(t, obj["key"], algorithms) for name, t in copies.items()
             if t is not None}
    verdicts = {name: domain.fixity_outcome(recorded, f) for name, f in found.items()}
    good = next((n for n, v in verdicts.items() if v == "pass"), None)
    repaired = {name: _repair(obj, copies, name, good, algorithms, stores)
                for name, v in verdicts.items() if v != "pass"}
    with db.transaction() as session:
        if not timers.claim(session, TIMER, obj["id"]):
            return ""
        for name, verdict in verdicts.items():
            detail = None if verdict == "pass" else {
                "found": (found[name] or {}).get("sha256"), "repaired": repaired[name]}
            store.add_fixity(session, obj["id"], at=now, algorithm="+".join(algorithms),
                             outcome=verdict, copy=name, detail=detail)
            if verdict != "pass":
                _failed(outbox, session, obj, name, verdict, found[name], repaired[name], now)
        outcome = _overall(verdicts, repaired)
        changes: dict = {"last_fixity_at": now, "last_fixity_outcome": outcome}
        if "replica" in verdicts:
            changes["replica"] = "ok" if verdicts["replica"] == "pass" or repaired["replica"] \
                else verdicts["replica"]
        store.save_object(session, obj["id"], **changes)
    return outcome


def _overall(verdicts: dict[str, str], repaired: dict[str, bool]) -> str:
    bad = [n for n, v in verdicts.items() if v != "pass"]
    if not bad:
        return "pass"
    if all(repaired[n] for n in bad):
        return "repaired"
    return "missing" if any(verdicts[n] == "missing" for n in bad) else "fail"


def _repair(obj: dict, copies: dict, bad: str, good: str | None,
            algorithms: Sequence[str], stores: Stores) -> bool:
    """Restore the bad copy from the good one; False where there is none, or it failed."""
    if good is None:
        return False
    source, target = copies[good], copies[bad]
    lock = lock_of(stores, obj["retain_until"], obj["legal_hold"], obj["lock_mode"])
    try:
        with source.open(obj["key"]) as stream:
            if target.exists(obj["key"]) or _recorded(target, obj["key"]):
                target.restore(obj["key"], stream, algorithms=algorithms,
                               expect=obj["digests"], lock=lock)
            else:
                target.put(obj["key"], stream, algorithms=algorithms, expect=obj["digests"],
                           lock=lock)
    except SanxiangError:
        return False
    return True


def _recorded(target: ObjectStore, key: str) -> bool:
    try:
        target.stat(key)
    except NotFound:
        return False
    return True


def _failed(outbox: OutboxWriter, session, obj: dict, copy: str, verdict: str,
            found: dict[str, str] | None, repaired: bool, now: datetime) -> None:
    store.emit(outbox, session, agency=obj["agency"], ruleset=obj["retention"]["ruleset"],
               actor=domain.SYSTEM_ACTOR, event_type="fixity_failed.v1", data={
                   "object_id": obj["id"], "sha256": obj["sha256"], "copy": copy,
                   "outcome": verdict, "algorithm": "sha256",
                   "found": (found or {}).get("sha256"), "repaired": repaired,
                   "at": now.isoformat()})
