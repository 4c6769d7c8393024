"""The record keeper's signed statements kept write-once, so an insider with rights on the
record keeper's database cannot rewrite or cut short a case unseen (DESIGN.md "Trust between
services"): each case checkpoint (records.checkpoint_signed.v1) and each tree head of an
agency's Merkle log of checkpoints (records.tree_head_signed.v1).

- Keys: the record keeper's checkpoint verification keys are pinned — each key of this
  deployment's configuration (public/checkpoint/records/*.pem) stored write-once as an object
  and recorded the first time the vault sees it, never replaced nor removed (a key dropped from
  the configuration stays pinned: what it signed still counts). A key counts as pinned only
  as its stored object holds it, so a row put into the table by hand pins nothing. A
  statement is verified under the pinned keys alone: one signed by any other key is refused.
- A checkpoint's statement must say what the event says (case, seq, hash) and verify; it is
  stored under the case file's retention class (rule set retention, subject case_file): it is
  part of the case file and kept as long. Another hash for a seq already kept is refused
  (conflict); the same head signed again later (a second checkpoint_case) is kept once, its
  first statement standing (it is a leaf of the log as well).
- A tree head must verify and be consistent (RFC 9162 §2.1.4, shared.trust.merkle) with the
  last one kept for the agency: an inconsistent head is refused. Tree heads are kept
  permanently: the log spans every case of the agency, whatever each case's class, so no head
  may expire while any checkpoint it proves is still kept. Heads handled out of order (the
  vault's workers run side by side) are checked against the last one kept with a proof asked
  of the record keeper (log_consistency, called as the vault itself: a service token for the
  agency, services.vault.dependencies.RecordKeeper) and checked against the two signed
  roots; a record keeper that does not answer is a passing fault, retried. The first head of
  an agency the vault sees is taken as it is (there is nothing before it to hold it to).
- A refusal is logged (vault_log), raised as an alert (anchor_refused.v1) in the same
  transaction, and the event dead-lettered with the reason; nothing is stored.
- Once per event: the inbox; a redelivered event stores nothing twice (the object is content
  addressed, the row unique per case seq / agency size).

The disclosure publisher's tree heads (disclosure.tree_head_signed.v1, its agency log of public
acts) are kept by the same path, generalised over the log's service (`LOGS`): its log key
pinned under its own name (public/checkpoint/disclosure/*.pem), each head verified under its
pinned keys alone, checked consistent with the last head kept of the same log (the proof asked
of the disclosure publisher's consistency_proof), kept permanently, refused alike
(anchor_refused.v1, the reason naming the log)."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.disclosure import CONTRACT as DISCLOSURE
from contracts.records import CONTRACT as RECORDS
from services.vault import domain, store
from services.vault.models import anchored_checkpoints, anchored_tree_heads, inbox, pinned_keys
from services.vault.storage import Refused, Written
from services.vault.storage.config import Stores
from services.vault.usecases.common import key_of, lock_of
from shared.calendar.clock import iso, local_date
from shared.contracts.registry import Contract
from shared.errors import DomainRuleViolated, NotFound
from shared.messaging import consumer
from shared.messaging.outbox import OutboxWriter
from shared.persistence import locks
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust import merkle
from shared.trust.keys import key_id, public_key_pem


class RecordKeeper(Protocol):
    """The service keeping a log, as the vault calls it (services.vault.dependencies
    .RecordsClient): `call(agency, method, **request)` with the vault's token for the agency."""

    def call(self, agency: str, method: str, *, key: str | None = None,
             **request: Any) -> Any:
        ...


@dataclass(frozen=True)
class SignedLog:
    """A service's agency logs whose signed tree heads the vault keeps: the service (whose
    checkpoint keys sign them, pinned under its name), its contract, what its statements say
    they are, and the RPC proving its log consistent between two sizes."""
    source: str
    contract: Contract
    statement_type: str
    consistency_method: str
    name_zh: str


LOGS = {
    "records": SignedLog("records", RECORDS, "sanxiang.records.tree_head.v1", "log_consistency",
                         "记录保管服务"),
    "disclosure": SignedLog("disclosure", DISCLOSURE, "sanxiang.disclosure.tree_head.v1",
                            "consistency_proof", "行政执法公示服务"),
}
SIGNER = "records"
KEEPER = {"id": "vault-anchor", "role": "legal_unit", "name": "存证检查点保管"}
JSON_TYPE = "application/json"
# what a tree head is kept under: for ever (see the module's docstring)
TREE_HEAD_RETENTION = {"class": "merkle_tree_head", "label": "永久（记录日志签名树头）",
                       "basis": "a tree head proves every checkpoint of the agency's log, "
                                "whatever each case's retention: kept permanently",
                       "years": None, "permanent": True, "term": None, "term_basis": None}


# ---- pinned keys ----------------------------------------------------------------------------

def pin_keys(db: Db, stores: Stores, configured: Mapping[str, Ed25519PublicKey],
             now: datetime, signer: str = SIGNER) -> dict[str, Ed25519PublicKey]:
    """The signer's keys pinned, after pinning each configured key not pinned yet (stored
    write-once, then recorded; a key already pinned is never replaced)."""
    with db.read() as session:
        pinned = _pinned(session, stores, signer)
    for kid, public in configured.items():
        if kid in pinned or key_id(public) != kid:
            continue
        pem = public_key_pem(public).encode()
        sha = hashlib.sha256(pem).hexdigest()
        key = f"_pinned/checkpoint/{signer}/{kid}-{sha[:16]}.pem"
        _put_once(stores, key, pem, lock_of(stores, None, False), sha)
        try:
            with db.transaction() as session:
                session.execute(insert(pinned_keys).values(
                    key_id=kid, signer=signer, public_key=pem.decode(), object_key=key,
                    sha256=sha, pinned_at=now))
                store.log(session, kid, KEEPER, "key_pinned",
                          {"signer": signer, "key_id": kid, "sha256": sha}, now)
        except IntegrityError:
            pass  # another instance pinned it a moment ago
    with db.read() as session:
        return _pinned(session, stores, signer)


# (store, key id) of the pinned keys whose stored object this process has read back
_READ_BACK: set[tuple[str, str]] = set()


def _pinned(session: Session, stores: Stores, signer: str) -> dict[str, Ed25519PublicKey]:
    """The pinned keys: each row's key as the write-once object holds it — the PEM hashing to
    the digest recorded, and the stored object to that digest (read back once per process) —
    so a row written into the table by hand pins nothing."""
    out = {}
    for row in session.execute(select(pinned_keys).where(pinned_keys.c.signer == signer)
                               ).mappings():
        pem = row["public_key"].encode()
        if hashlib.sha256(pem).hexdigest() != row["sha256"] \
                or not _stored_as(stores, row["object_key"], row["sha256"]):
            continue
        public = load_pem_public_key(pem)
        if isinstance(public, Ed25519PublicKey) and key_id(public) == row["key_id"]:
            out[row["key_id"]] = public
    return out


def _stored_as(stores: Stores, key: str, sha: str) -> bool:
    seen = (stores.primary.where, key)
    if seen in _READ_BACK:
        return True
    try:
        if stores.primary.digest(key, ("sha256",))["sha256"] != sha:
            return False
    except NotFound:
        return False
    _READ_BACK.add(seen)
    return True


def checkpoint_keys(p: dict, *, db: Db, stores: Stores,
                    configured: Mapping[str, Ed25519PublicKey], now: datetime,
                    **_: object) -> dict:
    """The pinned keys, to be published (pinning any configured key not pinned yet)."""
    pinned = pin_keys(db, stores, configured, now)
    with db.read() as session:
        rows = session.execute(select(pinned_keys).order_by(pinned_keys.c.pinned_at,
                                                            pinned_keys.c.key_id)).mappings()
        return {"keys": [{k: r[k] for k in ("key_id", "signer", "public_key", "sha256",
                                            "pinned_at")} for r in rows if r["key_id"] in pinned]}


# ---- the events -----------------------------------------------------------------------------

def on_checkpoint_signed(body: dict, *, db: Db, rules: Rules, stores: Stores,
                         outbox: OutboxWriter, configured: Mapping[str, Ed25519PublicKey],
                         now: datetime) -> str | None:
    event = consumer.incoming(RECORDS, body)
    agency, data = event["agency"], event["data"]
    with db.read() as session:
        if consumer.already_handled(session, inbox, event["message_id"]):
            return None
        kept = store.kept_checkpoint(session, agency, data["case_id"], data["seq"])
    refuse = _signed_statement(db, stores, outbox, event, "checkpoint", configured, now, {
        "type": "sanxiang.records.checkpoint.v1", "case_id": data["case_id"],
        "seq": data["seq"], "head_hash": data["head_hash"], "signed_at": data["signed_at"]})
    if kept is not None and kept["head_hash"] != data["head_hash"]:
        refuse("conflict", f"another head hash for seq {data['seq']} of the case is kept "
                           f"(vault object {kept['object_id']})")
    retention = domain.retention_for(rules.ruleset(event["ruleset"]), "case_file", set())
    with consumer.once(db, inbox, RECORDS, body, now) as (session, again):
        if again is not None and kept is None:
            # two events of one head (the timer's checkpoint and a second checkpoint_case)
            # handled side by side, by two workers or two instances: one at a time, the
            # second finding the head kept and keeping it once
            locks.hold(session, "vault.checkpoint", f"{data['case_id']}:{data['seq']}")
            kept = store.kept_checkpoint(session, agency, data["case_id"], data["seq"])
            if kept is not None and kept["head_hash"] != data["head_hash"]:
                refuse("conflict", f"another head hash for seq {data['seq']} of the case is "
                                   f"kept (vault object {kept['object_id']})")
        if again is None or kept is not None:
            return kept["object_id"] if kept else None
        obj = _object(session, stores, agency, data, retention.to_dict(),
                      retention.until(local_date(now)), f"checkpoint-{data['case_id']}-"
                      f"{data['seq']}.json", now)
        session.execute(insert(anchored_checkpoints).values(
            agency=agency, case_id=data["case_id"], seq=data["seq"],
            head_hash=data["head_hash"], leaf_index=data["leaf_index"],
            signed_at=data["signed_at"], key_id=data["key_id"], signature=data["signature"],
            statement=data["statement"], object_id=obj, message_id=event["message_id"],
            stored_at=now))
        store.log(session, obj, KEEPER, "checkpoint_kept",
                  {"case_id": data["case_id"], "seq": data["seq"], "key_id": data["key_id"],
                   "leaf_index": data["leaf_index"]}, now)
        return obj


def on_tree_head_signed(body: dict, *, db: Db, stores: Stores, outbox: OutboxWriter,
                        records: RecordKeeper, configured: Mapping[str, Ed25519PublicKey],
                        now: datetime, source: str = "records") -> str | None:
    """A tree head of the agency's log at `source` (LOGS): `records` the service keeping that
    log as the vault calls it, `configured` its checkpoint keys of this deployment."""
    log = LOGS[source]
    event = consumer.incoming(log.contract, body)
    agency, data = event["agency"], event["data"]
    with db.read() as session:
        if consumer.already_handled(session, inbox, event["message_id"]):
            return None
        last = store.last_tree_head(session, agency, source)
        same = store.tree_head_of_size(session, agency, data["size"], source)
    refuse = _signed_statement(db, stores, outbox, event, "tree_head", configured, now, {
        "type": log.statement_type, "agency": data["agency"], "size": data["size"],
        "root": data["root"], "signed_at": data["signed_at"]}, log)
    if data["agency"] != agency:
        refuse("statement_mismatch", f"the tree head is of agency {data['agency']!r}, the "
                                     f"event of {agency!r}")
    if same is not None and same["root"] != data["root"]:
        refuse("inconsistent", f"a tree head of size {data['size']} is kept with another root "
                               f"(vault object {same['object_id']})")
    if same is None and last is not None:
        _check_consistent(refuse, records, log, agency, last, data)
    with consumer.once(db, inbox, log.contract, body, now) as (session, again):
        if again is None or same is not None:
            return str(same["object_id"]) if same else None  # the same head, again
        obj = _object(session, stores, agency, data, dict(TREE_HEAD_RETENTION,
                      ruleset=event["ruleset"]), None,
                      f"tree-head-{agency}-{data['size']}.json" if source == SIGNER
                      else f"tree-head-{source}-{agency}-{data['size']}.json", now)
        session.execute(insert(anchored_tree_heads).values(
            agency=agency, size=data["size"], root=data["root"], signed_at=data["signed_at"],
            key_id=data["key_id"], signature=data["signature"], statement=data["statement"],
            object_id=obj, message_id=event["message_id"], stored_at=now, source=source))
        store.log(session, obj, KEEPER, "tree_head_kept",
                  {"agency": agency, "size": data["size"], "root": data["root"],
                   **({"source": source} if source != SIGNER else {})}, now)
        return obj


def _signed_statement(db: Db, stores: Stores, outbox: OutboxWriter, event: dict, what: str,
                      configured: Mapping[str, Ed25519PublicKey], now: datetime,
                      says: dict, log: SignedLog = LOGS[SIGNER]) -> Any:
    """refuse(rule, reason) for the event (_refusal), once its statement is found signed under
    a key the vault pinned of the log's service (configured keys pinned first) and saying
    `says` — else refused."""
    keys = pin_keys(db, stores, configured, now, log.source)
    refuse = _refusal(db, outbox, event, what, now, log)
    _check_signed(refuse, event["data"], keys)
    if not _says(event["data"]["statement"], says):
        refuse("statement_mismatch", "the signed statement does not say what the event says")
    return refuse


def _check_signed(refuse: Any, data: dict, keys: Mapping[str, Ed25519PublicKey]) -> None:
    public = keys.get(data["key_id"])
    if public is None:
        refuse("unpinned_key", f"signed by key {data['key_id']}, which the vault has not "
                               "pinned")
        return
    try:
        public.verify(base64.b64decode(data["signature"], validate=True),
                      data["statement"].encode())
    except (InvalidSignature, ValueError):
        refuse("signature_invalid", f"the signature does not hold under pinned key "
                                    f"{data['key_id']}")


def _check_consistent(refuse: Any, records: RecordKeeper, log: SignedLog, agency: str,
                      last: dict, data: dict) -> None:
    """A head of a size not kept yet against the last head kept: the later of the two must
    extend the earlier (RFC 9162 §2.1.4). The event's own proof serves when it starts from the
    head kept last; otherwise — heads handled out of order, or one arriving after a later one
    was kept — the proof between the two is asked of the record keeper; either way it is
    checked against the two signed roots the vault holds, never taken on trust."""
    size, root = int(data["size"]), data["root"]
    previous = data["previous"]
    if size > last["size"] and previous is not None and previous["size"] == last["size"]:
        proof = [bytes.fromhex(h) for h in data["consistency"]]
    else:
        proof = _asked(refuse, records, log, agency, min(size, last["size"]),
                       max(size, last["size"]))
    first, second = sorted(((size, root), (int(last["size"]), last["root"])))
    if not merkle.verify_consistency(first[0], second[0], bytes.fromhex(first[1]),
                                     bytes.fromhex(second[1]), proof):
        refuse("inconsistent", f"the log of {second[0]} leaves does not extend the one of "
                               f"{first[0]} leaves (root {first[1]}); the vault kept the head "
                               f"of {last['size']} leaves last")


def _asked(refuse: Any, records: RecordKeeper, log: SignedLog, agency: str, first: int,
           second: int) -> list[bytes]:
    """The log's keeper's proof between two sizes of its log (the record keeper's
    log_consistency, the disclosure publisher's consistency_proof). A log that no longer
    reaches a size the vault holds a signed head of, or no longer holds the proof's nodes, is
    refused as inconsistent; a keeper that does not answer is a passing fault (Unavailable:
    retried)."""
    try:
        answer = records.call(agency, log.consistency_method, first=first, second=second)
    except DomainRuleViolated as exc:
        refuse("inconsistent", f"the {'record keeper' if log.source == SIGNER else log.source}"
                               f"'s log cannot prove {first} → {second} leaves: {exc.message}")
        return []
    return [bytes.fromhex(h) for h in answer["proof"]]


def _says(statement: str, expected: dict) -> bool:
    try:
        return bool(json.loads(statement) == expected)
    except ValueError:
        return False


def _refusal(db: Db, outbox: OutboxWriter, event: dict, what: str, now: datetime,
             log: SignedLog = LOGS[SIGNER]) -> Any:
    """refuse(rule, reason): logged, alerted (anchor_refused.v1) and raised."""
    data = event["data"]

    def refuse(rule: str, reason: str) -> None:
        alert = {"what": what, "rule": rule, "reason": reason, "case_id": data.get("case_id"),
                 "seq": data.get("seq"), "size": data.get("size"),
                 "key_id": data.get("key_id"), "message_id": event["message_id"],
                 "at": iso(now)}
        exc = DomainRuleViolated(
            f"{log.source}.{event['event_type']} {event['message_id']} refused: {reason}",
            message_zh=f"拒绝存证{log.name_zh}的{'检查点' if what == 'checkpoint' else '签名树头'}"
                       f"（{rule}）：{reason}",
            details={"rule": rule, **{k: v for k, v in alert.items() if k != "reason"}})
        with db.transaction() as session:
            store.log(session, (data.get("case_id") or event["agency"])[:36], KEEPER,
                      "refused", {"action": f"keep_{what}", "code": exc.code, "rule": rule,
                                  "reason": reason, "message_id": event["message_id"]}, now)
            store.emit(outbox, session, agency=event["agency"], ruleset=event["ruleset"],
                       actor=KEEPER, event_type="anchor_refused.v1", data=alert)
        raise exc
    return refuse


def _object(session: Session, stores: Stores, agency: str, data: dict, retention: dict,
            until: Any, name: str, now: datetime) -> str:
    """The statement kept as an object (canonical JSON of the event's data), write-once under
    its retention, in the store and the replica; its `objects` row."""
    body = json.dumps(data, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()
    sha = hashlib.sha256(body).hexdigest()
    found = store.object_of(session, agency, sha)
    if found is not None:
        return str(found["id"])
    key = key_of(agency, sha)
    written = _put_once(stores, key, body, lock_of(stores, until, False), sha)
    object_id = str(uuid.uuid4())
    store.insert_object(session, {
        "id": object_id, "agency": agency, "key": key, "subject": "case_file", "name": name,
        "media_type": JSON_TYPE, "size": written.size, "sha256": sha,
        "digests": written.digests, "case_id": data.get("case_id"), "facts": [],
        "retention": retention, "retain_until": until, "lock_mode": written.lock.mode,
        "legal_hold": False, "state": "stored", "store": stores.primary.where,
        "replica": "ok" if stores.replica else None, "stored_at": now,
        "stored_by": KEEPER["id"], "last_fixity_at": None, "last_fixity_outcome": None})
    return object_id


def _put_once(stores: Stores, key: str, body: bytes, lock: Any, sha: str) -> Written:
    """Written once into the store and the replica; content another handler wrote under the
    key a moment before is taken as it is (the key names its digest)."""
    written = None
    for target in (stores.primary, stores.replica):
        if target is None:
            continue
        try:
            found = target.stat(key) if target.exists(key) else target.put(
                key, io.BytesIO(body), lock=lock, algorithms=("sha256",),
                expect={"sha256": sha})
        except Refused as exc:
            if exc.details.get("rule") != "write_once":
                raise
            found = target.stat(key)
        written = written or found
    assert written is not None
    return written
