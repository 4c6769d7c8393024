"""Signing chain heads: a head on request (checkpoint_case) and, on a timer, every head that
moved since its last checkpoint — only a head whose chain verifies: a signature must never
launder a rewritten chain."""
from __future__ import annotations

import logging
from datetime import datetime

from services.records import store
from services.records.domain import chain
from shared.messaging.outbox import OutboxWriter
from shared.persistence import timers
from shared.persistence.db import Db
from shared.trust.actor import Actor

log = logging.getLogger(__name__)

CHECKPOINT_TIMER = "records.checkpoint_heads"


def checkpoint_case(p: dict, *, actor: Actor, db: Db, signing_key: chain.CheckpointKeys,
                    outbox: OutboxWriter, now: datetime, **_: object) -> dict:
    """Sign the case's head — only a head whose whole chain verifies (from genesis, against
    every earlier checkpoint)."""
    with db.transaction() as session:
        case = store.load_case(session, p["case_id"], lock=True)
        actor.require("officer", "head", "legal_unit", "supervisor", agency=case["agency"])
        verdict = store.verify(session, case, signing_key)
        if verdict.broken is not None:
            raise chain.not_verified(case, verdict.broken)
        return store.sign_head(session, case, signing_key, now, outbox=outbox,
                               actor=actor.ref())


def checkpoint_moved_heads(*, db: Db, signing_key: chain.CheckpointKeys, outbox: OutboxWriter,
                           now: datetime, limit: int = 1000) -> dict:
    """Sign each case head that moved since its latest checkpoint (timer-driven), verifying
    each chain from its last valid checkpoint to the head first. A head that does not verify
    is not signed: it is logged and recorded in checkpoint_refusals, and later ticks pass it
    by until the head moves again.

    Once per head across instances (shared.persistence.timers): each case is claimed in its own
    transaction and judged again there, so a head another instance signed (or refused) a
    moment ago is not signed twice."""
    with db.read() as session:
        moved = store.moved_heads(session, limit)
    done = timers.each(CHECKPOINT_TIMER, moved, lambda case_id: _checkpoint(
        case_id, db=db, signing_key=signing_key, outbox=outbox, now=now))
    return {"signed": done.get("signed", 0), "refused": done.get("refused", 0),
            "failed": done.get("failed", 0)}


def _checkpoint(case_id: str, *, db: Db, signing_key: chain.CheckpointKeys,
                outbox: OutboxWriter, now: datetime) -> str | None:
    with db.transaction() as session:
        if not timers.claim(session, CHECKPOINT_TIMER, case_id):
            return None
        case = store.load_case(session, case_id, lock=True)
        if not store.head_moved(session, case_id):
            store.mark_judged(session, case)  # signed or refused meanwhile
            return None
        bad = store.verify(session, case, signing_key, from_checkpoint=True).broken
        if bad is None:
            store.sign_head(session, case, signing_key, now, outbox=outbox)
            return "signed"
        log.error("checkpoint of case %s (%s) refused: %s at seq %s: %s", case["id"],
                  case["case_no"], bad.failure, bad.seq, bad.problem)
        store.refuse_checkpoint(session, case, bad, now)
        return "refused"
