"""What the disclosure publisher's commands share: a refusal the rules make kept on record, the
service as the actor of what it does by itself, a publication loaded for writing after its
agency is judged, and a public act appended to the agency's log and recorded in the
publication's history."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from services.disclosure import store
from services.disclosure.domain import log as merkle_log
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.messaging.outbox import OutboxWriter
from shared.trust.actor import Actor

Refused = Callable[[Actor, str, dict, Exception], None]

# the service itself, as the actor of a draft made from an event and of its clock's notices
SYSTEM = {"id": "disclosure", "role": "service", "name": "行政执法公示"}


def begin(session: Session, publication_id: str, actor: Actor) -> dict:
    """The publication, locked for writing, once the actor may act for its agency: a
    publication of another agency is refused exactly like one that does not exist."""
    pub = store.load(session, publication_id, lock=True)
    actor.require(agency=pub["agency"])
    return pub


def public_act(session: Session, pub: dict, actor: Actor | dict, action: str, body: dict,
               keys: merkle_log.LogKeys, now: datetime, *,
               outbox: OutboxWriter) -> tuple[int, dict[str, Any]]:
    """A public act on `pub`: its history row, which is a leaf of the agency's log (the leaf
    says what the public sees by it) with the tree head signed after it (`logged`)."""
    seq = int(pub["history_seq"]) + 1
    index, head = logged(session, pub["agency"], pub["ruleset"], pub["id"], seq, action, body,
                         actor, keys, now, outbox=outbox)
    store.add_history(session, pub, actor, action, body, now, leaf_index=index)
    return index, head


def logged(session: Session, agency: str, ruleset: str, subject: str, seq: int, action: str,
           body: dict, actor: Actor | dict, keys: merkle_log.LogKeys, now: datetime, *,
           outbox: OutboxWriter) -> tuple[int, dict[str, Any]]:
    """`action` on `subject` (a publication, an annual report) a leaf of the agency's log,
    and the tree head signed after it emitted as tree_head_signed.v1 with the consistency
    proof from the head before, for the vault to keep write-once — in the same transaction."""
    leaf = merkle_log.leaf(agency, subject, seq, action, now, body)
    done = store.append_leaf(session, agency, subject, leaf, keys, now)
    head = done.tree_head
    store.emit(outbox, session, agency=agency, ruleset=ruleset, actor=actor,
               event_type="tree_head_signed.v1", data={
                   "agency": agency, "size": head["size"], "root": head["root"],
                   "signed_at": merkle_log.iso(now), "key_id": head["key_id"],
                   "signature": head["signature"], "statement": head["statement"],
                   "previous": done.previous, "consistency": done.consistency})
    return done.index, head


def recording(method: str, fn: Callable[..., Any], refused: Refused) -> Callable[..., Any]:
    """`fn` whose refusals by the rules (a field the rule set requires, a ground it does not
    have, a state the act is not allowed in) are recorded, in a transaction of their own after
    the use case's has been rolled back, before they reach the caller — beside the refusals the
    RPC's path records itself (the caller, its role, another agency's record)."""
    def run(request: dict, *, actor: Actor, **deps: Any) -> Any:
        try:
            return fn(request, actor=actor, **deps)
        except (ValidationFailed, DomainRuleViolated) as exc:
            refused(actor, method, request, exc)
            raise
    return run
