"""What the vault's package tests build with: a closed case's archive_due.v1 and the record
keeper's answers for it (a real hash chain of its entries, a checkpoint signed with an Ed25519
key, archive_case once per idempotency key) as a plain object the use case calls, the documents
and AV the vault holds for the case, and the packages and objects the vault then holds."""
from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from contracts.records import CONTRACT as RECORDS
from services.vault import models, usecases
from services.vault.domain import package as rules
from services.vault.usecases import package_bag
from shared.contracts.registry import envelope
from shared.errors import DomainRuleViolated, Unavailable
from shared.trust.keys import key_id
from shared.trust.signatures import sign
from tests.agencies import QINYUAN
from tests.unit.vault.support import RULES, Env, event_key

CASE_ID = "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"
CASE_NO = "沁能立〔2025〕12号"
ENTRIES = 30
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(4000)
PDF = b"%PDF-1.7\n" + b"1 0 obj <<>> endobj\n" * 50 + b"%%EOF\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document>行政处罚决定书</w:document>")
    return out.getvalue()


class Records:
    """The record keeper's answers for one closed case of ENTRIES entries: a real hash chain, a
    checkpoint signed with an Ed25519 key, archive_case once per idempotency key."""

    def __init__(self, entries: int = ENTRIES, key: Ed25519PrivateKey | None = None):
        self.key = key or Ed25519PrivateKey.generate()
        self.kid = key_id(self.key.public_key())
        self.entries: list[dict] = []
        self.head = rules.GENESIS
        for _ in range(entries):
            self._append("record", "investigation")
        self.calls: list[tuple[str, str | None]] = []
        self.down: set[str] = set()
        self.status = "closed"
        self.answered: dict[str, dict] = {}

    def _append(self, kind: str, stage: str) -> None:
        seq = len(self.entries) + 1
        body = json.dumps({"case_id": CASE_ID, "seq": seq, "kind": kind, "content": {"n": seq}},
                          sort_keys=True, separators=(",", ":"))
        entry_hash = rules.link_hash(self.head, body)
        self.entries.append({"seq": seq, "kind": kind, "stage": stage,
                             "occurred_at": "2025-10-10T02:30:00+00:00",
                             "recorded_at": "2025-10-10T02:31:00+00:00",
                             "actor_id": "officer-1", "actor_role": "officer",
                             "corrects_seq": None, "content": {"n": seq},
                             "hashed_body": body, "prev_hash": self.head,
                             "entry_hash": entry_hash})
        self.head = entry_hash

    def archive_by_hand(self) -> None:
        """An officer archives the case before the vault packages it: its chain moves on."""
        self._append("case_archived", "archive")
        self.status = "archived"

    def keys(self) -> dict:
        return {self.kid: self.key.public_key()}

    def call(self, agency: str, method: str, *, key: str | None = None, **request: Any) -> Any:
        self.calls.append((method, key))
        if method in self.down or "*" in self.down:
            raise Unavailable("the record keeper did not answer", details={"retry": True})
        return getattr(self, method)(key, **request)

    def get_entries(self, key, case_id, from_seq=1, limit=200):
        return self.entries[from_seq - 1:from_seq - 1 + limit]

    def verify_case(self, key, case_id):
        n = len(self.entries)
        return {"case_id": case_id, "ok": True, "failure": None, "entries_checked": n,
                "head_seq": n, "head_hash": self.head, "first_bad": None,
                "chain_head": {"seq": n, "hash": self.head}, "checkpoint": None,
                "checkpoints_checked": 1}

    def checkpoint_case(self, key, case_id):
        statement = json.dumps({"type": rules.CHECKPOINT_TYPE, "case_id": case_id,
                                "seq": len(self.entries), "head_hash": self.head,
                                "signed_at": "2025-11-21T02:00:00+00:00"}, sort_keys=True,
                               separators=(",", ":"))
        return {"case_id": case_id, "seq": len(self.entries), "head_hash": self.head,
                "signed_at": "2025-11-21T02:00:00+00:00", "key_id": self.kid,
                "signature": base64.b64encode(self.key.sign(statement.encode())).decode(),
                "statement": statement, "public_key": "(not trusted)"}

    def archive_case(self, key, case_id, archived_at, archive_no, location):
        if key in self.answered:
            return self.answered[key]
        if self.status != "closed":
            raise DomainRuleViolated("only a closed case is archived", code="case_not_closed")
        self.status = "archived"
        self.answered[key] = {"case_id": case_id, "seq": len(self.entries) + 1}
        return self.answered[key]

    def get_case(self, key, case_id):
        return {"id": case_id, "status": self.status, "head_seq": len(self.entries),
                "head_hash": self.head}


def archive_due(env: Env, records: Records, av_sha: str | None = None, **changes) -> dict:
    data = {**RECORDS.event("archive_due.v1").example, "case_id": CASE_ID, "case_no": CASE_NO,
            "head_seq": len(records.entries), "head_hash": records.head,
            "entries": len(records.entries), **changes}
    data["av_objects"] = [dict(data["av_objects"][0], sha256=av_sha)] if av_sha else []
    body = envelope(RECORDS, "archive_due.v1", data, agency=QINYUAN,
                    actor={"id": "officer-qy-007", "role": "officer"},
                    ruleset=RULES.agency(QINYUAN).ruleset.ref)
    sign(body, event_key("records"))
    return body


def hold_documents(env: Env) -> dict:
    """Three rendered documents and the AV the vault holds for the case."""
    for name, body, media in (("行政处罚决定书.docx", docx(), "application/vnd.openxmlformats-"
                               "officedocument.wordprocessingml.document"),
                              ("行政处罚决定书.pdf", PDF, "application/pdf"),
                              ("现场检查笔录.pdf", PDF + b"%2", "application/pdf")):
        env.ingest(body, subject="case_file", name=name, media_type=media, case_id=CASE_ID)
    return env.ingest(MP4, subject="av", name="执法记录仪.mp4", case_id=CASE_ID,
                      facts=["penalty_evidence"])


def archive(env: Env, records: Records, body: dict, av_mode: str = "reference") -> str | None:
    return usecases.on_archive_due(body, db=env.db, rules=env.rules, stores=env.stores,
                                   outbox=env.outbox, records=records,
                                   checkpoint_keys=records.keys(), av_mode=av_mode,
                                   now=env.now)


def stored_packages(env: Env) -> list[dict]:
    with env.db.read() as s:
        return [dict(r) for r in s.execute(select(models.packages)).mappings()]


def stored_objects(env: Env) -> list[dict]:
    with env.db.read() as s:
        return [dict(r) for r in s.execute(select(models.objects)).mappings()]


def unpack_bag(env: Env, obj: dict, into: Path) -> Path:
    return package_bag.from_tar(env.stores.primary, obj["key"], into)


def stored_object(env: Env, object_id: str) -> dict:
    return next(o for o in stored_objects(env) if o["id"] == object_id)
