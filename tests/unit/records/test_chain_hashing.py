"""The hash chain as pure rules: the canonical form, and a chain that verifies, names an edited,
re-hashed or deleted entry at its seq — from texts or from bytes. No database."""
from __future__ import annotations

from services.records.domain import chain


def _chain(bodies):
    rows, prev = [], chain.GENESIS
    for i, body in enumerate(bodies, 1):
        text = chain.canonical(body)
        h = chain.link_hash(prev, text)
        rows.append((i, text, prev, h))
        prev = h
    return rows


def test_canonical_form_is_key_order_free_and_keeps_chinese():
    assert chain.canonical({"b": 1, "a": "案号"}) == '{"a":"案号","b":1}'


def test_intact_chain_verifies():
    rows = _chain([{"n": i} for i in range(5)])
    assert chain.verify_chain(rows, note_seq=3) == (5, None, rows[2][3])


def test_edited_body_is_named_at_its_seq():
    rows = _chain([{"n": i} for i in range(5)])
    seq, body, prev, h = rows[2]
    rows[2] = (seq, body.replace("2", "7"), prev, h)
    checked, bad, _ = chain.verify_chain(rows)
    assert checked == 2
    assert bad is not None and bad.seq == 3 and bad.problem == "content does not match its hash"


def test_rehashed_entry_breaks_the_next_link():
    rows = _chain([{"n": i} for i in range(5)])
    seq, _body, prev, _h = rows[1]
    forged = chain.canonical({"n": 99})
    rows[1] = (seq, forged, prev, chain.link_hash(prev, forged))
    _, bad, _ = chain.verify_chain(rows)
    assert bad is not None and bad.seq == 3 and bad.problem == "previous-hash link broken"


def test_deleted_entry_is_named():
    rows = _chain([{"n": i} for i in range(5)])
    del rows[3]
    _, bad, _ = chain.verify_chain(rows)
    assert bad is not None and bad.seq == 4 and bad.problem == "missing entry"


def test_chain_read_as_bytes_verifies_the_same():
    rows = _chain([{"n": i, "名": "张三"} for i in range(5)])
    as_bytes = [(seq, body.encode(), prev.encode(), h.encode()) for seq, body, prev, h in rows]
    assert chain.verify_chain(as_bytes, note_seq=3) == (5, None, rows[2][3])
    seq, body, prev, h = as_bytes[2]
    as_bytes[2] = (seq, body.replace("张".encode(), "李".encode()), prev, h)
    checked, bad, _ = chain.verify_chain(as_bytes)
    assert checked == 2 and bad is not None
    assert bad.seq == 3 and bad.problem == "content does not match its hash"
    assert bad.found == h.decode() and isinstance(bad.expected, str)
    assert chain.verify_chain([]) == (0, None, None)
