"""Classifying an entry's content as a secret (classify_entry): 国家秘密, 商业秘密 or 个人隐私,
the whole content or named fields of it, by an entry of its own — the chain is append-only,
so what was hashed is never rewritten; a party's view then leaves the content out (000
第三十三、三十四、三十九条; queries.get_entries)."""
from __future__ import annotations

import json
from datetime import datetime

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
        named = p.get("content_fields")
        if named:
            content = json.loads(target.body)["content"]
            unknown = {f"content_fields.{i}": [
                f"the {target.kind} entry at seq {p['seq']} has no content field {name!r}"]
                for i, name in enumerate(named) if name not in content}
            if unknown:
                raise ValidationFailed.from_messages(unknown)
        entry = chain.prepare(case, kind=personal.CLASSIFICATION, occurred_at=now, actor=actor,
                              now=now, content={
                                  "target_seq": p["seq"], "category": p["category"],
                                  "content_fields": sorted(set(named)) if named else None,
                                  "reason": p["reason"]})
        store.write_appended(outbox, session, case, actor, entry, personal.CLASSIFICATION)
        return store.appended_answer(case, entry)
