"""A file announced (begin_upload: its digest, size and retention class decided from the rule
set, where to send the bytes), then stored (complete_upload: read back in chunks, its digests
checked, written once under its lock into the store and the replica, object_stored.v1)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.vault import domain, store
from services.vault.storage import Refused, Written, refused
from services.vault.storage.config import Stores
from services.vault.usecases.common import keep_refusal, key_of, lock_of
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor


def begin_upload(p: dict, *, actor: Actor, db: Db, rules: Rules, stores: Stores,
                 now: datetime, **_: object) -> dict:
    actor.require(agency=p["agency"])
    rs = rules.agency(p["agency"]).ruleset
    retention = domain.retention_for(rs, p["subject"], set(p["facts"]), p["term"])
    if "sm3" in domain.digests(rs) and not p["sm3"]:
        raise ValidationFailed(f"{rs.ref} records SM3 beside SHA-256: give the file's sm3",
                               message_zh=f"规则集 {rs.ref} 要求在 SHA-256 之外记录 SM3 摘要："
                               "sm3：必填（retention.digests）",
                               details={"sm3": ["required by the rule set (retention.digests)"]})
    with db.read() as session:
        _not_disposed(store.object_of(session, p["agency"], p["sha256"]))
    upload_id = str(uuid.uuid4())
    expires_at = now + timedelta(seconds=stores.upload_seconds)
    target = stores.primary.upload_target(upload_id, p["size"],
                                          expires_seconds=stores.upload_seconds,
                                          base_url=stores.upload_url)
    with db.transaction() as session:
        store.insert_upload(session, {
            "id": upload_id, "agency": p["agency"], "request": p,
            "retention": retention.to_dict(), "created_at": now, "created_by": actor.id,
            "expires_at": expires_at, "state": "open", "object_id": None})
        store.log(session, upload_id, actor, "upload_begun",
                  {"sha256": p["sha256"], "size": p["size"], "subject": p["subject"]}, now)
    return dict(target, upload_id=upload_id, expires_at=expires_at,
                retention=retention.to_dict())


def _not_disposed(existing: dict | None) -> None:
    """Content the agency disposed of is not taken in again under the same record: its
    disposal record names the digest, and stays the last word on it."""
    if existing is not None and existing["state"] == "disposed":
        raise DomainRuleViolated(
            f"this content ({existing['sha256']}) was stored as object {existing['id']} and "
            "disposed of after its retention",
            message_zh=f"该内容（{existing['sha256']}）曾作为对象 {existing['id']} 存储，"
            "已在保存期限届满后销毁，不得再次存入", details={"object_id": existing["id"],
                                                        "rule": "disposed_content"})


def receive_upload(upload_id: str, stream, *, db: Db, stores: Stores, now: datetime) -> int:
    """The local store's upload endpoint: the bytes of an open upload, streamed into staging
    (at most the size announced). The upload id is the capability, as a presigned URL is."""
    with db.read() as session:
        upload = store.load_upload(session, upload_id)
    if upload["state"] != "open" or upload["expires_at"] < now:
        raise DomainRuleViolated(f"upload {upload_id} is not open",
                                 message_zh=f"上传 {upload_id} 未开放（已完成或已过期）",
                                 details={"upload_id": upload_id, "rule": "upload_closed"})
    return stores.primary.stage(upload_id, stream, limit=upload["request"]["size"])


def complete_upload(p: dict, *, actor: Actor, db: Db, rules: Rules, stores: Stores,
                    outbox: OutboxWriter, now: datetime, **_: object) -> dict:
    with db.read() as session:
        upload = store.load_upload(session, p["upload_id"])
        actor.require(agency=upload["agency"])
        if upload["state"] == "completed":
            return store.view(store.load_object(session, upload["object_id"]))
        existing = store.object_of(session, upload["agency"], upload["request"]["sha256"])
    request, retention = upload["request"], upload["retention"]
    if upload["expires_at"] < now:
        raise DomainRuleViolated(f"upload {p['upload_id']} expired at "
                                 f"{upload['expires_at'].isoformat()}; begin another",
                                 message_zh=f"上传 {p['upload_id']} 已于 "
                                 f"{upload['expires_at'].isoformat()} 过期，请重新发起上传",
                                 details={"upload_id": p["upload_id"], "rule": "upload_expired"})
    _not_disposed(existing)
    if existing is not None:
        return _stored_again(upload, existing, actor=actor, db=db, stores=stores, now=now)
    retain_until = _retention(retention).until(local_date(now))
    algorithms = domain.digests(rules.ruleset(retention["ruleset"]))
    expect = {"sha256": request["sha256"], **({"sm3": request["sm3"]} if request["sm3"] else {})}
    key = key_of(upload["agency"], request["sha256"])
    lock = lock_of(stores, retain_until, request["legal_hold"])
    try:
        written = _commit(stores, p["upload_id"], key, lock, algorithms, expect,
                          size=request["size"])
    except Refused as exc:
        keep_refusal(db, p["upload_id"], actor, "complete_upload", exc, now)
        raise
    replica = _replicate(stores, key, written)
    object_id = str(uuid.uuid4())
    row = {"id": object_id, "agency": upload["agency"], "key": key,
           "subject": request["subject"], "name": request["name"],
           "media_type": request["media_type"], "size": written.size,
           "sha256": request["sha256"], "digests": written.digests,
           "case_id": request["case_id"], "facts": sorted(request["facts"]),
           "retention": retention, "retain_until": retain_until, "lock_mode": lock.mode,
           "legal_hold": lock.legal_hold, "state": "stored", "store": stores.primary.where,
           "replica": replica, "stored_at": now, "stored_by": actor.id,
           "last_fixity_at": None, "last_fixity_outcome": None}
    with db.transaction() as session:
        again = store.load_upload(session, p["upload_id"], lock=True)
        if again["state"] == "completed":
            return store.view(store.load_object(session, again["object_id"]))
        store.insert_object(session, row)
        store.complete_upload(session, p["upload_id"], object_id)
        store.log(session, object_id, actor, "stored",
                  {"upload_id": p["upload_id"], "key": key, "digests": written.digests,
                   "retention": retention, "retain_until": _day(retain_until)}, now)
        store.emit(outbox, session, agency=upload["agency"], ruleset=retention["ruleset"],
                   actor=actor, event_type="object_stored.v1", data=_stored_event(row))
    return store.view(row)


def _commit(stores: Stores, upload_id: str, key: str, lock, algorithms, expect: dict,
            *, size: int) -> Written:
    """The staged bytes into the store — or, where an earlier attempt of this call stored
    them already (a redelivery), what it stored, its digests checked against the upload's.
    With a replica, the staged bytes are read once: hashed as they are copied into the
    replica (which keeps nothing that does not match), then placed in the store."""
    primary = stores.primary
    staged = primary.staged_size(upload_id)
    if staged is None and primary.exists(key):
        written = primary.stat(key)
        if any(written.digests.get(a) != d for a, d in expect.items()):
            raise refused("digest_mismatch", f"{key} holds other content", key,
                          message_zh=f"{key} 存有其他内容（摘要与本次上传不符）")
        return written
    if staged is None:
        raise DomainRuleViolated(f"nothing was uploaded for {upload_id}",
                                 message_zh=f"上传 {upload_id} 未收到任何内容",
                                 details={"upload_id": upload_id, "rule": "nothing_uploaded"})
    if staged != size:
        primary.discard_staged(upload_id)
        raise refused("size_mismatch", f"the upload is not the {size} bytes announced", key,
                      message_zh=f"上传的内容不是声明的 {size} 字节")
    verified = None
    if stores.replica is not None and not stores.replica.exists(key):
        try:
            with primary.open_staged(upload_id) as stream:
                verified = stores.replica.put(key, stream, lock=lock, algorithms=algorithms,
                                              expect=expect).digests
        except Refused:
            primary.discard_staged(upload_id)
            raise
    return primary.commit_staged(upload_id, key, lock=lock, algorithms=algorithms,
                                 expect=expect, verified=verified)


def _replicate(stores: Stores, key: str, written: Written) -> str | None:
    """The same bytes, lock and digests into the replica (off-site backup, 000 第三十二条)."""
    if stores.replica is None:
        return None
    if not stores.replica.exists(key):
        with stores.primary.open(key) as stream:
            stores.replica.put(key, stream, lock=written.lock,
                               algorithms=tuple(written.digests), expect=written.digests)
    return "ok"


def _stored_again(upload: dict, existing: dict, *, actor: Actor, db: Db, stores: Stores,
                  now: datetime) -> dict:
    """The agency stored this content already: the staged copy is dropped, the object's
    retention extended where the new class keeps longer (never shortened)."""
    stores.primary.discard_staged(upload["id"])
    new = upload["retention"]
    new_until = _retention(new).until(local_date(now))
    until = existing["retain_until"]
    changes: dict = {}
    if until is not None and (new_until is None or new_until > until):
        lock = lock_of(stores, new_until, existing["legal_hold"], existing["lock_mode"])
        for target in (stores.primary, stores.replica):
            if target is not None:
                target.retain(existing["key"], lock)
        changes = {"retention": new, "retain_until": new_until}
    with db.transaction() as session:
        if changes:
            store.save_object(session, existing["id"], **changes)
        store.complete_upload(session, upload["id"], existing["id"])
        store.log(session, existing["id"], actor, "stored_again",
                  {"upload_id": upload["id"], "retention_extended": bool(changes)}, now)
        return store.view(store.load_object(session, existing["id"]))


def _retention(recorded: dict) -> domain.Retention:
    return domain.Retention(recorded["class"], recorded["label"], recorded["basis"],
                            recorded["ruleset"], recorded["years"], recorded["term"],
                            recorded["term_basis"])


def _day(value) -> str | None:
    return value.isoformat() if value else None


def _stored_event(row: dict) -> dict:
    return {"object_id": row["id"], "subject": row["subject"], "sha256": row["sha256"],
            "digests": row["digests"], "size": row["size"], "name": row["name"],
            "media_type": row["media_type"], "case_id": row["case_id"],
            "retention": row["retention"], "retain_until": _day(row["retain_until"]),
            "legal_hold": row["legal_hold"], "stored_at": row["stored_at"].isoformat()}
