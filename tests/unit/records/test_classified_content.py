"""Content classified as 国家秘密 / 商业秘密 / 个人隐私 is left out of a party's view, which
says what was withheld and why — the category, never the content (000 第三十三条: no record
provided outside legal procedure; 第三十四条: a party reads its records without state
secrets; 第三十九条: secret records kept by the rules of secrecy). The mark is an entry of
its own (classify_entry): nothing hashed is rewritten, and staff still read everything.
SQLite and PostgreSQL both."""
from __future__ import annotations

import json

import pytest

from contracts.records import CONTRACT
from services.records import queries
from shared.contracts.registry import dump
from shared.errors import Forbidden, SanxiangError, ValidationFailed
from tests.unit.records.support import actor, as_service, call, demo_until

SECRET = "井下避难硐室设于-350水平东翼"
TRADE = "吨煤成本287元"


def party(case_id: str):
    return actor("party", id="citizen-9", party_id="party-1", case_id=case_id)


def case_with_notes(env) -> tuple[str, int, int]:
    """The demo case in investigation with two notes: one naming a state secret, one a
    trade secret beside what the party may read."""
    case_id = demo_until(env, "record_av")
    call(env, "advance_stage", {"case_id": case_id, "to_stage": "investigation",
                                "occurred_at": "2025-10-10T08:30:00+08:00"}, actor())
    secret = call(env, "append_record", {
        "case_id": case_id, "record_type": "note", "occurred_at": "2025-10-10T09:00:00+08:00",
        "content": {"title": "现场勘验补充说明", "summary": f"勘验发现{SECRET}，通道畅通"}},
        actor())["seq"]
    trade = call(env, "append_record", {
        "case_id": case_id, "record_type": "note", "occurred_at": "2025-10-10T10:00:00+08:00",
        "content": {"title": "调取财务资料", "summary": f"企业提供成本核算表，{TRADE}"}},
        actor())["seq"]
    return case_id, secret, trade


def classify(env, case_id, seq, category, fields=None, who=None):
    return call(env, "classify_entry", {
        "case_id": case_id, "seq": seq, "category": category, "content_fields": fields,
        "reason": "依定密依据确定"}, who or actor("head"))


def party_entries(env, case_id) -> list[dict]:
    """The party's view, dumped by the contract as the RPC answers it."""
    found = call(env, "get_entries", {"case_id": case_id}, party(case_id))
    return dump(CONTRACT.rpc("get_entries").response, found, many=True)


def test_a_state_secret_is_withheld_from_the_party_and_the_view_says_so(env_db):
    """000 第三十四条: today the party read the state-secret note as written."""
    case_id, seq, _ = case_with_notes(env_db)
    mark = classify(env_db, case_id, seq, "state_secret")
    entries = party_entries(env_db, case_id)
    shown = json.dumps(entries, ensure_ascii=False)
    assert SECRET not in shown and "依定密依据确定" not in shown
    note = entries[seq - 1]
    assert note["content"] == {} and note["hashed_body"] is None
    assert note["withheld"] == [{"category": "state_secret", "label": "国家秘密",
                                 "content_fields": None, "classified_by_seq": mark["seq"],
                                 "basis": "000 第三十三条、第三十四条、第三十九条"}]
    assert note["entry_hash"]  # the entry is still there, and still in the chain
    marker = entries[mark["seq"] - 1]
    assert (marker["kind"], marker["content"]) == ("classification", {
        "target_seq": seq, "category": "state_secret", "content_fields": None})
    # staff read it as written; nothing hashed was rewritten
    staff = call(env_db, "get_entries", {"case_id": case_id}, actor("head"))
    assert SECRET in staff[seq - 1]["content"]["summary"] and "withheld" not in staff[seq - 1]
    assert staff[seq - 1]["entry_hash"] == note["entry_hash"]
    verdict = queries.verify_case({"case_id": case_id}, actor=actor("head"), db=env_db.db,
                                  signing_key=env_db.signing_key, now=env_db.now)
    assert verdict["ok"]


def test_a_classified_field_is_left_out_and_the_rest_of_the_record_is_read(env_db):
    case_id, _, seq = case_with_notes(env_db)
    classify(env_db, case_id, seq, "commercial_secret", ["summary"])
    note = party_entries(env_db, case_id)[seq - 1]
    assert note["content"]["title"] == "调取财务资料" and "summary" not in note["content"]
    assert [(w["category"], w["label"], w["content_fields"]) for w in note["withheld"]] \
        == [("commercial_secret", "商业秘密", ["summary"])]
    assert TRADE not in json.dumps(note, ensure_ascii=False)


def test_a_correction_of_classified_content_is_withheld_as_the_content_is(env_db):
    case_id, seq, _ = case_with_notes(env_db)
    classify(env_db, case_id, seq, "state_secret", ["summary"])
    fixed = call(env_db, "correct_entry", {"case_id": case_id, "seq": seq, "reason": "位置记错",
                                           "content": {"summary": f"{SECRET}以西",
                                                       "title": "现场勘验补充说明（更正）"}},
                 actor())
    correction = party_entries(env_db, case_id)[fixed["seq"] - 1]
    assert SECRET not in json.dumps(correction, ensure_ascii=False)
    assert correction["content"]["content"] == {"title": "现场勘验补充说明（更正）"}
    assert correction["withheld"][0]["category"] == "state_secret"


def test_a_classification_names_an_entry_and_fields_it_has(env_db):
    case_id, seq, _ = case_with_notes(env_db)
    with pytest.raises(ValidationFailed) as err:
        classify(env_db, case_id, seq, "state_secret", ["summary", "secret_plan"])
    assert err.value.details == {"content_fields.1": [
        f"the record entry at seq {seq} has no content field 'secret_plan'"]}
    with pytest.raises(ValidationFailed) as err:
        classify(env_db, case_id, seq, "top_secret")
    assert list(err.value.details) == ["category"]
    with pytest.raises(SanxiangError) as missing:
        classify(env_db, case_id, 999, "state_secret")
    assert missing.value.code == "not_found"
    mark = classify(env_db, case_id, seq, "state_secret")
    with pytest.raises(ValidationFailed) as err:
        classify(env_db, case_id, mark["seq"], "state_secret")
    assert list(err.value.details) == ["seq"]


def test_neither_a_party_nor_another_agency_classifies(env_db):
    case_id, seq, _ = case_with_notes(env_db)
    request = {"case_id": case_id, "seq": seq, "category": "state_secret",
               "reason": "依定密依据确定"}
    with pytest.raises(Forbidden):
        as_service(env_db, "classify_entry", request, party(case_id), lambda p, **_: None)
    with pytest.raises(Forbidden):
        classify(env_db, case_id, seq, "state_secret",
                 who=actor("head", agency="qinyuan-energy"))


def test_a_record_classified_as_it_is_recorded_is_never_shown_to_the_party(env_db):
    case_id, _, _ = case_with_notes(env_db)
    secret = {"category": "state_secret", "content_fields": ["summary"],
              "reason": "依定密依据确定"}
    made = call(env_db, "append_record_v2", {
        "case_id": case_id, "record_type": "note", "occurred_at": "2025-10-10T11:00:00+08:00",
        "content": {"title": "避难硐室核查", "summary": "核查主井绞车房位于+820标高"},
        "classification": secret}, actor())
    entries = party_entries(env_db, case_id)
    assert [e["kind"] for e in entries[made["seq"] - 1:]] == ["record", "classification"]
    note = entries[made["seq"] - 1]
    assert note["content"]["title"] == "避难硐室核查" and "summary" not in note["content"]
    assert note["withheld"][0]["classified_by_seq"] == made["seq"] + 1
    assert "+820标高" not in json.dumps(entries, ensure_ascii=False)
    # a field the record does not have: refused, and neither entry is written
    with pytest.raises(ValidationFailed) as err:
        call(env_db, "append_record_v2", {
            "case_id": case_id, "record_type": "note",
            "occurred_at": "2025-10-10T12:00:00+08:00",
            "content": {"title": "x", "summary": "y"},
            "classification": dict(secret, content_fields=["place"])}, actor())
    assert err.value.details == {"classification.content_fields.0": [
        f"the record entry at seq {made['seq'] + 2} has no content field 'place'"]}
    assert len(call(env_db, "get_entries", {"case_id": case_id}, actor("head"))) \
        == made["seq"] + 1
    # v1 keeps its request: no classification in it
    with pytest.raises(ValidationFailed) as err:
        call(env_db, "append_record", {
            "case_id": case_id, "record_type": "note",
            "occurred_at": "2025-10-10T12:00:00+08:00",
            "content": {"title": "x", "summary": "y"}, "classification": secret}, actor())
    assert err.value.details == {"classification": ["Unknown field."]}
