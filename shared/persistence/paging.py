"""Keyset paging for listings that would otherwise walk an agency's whole history in one
call: a page holds at most `limit` items in a stable order, and `next` is an opaque cursor
naming the last item's sort key — the next call starts strictly after it, so its work is
bounded by its own page however long the history (no OFFSET scanning past skipped rows),
and rows added meanwhile never shift a page. `next` is null on the last page."""
from __future__ import annotations

import base64
import binascii
import json

from marshmallow import fields, validate

from shared.errors import ValidationFailed

_CURSOR = r"^[A-Za-z0-9_-]{1,256}$"


def cursor_field(**kw) -> fields.String:
    return fields.String(load_default=None, allow_none=True,
                         validate=validate.Regexp(_CURSOR), metadata={
                             "description": "the `next` of the previous page; absent or null: "
                                            "the first page"}, **kw)


def encode(*key) -> str:
    """The cursor after an item whose sort key is `key` (JSON values)."""
    text = json.dumps(list(key), separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str, arity: int) -> list:
    """The sort key a cursor names, or validation_failed on `cursor` for anything this
    listing did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):
        key = None
    if not (isinstance(key, list) and len(key) == arity
            and all(isinstance(part, str) for part in key)):
        raise ValidationFailed.from_messages(
            {"cursor": ["not a cursor this listing returned"]}, what="cursor")
    return key


def page(rows: list, limit: int, key) -> tuple[list, str | None]:
    """The first `limit` of `rows` (fetched as limit + 1) and the cursor after them, or
    None when nothing follows."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode(*key(rows[-1]))


def log_page(session, log, p: dict, equal: tuple[tuple[str, str], ...]) -> dict:
    """A page of an agency's access log (a table with `id`, `agency` and `at`), newest first,
    by id: `p` holds agency, limit and cursor, `since` / `until` on `at`, and the request keys
    `equal` pairs with columns (column, key) — the one query behind every service's
    access_log RPC (调阅监督)."""
    from sqlalchemy import select
    query = select(log).where(log.c.agency == p["agency"])
    for column, key in equal:
        if p.get(key):
            query = query.where(log.c[column] == p[key])
    if p.get("since"):
        query = query.where(log.c.at >= p["since"])
    if p.get("until"):
        query = query.where(log.c.at < p["until"])
    if p.get("cursor"):
        (after,) = decode(p["cursor"], 1)
        if not str(after).isdigit():
            raise ValidationFailed.from_messages(
                {"cursor": ["not a cursor this listing returned"]}, what="cursor")
        query = query.where(log.c.id < int(after))
    rows = [dict(r) for r in session.execute(
        query.order_by(log.c.id.desc()).limit(p["limit"] + 1)).mappings()]
    rows, after_id = page(rows, p["limit"], lambda r: (str(r["id"]),))
    return {"items": rows, "next": after_id}
