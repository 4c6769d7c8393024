"""A party's masked view (000 第三十四条) proves its entries' integrity without letting the
party test guesses: the informant's data is in the hashed bodies only as salted commitments.
The attack of the issue is run as an attacker would: fill each masked place with a candidate
name, re-hash, compare. SQLite and PostgreSQL both. Masking itself, as pure rules, too."""
from __future__ import annotations

import hashlib
import json
import unicodedata

from sqlalchemy import text

from services.records import queries
from services.records.domain import chain, personal
from tests.unit.records.support import actor, call, demo_until, insider


def party(case_id: str):
    """The case's party-1, with a token bound to that case."""
    return actor("party", id="citizen-9", party_id="party-1", case_id=case_id)


CANDIDATES = ["张伟", "王秀英", "李娜", "王芳"]  # the true name second, as in the issue


MASK = personal.MASK


def _fill(value, candidate: str):
    if isinstance(value, str):
        return value.replace(MASK, candidate)
    if isinstance(value, list):
        return [_fill(v, candidate) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, candidate) for k, v in value.items()}
    return value


def _iso(value) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _guess_body(entry: dict, case: dict, candidate: str) -> dict:
    """The body an attacker rebuilds from the masked view with `candidate` in every masked
    place: from the hashed body the view gives (commitments replaced by the masked texts
    filled in), or, where it gives none, from the view's fields."""
    content = _fill(entry["content"], candidate)
    if entry.get("hashed_body"):
        body = json.loads(entry["hashed_body"])

        def swap(hashed, plain):
            if isinstance(hashed, dict) and set(hashed) == {"commitment"}:
                return plain
            if isinstance(hashed, dict):
                return {k: swap(v, plain.get(k) if isinstance(plain, dict) else None)
                        for k, v in hashed.items()}
            if isinstance(hashed, list):
                return [swap(v, plain[i] if isinstance(plain, list) and i < len(plain)
                             else None) for i, v in enumerate(hashed)]
            return hashed
        body["content"] = swap(body["content"], content)
        return body
    return {"case_id": case["id"], "seq": entry["seq"], "kind": entry["kind"],
            "stage": entry["stage"], "occurred_at": _iso(entry["occurred_at"]),
            "recorded_at": _iso(entry["recorded_at"]),
            "actor": {"id": entry["actor_id"], "role": entry["actor_role"],
                      "agency": case["agency"]},
            "ruleset": case["ruleset"], "corrects_seq": entry["corrects_seq"],
            "content": content}


def confirmed_by_rehashing(entries: list[dict], case: dict) -> set[str]:
    """Every candidate whose re-hashed body reproduces a masked entry's hash — or whose
    unsalted hash reproduces a commitment."""
    confirmed = set()
    for entry in entries:
        if MASK not in json.dumps(entry["content"], ensure_ascii=False):
            continue
        for candidate in CANDIDATES:
            body = _guess_body(entry, case, candidate)
            if entry["entry_hash"] and chain.link_hash(
                    entry["prev_hash"], chain.canonical(body)) == entry["entry_hash"]:
                confirmed.add(candidate)
            unsalted = hashlib.sha256(json.dumps(candidate, ensure_ascii=False)
                                      .encode()).hexdigest()
            if unsalted in (entry.get("hashed_body") or ""):
                confirmed.add(candidate)
    return confirmed


def verifies(entries: list[dict], head_hash: str) -> bool:
    """What a party can check alone: every hash recomputed from the view, every link."""
    prev = chain.GENESIS
    for entry in entries:
        if entry["prev_hash"] != prev or chain.link_hash(
                prev, entry["hashed_body"]) != entry["entry_hash"]:
            return False
        prev = entry["entry_hash"]
    return prev == head_hash


def test_the_informants_name_cannot_be_confirmed_from_the_masked_view(env_db):
    case_id = demo_until(env_db, "propose_decision")  # the interview names 王秀英
    case = call(env_db, "get_case", {"case_id": case_id}, party(case_id))
    entries = call(env_db, "get_entries", {"case_id": case_id}, party(case_id))
    shown = json.dumps([case, entries], ensure_ascii=False, default=str)
    assert "王秀英" not in shown and "13903561234" not in shown
    assert sum(MASK in json.dumps(e["content"], ensure_ascii=False) for e in entries) == 2
    assert confirmed_by_rehashing(entries, case) == set()
    assert verifies(entries, case["head_hash"])  # … and the view still proves the chain
    staff = call(env_db, "get_entries", {"case_id": case_id}, actor("head"))
    assert "举报人王秀英反映属实" in staff[5]["content"]["summary"]
    assert staff[5]["entry_hash"] == entries[5]["entry_hash"]
    verdict = queries.verify_case({"case_id": case_id}, actor=actor("head"), db=env_db.db,
                                  signing_key=env_db.signing_key, now=env_db.now)
    assert verdict["ok"] and verdict["entries_checked"] == 12


def test_spelling_variants_are_masked_and_sealed(env_db):
    case_id = demo_until(env_db, "record_av")  # seq 1: the case opened
    call(env_db, "advance_stage", {"case_id": case_id, "to_stage": "investigation",
                                   "occurred_at": "2025-10-10T08:30:00+08:00"}, actor())
    written = ("来电人王 秀英（电话139-0356-1234，又记１３９ ０３５６ １２３４），"
               "另称王·秀英")
    call(env_db, "append_record", {
        "case_id": case_id, "record_type": "note", "occurred_at": "2025-10-10T09:00:00+08:00",
        "content": {"title": "来电记录", "summary": written}}, actor())
    entries = call(env_db, "get_entries", {"case_id": case_id}, party(case_id))
    summary = entries[-1]["content"]["summary"]
    assert summary == f"来电人{MASK}（电话{MASK}，又记{MASK}），另称{MASK}"
    folded = unicodedata.normalize("NFKC", json.dumps(entries, ensure_ascii=False,
                                                      default=str))
    assert "秀英" not in folded
    assert "13903561234" not in folded.replace(" ", "").replace("-", "")
    hashed = json.loads(entries[-1]["hashed_body"])
    assert set(hashed["content"]["summary"]) == {"commitment"}
    assert confirmed_by_rehashing(entries, {"id": case_id, "agency": "lingchuan-emergency",
                                            "ruleset": ""}) == set()


def test_an_altered_sealed_text_fails_staff_verification(env_db):
    case_id = demo_until(env_db, "propose_decision")
    with env_db.db.transaction() as s:  # the plain text behind a commitment edited
        if s.bind.dialect.name == "postgresql":
            s.execute(text("ALTER TABLE entries DISABLE TRIGGER entries_append_only"))
        else:
            s.execute(text("DROP TRIGGER entries_no_update"))
        s.execute(text("UPDATE entries SET plain = replace(plain, '王秀英', '王秀兰') "
                       "WHERE case_id = :c AND seq = 6"), {"c": case_id})
    verdict = queries.verify_case({"case_id": case_id}, actor=actor("head"), db=env_db.db,
                                  signing_key=env_db.signing_key, now=env_db.now)
    assert verdict["failure"] == "entry_altered" and verdict["first_bad"]["seq"] == 6
    assert verdict["first_bad"]["problem"] == "personal data does not match its commitment"


def test_a_chain_written_before_commitments_verifies_and_shows_a_party_no_hashes(env_db):
    """Entries without the format marker: hashed as they stand (informant's name included),
    so staff verification passes and a party gets no hash to test guesses against."""
    case_id = demo_until(env_db, "propose_decision")
    with insider(env_db) as s:  # the chain as the previous release wrote it
        rows = s.execute(text("SELECT seq, coalesce(plain, body) FROM entries "
                              "WHERE case_id = :c ORDER BY seq"), {"c": case_id}).all()
        prev = chain.GENESIS
        for seq, body in rows:
            old = json.loads(body)
            del old["format"]
            body = chain.canonical(old)
            h = chain.link_hash(prev, body)
            s.execute(text("UPDATE entries SET body = :b, plain = NULL, openings = NULL, "
                           "prev_hash = :p, entry_hash = :h WHERE case_id = :c AND seq = :s"),
                      {"b": body, "p": prev, "h": h, "c": case_id, "s": seq})
            prev = h
        s.execute(text("UPDATE cases SET head_hash = :h WHERE id = :c"), {"h": prev, "c": case_id})
    verdict = queries.verify_case({"case_id": case_id}, actor=actor("head"), db=env_db.db,
                                  signing_key=env_db.signing_key, now=env_db.now)
    assert verdict["ok"] and verdict["entries_checked"] == 12
    case = call(env_db, "get_case", {"case_id": case_id}, party(case_id))
    entries = call(env_db, "get_entries", {"case_id": case_id}, party(case_id))
    assert case["head_hash"] is None
    assert all(e["entry_hash"] is None and e["hashed_body"] is None for e in entries)
    assert confirmed_by_rehashing(entries, case) == set()
    assert "王秀英" not in json.dumps(entries, ensure_ascii=False, default=str)


def test_masking_catches_spelling_variants():
    _, found = personal.protected_persons([
        {"id": "p1", "role": "informant", "name": "王秀英", "phone": "13903561234",
         "id_number": "14052419800101123X"}])
    masked = personal.mask({"a": "王 秀英、王　秀英、王-秀英", "b": "139 0356 1234／139-0356-1234",
                            "c": "１３９０３５６１２３４", "d": "身份证14052419800101123x",
                            "e": "王秀芳与秀英不是同一人"}, found)
    assert masked == {"a": f"{MASK}、{MASK}、{MASK}", "b": f"{MASK}／{MASK}", "c": MASK,
                      "d": f"身份证{MASK}", "e": "王秀芳与秀英不是同一人"}


def test_a_commitment_is_salted_and_re_derived_from_text_and_salt():
    pattern = personal.detector(("王秀英",))
    body = {"content": {"summary": "举报人王秀英", "other": "无"}}
    sealed, openings = personal.seal(body, pattern, salt=lambda: b"\x01" * 32)
    assert sealed["content"]["other"] == "无" and body["content"]["summary"] == "举报人王秀英"
    assert openings == [[["content", "summary"], "01" * 32]]
    assert sealed["content"]["summary"] == {"commitment": hashlib.sha256(
        b"\x01" * 32 + '"举报人王秀英"'.encode()).hexdigest()}
    assert personal.reseal(body, openings) == sealed
    assert personal.seal(body, pattern)[0] != sealed  # a fresh salt each time


def test_party_view_masks_informants_everywhere():
    persons = [{"id": "p1", "role": "informant", "name": "张三丰", "phone": "13800138000"},
               {"id": "p2", "role": "applicant", "name": "李四"}]
    masked, secrets = personal.protected_persons(persons)
    assert masked[0] == {"id": "p1", "role": "informant", "name": personal.MASK}
    assert masked[1]["name"] == "李四"
    text = {"summary": "举报人张三丰（电话13800138000）反映", "list": ["张三丰"]}
    assert personal.mask(text, secrets) == {
        "summary": f"举报人{personal.MASK}（电话{personal.MASK}）反映", "list": [personal.MASK]}
