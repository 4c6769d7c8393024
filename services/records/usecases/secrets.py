"""Classifying an entry's content as a secret (定密): 国家秘密, 商业秘密 or 个人隐私, the whole
content or named fields of it — later, by classify_entry, or as the record is made
(append_record_v2) — always by an entry of its own: the chain is append-only, so what was
hashed is never rewritten; a party's view then leaves the content out (000 第三十三、三十四、
三十九条; queries.get_entries)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from services.records import store
from services.records.domain import chain, personal
from shared.errors import ValidationFailed
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor


def classify_entry(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                   now: datetime) -> dict:
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        target = store.entry_at(session, case["id"], p["seq"])
        if target.kind == personal.CLASSIFICATION:
            raise ValidationFailed.from_messages({"seq": [
                f"seq {p['seq']} is a classification entry; classify the entry it marks"]})
        entry = mark(outbox, session, case, actor, now, target_seq=p["seq"],
                     kind=target.kind, content=json.loads(target.body)["content"],
                     classification=p, field="content_fields")
        return store.appended_answer(case, entry)


def mark(outbox: OutboxWriter, session: Session, case: dict, actor: Actor, now: datetime, *,
         target_seq: int, kind: str, content: dict, classification: dict,
         field: str) -> chain.Entry:
    """Append the classification entry marking the content of entry `target_seq` (a `kind`
    entry holding `content`) as `classification` says — its category, the content fields
    (None: the whole content), its reason; `field` names the request's content fields in a
    refusal. The case's head moves past it."""
    named = classification.get("content_fields")
    unknown = {f"{field}.{i}": [
        f"the {kind} entry at seq {target_seq} has no content field {name!r}"]
        for i, name in enumerate(named or ()) if name not in content}
    if unknown:
        raise ValidationFailed.from_messages(unknown)
    entry = chain.prepare(case, kind=personal.CLASSIFICATION, occurred_at=now, actor=actor,
                          now=now, content={
                              "target_seq": target_seq, "category": classification["category"],
                              "content_fields": sorted(set(named)) if named else None,
                              "reason": classification["reason"]})
    store.write_appended(outbox, session, case, actor, entry, personal.CLASSIFICATION)
    return entry
