"""A rendered document stored (store_document): sent by the renderer as itself, its bytes checked
against the SHA-256 and size it names, written once (store and replica) under the rule set's
case-file retention class with the renderer's stamp kept on the object, object_stored.v1
emitted. Content the agency holds already is not stored again: the answer is its object, the
render logged against it. Once per render id and format: the renderer sends that as the call's
idempotency key (shared.persistence.idempotency), so a repeated call answers the first
answer.

An attachment to a request to correct a publication (store_attachment) takes the same path:
sent by the disclosure publisher as itself once its scan passed, checked against its SHA-256 and
size, written once under the case-file retention class (subject `attachment`, no stamp), the
submission it came with logged; once per submission and attachment (the idempotency key)."""
from __future__ import annotations

import base64
import binascii
import hashlib
import io
import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from services.vault import domain, store
from services.vault.storage import Written, refused
from services.vault.storage.config import Stores
from services.vault.usecases.common import keep_refusal, key_of, lock_of
from services.vault.usecases.ingest import _not_disposed, _stored_event
from shared.calendar.clock import local_date
from shared.errors import ValidationFailed
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor

SUBJECT = "document"
ATTACHMENT = "attachment"
STAMP = ("render_id", "format", "template_id", "version", "template_sha256", "data_sha256")


def store_document(p: dict, *, actor: Actor, db: Db, rules: Rules, stores: Stores,
                   outbox: OutboxWriter, now: datetime, **_: object) -> dict:
    subject = f"render:{p['render_id']}:{p['format']}"
    made = {"render_id": p["render_id"], "format": p["format"]}
    stamp = {k: p[k] for k in STAMP}
    return _store(p, SUBJECT, subject, "store_document", made, stamp, actor=actor, db=db,
                  rules=rules, stores=stores, outbox=outbox, now=now)


def store_attachment(p: dict, *, actor: Actor, db: Db, rules: Rules, stores: Stores,
                     outbox: OutboxWriter, now: datetime, **_: object) -> dict:
    subject = p["submission_id"]   # the log's subject is an id (36 characters)
    made = {"submission_id": p["submission_id"], "index": p["index"]}
    return _store(dict(p, case_id=None), ATTACHMENT, subject, "store_attachment", made, None,
                  actor=actor, db=db, rules=rules, stores=stores, outbox=outbox, now=now)


def _store(p: dict, kind: str, subject: str, method: str, made: dict, stamp: dict | None, *,
           actor: Actor, db: Db, rules: Rules, stores: Stores, outbox: OutboxWriter,
           now: datetime) -> dict:
    """The bytes `p` names stored write-once as an object of `kind` (module docstring)."""
    actor.require(agency=p["agency"])
    rs = rules.agency(p["agency"]).ruleset
    blob = _checked(p, subject, method, actor=actor, db=db, now=now)
    with db.read() as session:
        existing = store.object_of(session, p["agency"], p["sha256"])
    _not_disposed(existing)
    if existing is not None:
        return _held(existing, made, stamp, actor=actor, db=db, now=now)
    retention = domain.retention_for(rs, "case_file", set())
    retain_until = retention.until(local_date(now))
    key = key_of(p["agency"], p["sha256"])
    lock = lock_of(stores, retain_until, False)
    written = _put(stores, key, blob, lock, domain.digests(rs), p["sha256"])
    row = {"id": str(uuid.uuid4()), "agency": p["agency"], "key": key, "subject": kind,
           "name": p["name"], "media_type": p["media_type"], "size": written.size,
           "sha256": p["sha256"], "digests": written.digests, "case_id": p["case_id"],
           "facts": [], "retention": retention.to_dict(), "retain_until": retain_until,
           "lock_mode": lock.mode, "legal_hold": False, "state": "stored",
           "store": stores.primary.where, "replica": "ok" if stores.replica else None,
           "stored_at": now, "stored_by": actor.id, "last_fixity_at": None,
           "last_fixity_outcome": None, "stamp": stamp}
    try:
        with db.transaction() as session:
            store.insert_object(session, row)
            store.log(session, row["id"], actor, "stored",
                      {**made, "key": key,
                       "digests": written.digests, "retention": row["retention"],
                       "retain_until": retain_until.isoformat() if retain_until else None},
                      now)
            store.emit(outbox, session, agency=p["agency"], ruleset=rs.ref, actor=actor,
                       event_type="object_stored.v1", data=_stored_event(row))
    except IntegrityError:
        # the same content stored by another call a moment ago: that object stands
        with db.read() as session:
            existing = store.object_of(session, p["agency"], p["sha256"])
        if existing is None:
            raise
        return _held(existing, made, stamp, actor=actor, db=db, now=now)
    return store.view(row)


def _checked(p: dict, subject: str, method: str, *, actor: Actor, db: Db,
             now: datetime) -> bytes:
    """The bytes, decoded and held to the size and SHA-256 the caller names — a mismatch
    refused and kept on record before anything is stored."""
    try:
        blob = base64.b64decode(p["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed.from_messages({"content_base64": ["must be base64 (RFC 4648)"]},
                                             what=method) from None
    if len(blob) != p["size"]:
        exc = refused("size_mismatch", f"the document is {len(blob)} bytes, not the "
                      f"{p['size']} named", subject,
                      message_zh=f"文书实为 {len(blob)} 字节，与声明的 {p['size']} 字节不符")
        keep_refusal(db, subject, actor, method, exc, now)
        raise exc
    found = hashlib.sha256(blob).hexdigest()
    if found != p["sha256"]:
        exc = refused("digest_mismatch", f"the document hashes to {found}, not the SHA-256 "
                      f"{p['sha256']} named: nothing was stored", subject,
                      message_zh=f"文书的 SHA-256 为 {found}，与声明的 {p['sha256']} 不符，"
                                 "未予存储", found=found)
        keep_refusal(db, subject, actor, method, exc, now)
        raise exc
    return blob


def _put(stores: Stores, key: str, blob: bytes, lock, algorithms, sha256: str) -> Written:
    """Write-once into the store and the replica; a copy an earlier attempt left is taken
    as it is (its digests checked by the store)."""
    written = None
    for target in (stores.primary, stores.replica):
        if target is None:
            continue
        found = (target.stat(key) if target.exists(key) else
                 target.put(key, io.BytesIO(blob), lock=lock, algorithms=algorithms,
                            expect={"sha256": sha256}))
        if found.digests.get("sha256") != sha256:
            raise refused("digest_mismatch", f"{key} holds other content", key,
                          message_zh=f"{key} 存有其他内容（摘要与本文书不符）")
        written = written or found
    assert written is not None
    return written


def _held(existing: dict, made: dict, stamp: dict | None, *, actor: Actor, db: Db,
          now: datetime) -> dict:
    """The agency holds this content already: nothing stored twice; what sent it again (the
    render, the submission) is logged against the object."""
    with db.transaction() as session:
        store.log(session, existing["id"], actor, "stored_again",
                  {**made, **({"stamp": stamp} if stamp is not None else {})}, now)
    return store.view(existing)
