"""The vault's reads: an object with its retention, hold and fixity events; the record
keeper's last checkpoint of a case and last tree head of an agency the vault keeps."""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from contracts.vault.messages import MAX_DOCUMENT_BYTES
from services.vault import store
from shared.errors import DomainRuleViolated, NotFound
from shared.persistence.db import Db
from shared.trust.actor import Actor


def get_object(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    with db.read() as session:
        obj = store.load_object(session, p["object_id"])
        actor.require(agency=obj["agency"])
        return store.view(obj, store.fixity_of(session, obj["id"]))


# ---- the record keeper's statements kept (services.vault.usecases.anchors) ------------------

def latest_checkpoint(p: dict, *, actor: Actor, db: Db, **_: object) -> dict:
    """The last checkpoint of the case the vault keeps, with the store holding its object."""
    actor.require(agency=p["agency"])
    with db.read() as session:
        row = store.last_checkpoint(session, p["agency"], p["case_id"])
        if row is None:
            raise NotFound(f"the vault keeps no checkpoint of case {p['case_id']}",
                           message_zh=f"档案存储中没有案件 {p['case_id']} 的签名检查点",
                           details={"case_id": p["case_id"]})
        return dict(row, store=store.load_object(session, row["object_id"])["store"])


def latest_tree_head(p: dict, *, actor: Actor, db: Db, **_: object) -> dict:
    """The last tree head of the agency's log of checkpoints the vault keeps."""
    actor.require(agency=p["agency"])
    with db.read() as session:
        row = store.last_tree_head(session, p["agency"])
        if row is None:
            raise NotFound(f"the vault keeps no tree head of agency {p['agency']}",
                           message_zh=f"档案存储中没有机构 {p['agency']} 的记录日志签名树头",
                           details={"agency": p["agency"]})
        return dict(row, store=store.load_object(session, row["object_id"])["store"])


# ---- a rendered document's bytes (read_document) ----------------------------------------------

def read_document(p: dict, *, actor: Actor, db: Db, stores: Any, **_: object) -> dict:
    """A rendered document's bytes, checked against its SHA-256 as read (a store that gives
    other bytes is refused, never passed on)."""
    with db.read() as session:
        obj = store.load_object(session, p["object_id"])
    actor.require(agency=obj["agency"])
    if not obj.get("stamp") or obj["state"] != "stored" or obj["size"] > MAX_DOCUMENT_BYTES:
        raise DomainRuleViolated(
            f"object {obj['id']} is not a rendered document of at most {MAX_DOCUMENT_BYTES} "
            "bytes", code="not_a_document",
            message_zh=f"对象 {obj['id']} 不是文书生成服务生成的文书，不能读取其内容",
            details={"object_id": obj["id"]})
    with stores.primary.open(obj["key"]) as stream:
        data = stream.read(MAX_DOCUMENT_BYTES + 1)
    if hashlib.sha256(data).hexdigest() != obj["sha256"] or len(data) != obj["size"]:
        raise DomainRuleViolated(
            f"object {obj['id']} read from the store does not match its SHA-256",
            code="digest_mismatch", message_zh=f"对象 {obj['id']} 的内容与其SHA-256不符",
            details={"object_id": obj["id"]})
    return {"id": obj["id"], "agency": obj["agency"], "media_type": obj["media_type"],
            "size": obj["size"], "sha256": obj["sha256"],
            "content_base64": base64.b64encode(data).decode("ascii")}
