"""Public display windows of published penalties (信用修复管理办法, from 2026-04-01): the window
set when a penalty is published (its class chosen at review), the take-down watch that ends a
publication the day after its window (once per publication however many instances tick:
shared.persistence.timers), and the 信用修复 decision that takes it down early once the class's
minimum has passed. Both take-downs are public acts, leaves of the agency's Merkle log."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from services.disclosure import store
from services.disclosure.domain import log as merkle_log
from services.disclosure.domain import publication as rules_of
from services.disclosure.domain import windows
from services.disclosure.usecases.common import SYSTEM, begin, public_act
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.messaging.outbox import OutboxWriter
from shared.persistence import timers
from shared.persistence.db import Db
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor

WINDOW_WATCH = "disclosure.watch_windows"
BATCH = 200


def at_publishing(rs: RuleSet, pub: dict, code: str | None) -> dict[str, Any]:
    """The columns a publication gets when it is published: its display window and the window's
    end day (none for an act or a decision date the rule set gives no window)."""
    chosen = windows.display_class(rs, pub["act_type"], pub["decision_date"], code)
    if chosen is None:
        return {}
    win = windows.window(chosen, pub["decision_date"])
    return {"display_window": win.as_record(), "display_until": win.ends}


# ---- the take-down watch -----------------------------------------------------------------------

def check_windows(*, db: Db, outbox: OutboxWriter, log_keys: merkle_log.LogKeys, now: datetime,
                  batch: int = BATCH) -> dict:
    """Takes down every publication whose display window ended before today."""
    today = local_date(now)
    done = timers.each(WINDOW_WATCH, _ended(db, today, batch),
                       lambda row: _expire(row["id"], db=db, outbox=outbox, log_keys=log_keys,
                                           now=now, today=today))
    return {"expired": done.get("expired", 0), "failed": done.get("failed", 0)}


def _ended(db: Db, today: date, batch: int) -> Iterator[dict]:
    after = None
    while True:
        with db.read() as session:
            rows = store.windows_ended(session, today, after, batch)
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1]["id"]


def _expire(publication_id: str, *, db: Db, outbox: OutboxWriter, log_keys: merkle_log.LogKeys,
            now: datetime, today: date) -> str | None:
    with db.transaction() as session:
        if not timers.claim(session, WINDOW_WATCH, publication_id):
            return None      # another instance is taking it down right now
        pub = store.load(session, publication_id, lock=True)
        if pub["state"] != "published" or not windows.expired(pub["display_window"], today):
            return None      # taken down meanwhile (another instance, a repair, a withdrawal)
        state = rules_of.next_state(pub["state"], "expire")
        win = pub["display_window"]
        body = {"decision_no": pub["decision_no"], "class": win["class"], "ends": win["ends"],
                "basis": win["basis"]}
        _taken_down(session, pub, SYSTEM, "expired", body, log_keys, outbox, now,
                    "publication_expired.v1", state=state)
        return "expired"


# ---- 信用修复 ------------------------------------------------------------------------------------

def record_credit_repair(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter,
                         log_keys: merkle_log.LogKeys, now: datetime, **_: Any) -> dict:
    with db.transaction() as session:
        pub = begin(session, p["publication_id"], actor)
        state = rules_of.next_state(pub["state"], "repair")
        win = pub["display_window"]
        if win is None:
            raise DomainRuleViolated(
                "this publication has no display window, so no 信用修复 can end it early "
                "(disclosure.display_windows)",
                message_zh="该公示信息未设定公示期限（非信用修复管理办法所涉失信信息），不适用信用修复撤下",
                details={"field": "publication_id", "rule": "display_window"})
        _not_ahead(p["decided_on"], local_date(now))
        windows.repair_allowed(win, p["decided_on"])
        repair = {"reason": p["reason"], "basis": p["basis"],
                  "decided_on": p["decided_on"].isoformat(), "document": p["document"],
                  "by": actor.id, "at": now.isoformat()}
        body = {"decision_no": pub["decision_no"], "class": win["class"], "ends": win["ends"],
                "reason": p["reason"], "basis": p["basis"], "decided_on": repair["decided_on"],
                "document": p["document"]}
        _taken_down(session, pub, actor, "credit_repaired", body, log_keys, outbox, now,
                    "publication_repaired.v1", state=state, credit_repair=repair)
        return store.view(dict(pub, state=state, credit_repair=repair),
                          store.history(session, pub["id"]))


def _not_ahead(decided_on: date, today: date) -> None:
    if decided_on > today:
        raise ValidationFailed(
            f"decided_on: {decided_on} is after today {today}",
            message_zh=f"信用修复决定日期 {decided_on} 晚于今天 {today}",
            details={"decided_on": [f"not after {today}"]})


def _taken_down(session, pub: dict, actor: Actor | dict, action: str, body: dict,
                log_keys: merkle_log.LogKeys, outbox: OutboxWriter, now: datetime,
                event_type: str, **values: Any) -> None:
    """A publication off the portal: the public act, its new state, the log row and event."""
    index, head = public_act(session, pub, actor, action, body, log_keys, now,
                             outbox=outbox)
    store.save(session, pub["id"], history_seq=pub["history_seq"], updated_at=now, **values)
    store.log(session, pub["id"], actor, action, {"ends": body["ends"]}, now)
    store.emit(outbox, session, agency=pub["agency"], ruleset=pub["ruleset"], actor=actor,
               event_type=event_type, data={
                   "publication_id": pub["id"], "decision_no": pub["decision_no"],
                   "display_class": body["class"], "ends": body["ends"], "leaf_index": index,
                   "tree_size": head["size"], "root": head["root"], "at": now.isoformat(),
                   "document": body.get("document")})
