"""The 四性检测 rules of a package, pure (services.vault.domain.package): a broken link in the
chain, a checkpoint signed by a key the vault did not pin or naming another head, a file missing,
altered or unlisted, a file that does not open in its format, a lock shorter than the class."""
from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.vault.domain import package as rules


def _chain(n: int) -> list[dict]:
    out, prev = [], rules.GENESIS
    for seq in range(1, n + 1):
        body = json.dumps({"seq": seq})
        h = rules.link_hash(prev, body)
        out.append({"seq": seq, "hashed_body": body, "prev_hash": prev, "entry_hash": h})
        prev = h
    return out


def _signed(key: Ed25519PrivateKey, seq: int, head: str) -> dict:
    statement = json.dumps({"type": rules.CHECKPOINT_TYPE, "case_id": "c", "seq": seq,
                            "head_hash": head, "signed_at": "2025-11-21T02:00:00+00:00"})
    return {"key_id": "k1", "statement": statement,
            "signature": base64.b64encode(key.sign(statement.encode())).decode()}


def test_a_chain_whose_entry_was_rewritten_is_named_at_that_seq():
    entries = _chain(5)
    assert all(c.passed for c in rules.chain_checks(entries, 5, entries[-1]["entry_hash"]))
    entries[2]["hashed_body"] = json.dumps({"seq": 99})
    recomputed, head = rules.chain_checks(entries, 5, entries[-1]["entry_hash"])
    assert not recomputed.passed and "entry 3" in recomputed.detail and not head.passed


def test_a_chain_short_of_the_announced_head_fails():
    entries = _chain(5)
    _, head = rules.chain_checks(entries[:4], 5, entries[-1]["entry_hash"])
    assert not head.passed


def test_the_checkpoint_counts_only_under_a_pinned_key_and_for_this_head():
    key = Ed25519PrivateKey.generate()
    pinned = {"k1": key.public_key()}
    checkpoint = _signed(key, 5, "ab" * 32)
    assert rules.checkpoint_check(checkpoint, pinned, "c", 5, "ab" * 32).passed
    assert not rules.checkpoint_check(checkpoint, {}, "c", 5, "ab" * 32).passed
    other = {"k1": Ed25519PrivateKey.generate().public_key()}
    assert not rules.checkpoint_check(checkpoint, other, "c", 5, "ab" * 32).passed
    assert not rules.checkpoint_check(checkpoint, pinned, "c", 6, "ab" * 32).passed
    assert not rules.checkpoint_check(None, pinned, "c", 5, "ab" * 32).passed


def test_a_missing_altered_or_unlisted_file_is_named():
    listed = {"data/a.json": "1", "data/b.json": "2"}
    found = {"data/a.json": "1", "data/b.json": None, "data/c.json": "3"}
    present, unlisted = rules.presence_checks(listed, found)
    assert "data/b.json" in present.detail and not present.passed
    assert "data/c.json" in unlisted.detail and not unlisted.passed
    [digests] = rules.digest_checks(listed, dict(found, **{"data/a.json": "9"}))
    assert not digests.passed and "data/a.json" in digests.detail


def test_each_file_must_open_in_its_format():
    empty_zip = io.BytesIO()
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("other.xml", "<x/>")
    assert rules.opens("data/x.pdf", b"%PDF-1.7").passed
    assert not rules.opens("data/x.pdf", b"<html>").passed
    assert not rules.opens("data/x.docx", b"", empty_zip.getvalue()).passed
    assert not rules.opens("data/x.docx", b"", b"not a zip").passed
    assert not rules.opens("data/x.json", b"", b"{not json").passed
    assert rules.opens("data/x.jsonl", b"", b'{"a":1}\n{"a":2}\n').passed
    assert not rules.opens("data/x.mp4", b"\x00" * 16).passed


def test_a_lock_shorter_than_the_class_fails_security():
    until = datetime(2035, 11, 21, 15, 59, 59, tzinfo=UTC)
    assert rules.lock_check("COMPLIANCE", until, until).passed
    assert not rules.lock_check("COMPLIANCE", until, None).passed          # owed: permanent
    assert rules.lock_check("COMPLIANCE", datetime(2999, 12, 31, tzinfo=UTC), None).passed
    assert not rules.lock_check(None, None, None).passed
    assert not rules.replica_check("ab", None, True).passed
    assert not rules.replica_check("ab", "ab", False).passed


def test_the_index_document_numbers_files_and_dates_those_without_one():
    rows = [{"序号": 1, "题名": "行政处罚决定书.pdf", "日期": "2025-10-10",
             "文件": "data/documents/0a1b-行政处罚决定书.pdf"},
            {"序号": 2, "题名": "", "日期": "", "文件": "data/卷内目录.json"}]
    doc = rules.index_document({"title": "某煤业未如实记录培训案", "case_no": "沁能立〔2025〕12号"},
                               rows, "2025-11-21")
    assert doc["case_number"] == "沁能立〔2025〕12号" and doc["compiled_date"] == "2025-11-21"
    assert [(e["title"], e["date"], e["pages"], e["note"]) for e in doc["entries"]] == [
        ("行政处罚决定书.pdf", "2025-10-10", "1", "documents/0a1b-行政处罚决定书.pdf"),
        ("data/卷内目录.json", "2025-11-21", "2", "卷内目录.json")]


def test_a_bag_without_its_rendered_index_is_noted_not_failed():
    assert rules.index_notes(["data/卷内目录.json", "data/卷内目录.docx"]) == []
    [note] = rules.index_notes(["data/卷内目录.json"], "the renderer is not deployed")
    assert note == {"code": "rendered_index_missing", "detail": "the renderer is not deployed"}
