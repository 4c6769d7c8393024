"""Redaction joined to a publication's life, on SQLite and PostgreSQL: a natural person's
fields masked by the rule set on drafting, the free text's ID number and mobile open hits,
publishing refused (naming them) until each is resolved, the published text the served one with
exactly the recorded redactions, and that record in the published act's leaf."""
from __future__ import annotations

import json

import pytest

from services.disclosure import models, queries, usecases
from services.disclosure.domain import redaction as rd
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.rulesets.schema import validate_ruleset
from tests.unit.disclosure.support import PUBLISHER, Env, draft_request, issued, rpc

ID = "14043119900101123" + rd.id_check_char("14043119900101123")
FACTS = f"当事人王小明（身份证号{ID}，手机13800138000）未按规定进行安全培训"
PERSON = {"kind": "individual", "name": "王小明", "credit_code": None, "representative": None,
          "id_type": "身份证", "id_number": ID}


def draft(env: Env) -> dict:
    return env.call(usecases.create_draft, "create_draft",
                    draft_request(party=PERSON, facts=FACTS, decision_no="沁能罚〔2025〕31号"),
                    PUBLISHER)


def review(env: Env, pub: dict) -> dict:
    return env.call(usecases.review_publication, "review_publication",
                    {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)


def resolve(env: Env, pub: dict, *resolutions: dict) -> dict:
    return env.call(usecases.resolve_redactions, "resolve_redactions",
                    {"publication_id": pub["id"], "resolutions": list(resolutions)}, PUBLISHER)


def hit_of(pub: dict, kind: str) -> dict:
    return next(h for h in pub["redaction"]["hits"] if h["kind"] == kind)


def test_a_natural_persons_fields_are_masked_and_free_text_hits_open(env_db: Env):
    pub = draft(env_db)
    red = pub["redaction"]
    assert {(f["field"], f["replacement"]) for f in red["fields"]} >= {
        ("credit.party_name", "王某"),
        ("credit.id_number", ID[:6] + "********" + ID[-4:])}
    assert [(h["kind"], h["text"], h["resolution"]) for h in red["hits"]] == [
        ("resident_id", ID, None), ("mobile", "13800138000", None)]
    assert pub["credit"]["party_name"]["value"] == "王小明"   # the draft keeps what was served


def test_publishing_is_refused_naming_each_open_hit(env_db: Env):
    pub = draft(env_db)
    with pytest.raises(DomainRuleViolated) as refused:
        review(env_db, pub)
    assert refused.value.details["rule"] == "redactions_unresolved"
    assert refused.value.details["hits"] == [h["id"] for h in pub["redaction"]["hits"]]
    assert ID in refused.value.message_zh and "13800138000" in refused.value.message_zh
    resolve(env_db, pub, {"hit": hit_of(pub, "resident_id")["id"], "action": "mask"})
    with pytest.raises(DomainRuleViolated) as still:
        review(env_db, pub)
    assert still.value.details["hits"] == [hit_of(pub, "mobile")["id"]]
    assert env_db.rows(models.merkle_leaves) == [] and env_db.events() == []


def test_published_text_is_the_served_one_with_the_recorded_redactions(env_db: Env):
    pub = draft(env_db)
    resolve(env_db, pub, {"hit": hit_of(pub, "resident_id")["id"], "action": "mask"},
            {"hit": hit_of(pub, "mobile")["id"], "action": "keep",
             "reason": "当事人书面同意公开其联系电话"})
    done = review(env_db, pub)
    facts = done["published"]["credit"]["facts"]
    assert ID not in facts and ID[:6] + "********" + ID[-4:] in facts and "13800138000" in facts
    assert done["published"]["credit"]["party_name"] == "王某"
    assert "id_number" not in done["published"]["credit"]   # not public in 双公示
    record = done["redaction"]["record"]
    text = next(t for t in record["texts"].values() if "credit.facts" in t["places"])
    entries = [rd.RedactionEntry(**e) for e in text["entries"]]
    assert rd.verify_redactions(FACTS, facts, entries)
    assert text["kept"] == [{"start": FACTS.index("138"), "end": FACTS.index("138") + 11,
                             "reason": "当事人书面同意公开其联系电话"}]
    leaf = json.loads(env_db.rows(models.merkle_leaves)[0]["leaf"])
    # the number nowhere; its column's mask neither (no public column of 双公示)
    assert ID not in json.dumps(leaf, ensure_ascii=False)
    assert "credit.id_number" not in [f["field"] for f in record["fields"]]
    assert leaf["body"]["redactions"] == record
    assert leaf["body"]["published"]["credit"]["facts"] == facts
    event = env_db.events("decision_published.v1")[0]
    assert ID not in json.dumps(event, ensure_ascii=False)
    got = env_db.call(queries.get_publication, "get_publication", {"publication_id": pub["id"]},
                      PUBLISHER)
    assert got["redaction"]["record"] == record
    assert [h["action"] for h in got["history"]] == ["drafted", "resolved", "published"]


def test_keeping_a_hit_needs_its_reason_and_a_hit_of_the_draft(env_db: Env):
    pub = draft(env_db)
    with pytest.raises(ValidationFailed) as no_reason:
        resolve(env_db, pub, {"hit": hit_of(pub, "mobile")["id"], "action": "keep"})
    assert "resolutions.0.reason" in no_reason.value.details
    with pytest.raises(ValidationFailed) as unknown:
        resolve(env_db, pub, {"hit": "summary.facts:0-3", "action": "mask"})
    assert "resolutions.0.hit" in unknown.value.details
    with pytest.raises(ValidationFailed):
        rpc(env_db, usecases.resolve_redactions, "resolve_redactions",
            {"publication_id": pub["id"],
             "resolutions": [{"hit": hit_of(pub, "mobile")["id"], "action": "mask",
                              "kind": "nothing"}]}, PUBLISHER)
    assert [r["body"]["method"] for r in env_db.log("refused")] == ["resolve_redactions"]
    again = env_db.call(queries.get_publication, "get_publication",
                        {"publication_id": pub["id"]}, PUBLISHER)
    assert all(h["resolution"] is None for h in again["redaction"]["hits"])


def test_a_rule_set_showing_an_id_numbers_birth_date_is_refused_naming_the_path():
    import yaml
    with open("rulesets/base.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    section = data["disclosure"]["redaction"]
    assert rd.RedactionRules.from_mapping(section) == rd.default_rules()
    from shared.rulesets.checks import cross_check
    section["masks"]["id_number"]["head"] = 14
    section["fields"]["natural_person"]["id_number"] = "publish"
    problems = dict(cross_check(data, partial=False))
    assert ("disclosure", "redaction", "masks", "id_number") in problems
    assert ("disclosure", "redaction", "fields", "natural_person", "id_number") in problems
    section["masks"]["id_number"]["keep"] = "everything"
    errors = validate_ruleset(data)
    assert "keep" in errors["disclosure"]["redaction"]["masks"]["id_number"]


def test_a_completion_holding_a_mobile_is_refused_and_written_masked_is_published(env_db: Env):
    first = usecases.on_decision_issued(issued(decision_no="沁能罚〔2025〕21号"), db=env_db.db,
                                        rules=env_db.rules, outbox=env_db.outbox, now=env_db.now)
    pub = env_db.call(queries.get_publication, "get_publication", {"publication_id": first},
                      PUBLISHER)
    assert pub["redaction"] is not None and pub["missing"] == ["case_name"]
    for hit in pub["redaction"]["hits"]:
        resolve(env_db, pub, {"hit": hit["id"], "action": "mask"})
    with pytest.raises(ValidationFailed) as refused:
        env_db.call(usecases.review_publication, "review_publication",
                    {"publication_id": first, "outcome": "publish",
                     "completions": {"case_name": "联系人13800138000未如实记录培训案"}}, PUBLISHER)
    assert "completions.case_name" in refused.value.details
    assert "13800138000" in refused.value.message_zh
    done = env_db.call(usecases.review_publication, "review_publication",
                       {"publication_id": first, "outcome": "publish",
                        "completions": {"case_name": "联系人138****8000未如实记录培训案"}},
                       PUBLISHER)
    assert done["published"]["summary"]["case_name"] == "联系人138****8000未如实记录培训案"
