"""The registers published before enforcement (事前公开) on the public portal (usecases.portal,
portal.registers), on SQLite and PostgreSQL: an import that changes a register emits
register_revised.v1 (with the reason given, 000《公示办法》第十八条) and the service's own
handler writes the agency's register pages — an index, and per register an accessible table,
JSON and CSV — linked from the home page and the agency's page; an officer whose certificate
lapsed is gone from the officers page after officer_lapsed.v1, and no page carries what the
public view leaves out; a rebuild writes the register pages byte for byte as the events did."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.disclosure import models, queries, usecases
from services.disclosure.portal import Portal
from services.disclosure.usecases import portal as portal_usecases
from services.disclosure.usecases import registers as uc
from shared.errors import ValidationFailed
from tests import agencies
from tests.unit.disclosure.support import PUBLISHER, Env, draft_request
from tests.unit.disclosure.test_register_service import (
    ITEM,
    ITEMS,
    LI,
    OFFICERS,
    WANG,
    at,
    call,
    importing,
)

BASE = f"agency/{agencies.QINYUAN}/registers"
# an officer whose certificate is issued only later: not on the public register yet
SUN = ["孙某", "沁源县能源局", None, "科员", "14043100999", "2026-01-01", "2029-12-31", "行政检查",
       "沁源县"]


def deliver(env: Env, portal: Portal) -> list[str]:
    """Every event of the outbox handed to the portal as the service's handlers hand them (one
    handled before writes nothing); the paths written."""
    written: list[str] = []
    for event in env.events():
        if event["event_type"] in portal_usecases.REGISTER_EVENTS:
            done = portal_usecases.on_register_change(event, db=env.db, rules=env.rules,
                                                      portal=portal, now=env.now)
        elif event["event_type"] in portal_usecases.EVENTS:
            done = portal_usecases.on_public_act(event, db=env.db, rules=env.rules,
                                                 portal=portal, now=env.now)
        else:
            continue
        written += done or ()
    return written


def read(root: Path, path: str) -> str:
    return (root / path).read_text(encoding="utf-8")


def every_file(root: Path) -> dict[str, bytes]:
    return {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*"))
            if f.is_file()}


def test_an_import_puts_its_registers_on_the_portal(env_db: Env, tmp_path: Path):
    env_db.now = at("2025-10-20")
    portal = portal_usecases.site(tmp_path)
    importing(env_db, {OFFICERS: [WANG, LI, SUN], ITEMS: [ITEM]})
    [event] = env_db.events("register_revised.v1")
    assert event["agency"] == agencies.QINYUAN
    assert event["data"]["registers"] == [
        {"kind": "officers", "title": "行政执法人员清单", "revision": 1},
        {"kind": "items", "title": "行政执法事项清单", "revision": 1}]
    assert event["data"]["reason"] is None and event["data"]["reason_text"] is None
    written = deliver(env_db, portal)
    assert {f"{BASE}/index.html", f"{BASE}/officers.html", f"{BASE}/officers.json",
            f"{BASE}/officers.csv", f"{BASE}/items.html", "index.html"} <= set(written)
    index = read(tmp_path, f"{BASE}/index.html")
    assert 'href="officers.html">行政执法人员清单</a>' in index
    assert 'href="items.html">行政执法事项清单</a>' in index
    page = read(tmp_path, f"{BASE}/officers.html")
    assert "<caption>" in page and '<th scope="col">执法证件号</th>' in page
    assert '<th scope="row">王某</th>' in page and "14043100456" in page
    assert "第1版" in page and "2025-10-20" in page
    items = read(tmp_path, f"{BASE}/items.html")
    assert "对未按规定报送统计资料的处罚" in items and '<th scope="col">救济渠道</th>' in items
    data = json.loads(read(tmp_path, f"{BASE}/officers.json"))
    assert [e["certificate_no"] for e in data["entries"]] == ["14043100123", "14043100456"]
    assert data["columns"][0] == {"key": "name", "header": "姓名"}
    csv = (tmp_path / f"{BASE}/officers.csv").read_bytes()
    assert csv.startswith("\ufeff姓名,单位".encode()) and "李某".encode() in csv
    # linked from the home page
    assert f'href="/agency/{agencies.QINYUAN}/registers/"' in read(tmp_path, "index.html")
    # the same event again writes nothing
    assert deliver(env_db, portal) == []


def test_a_revision_for_a_changed_law_shows_why(env: Env, tmp_path: Path):
    env.now = at("2025-10-20")
    portal = portal_usecases.site(tmp_path)
    importing(env, {ITEMS: [ITEM]})
    deliver(env, portal)
    changed = list(ITEM)
    changed[2] = "《统计法》第四十一条（2024年修正）"
    env.now = at("2025-11-03")
    done = importing(env, {ITEMS: [changed]}, reason="law_changed",
                     reason_text="《统计法》修正施行")
    assert done["registers"][0]["revision"] == 2
    second = env.events("register_revised.v1")[-1]
    assert second["data"]["registers"] == [
        {"kind": "items", "title": "行政执法事项清单", "revision": 2}]
    assert (second["data"]["reason"], second["data"]["reason_text"]) == (
        "law_changed", "《统计法》修正施行")
    got = call(env, "get_register", {"agency": agencies.QINYUAN, "kind": "items", "on": None})
    assert [(r["revision"], r["reason"]) for r in got["revisions"]] == [
        (1, None), (2, "law_changed")]
    written = deliver(env, portal)
    assert written and all(p.startswith(f"{BASE}/") for p in written)
    page = read(tmp_path, f"{BASE}/items.html")
    assert "第2版" in page and "2025-11-03" in page
    assert "法律、法规、规章立改废释：《统计法》修正施行" in page
    assert "（2024年修正）" in page
    assert json.loads(read(tmp_path, f"{BASE}/items.json"))["reason"] == "法律、法规、规章立改废释"
    # an import that changes nothing emits nothing
    importing(env, {ITEMS: [changed]}, reason="other")
    assert len(env.events("register_revised.v1")) == 2


def test_an_unknown_reason_is_refused_naming_the_field(env: Env):
    with pytest.raises(ValidationFailed) as refused:
        importing(env, {ITEMS: [ITEM]}, reason="whim")
    assert "reason" in refused.value.details
    assert env.events("register_revised.v1") == [] and env.rows(models.register_revisions) == []
    assert [r["body"]["method"] for r in env.log("refused")] == ["import_register"]


def test_a_lapsed_officer_is_gone_from_the_officers_page(env_db: Env, tmp_path: Path):
    env_db.now = at("2025-10-20")
    portal = portal_usecases.site(tmp_path)
    importing(env_db, {OFFICERS: [WANG, LI]})
    deliver(env_db, portal)
    assert "王某" in read(tmp_path, f"{BASE}/officers.html")
    env_db.now = at("2025-11-01")
    assert uc.check_lapses(db=env_db.db, outbox=env_db.outbox, rules=env_db.rules,
                           now=env_db.now)["lapsed"] == 1
    written = deliver(env_db, portal)
    # incremental: only the agency's register pages
    assert f"{BASE}/officers.html" in written
    assert all(p.startswith(f"{BASE}/") for p in written)
    for name in ("officers.html", "officers.json", "officers.csv", "index.html"):
        text = read(tmp_path, f"{BASE}/{name}")
        assert "王某" not in text and "14043100123" not in text, name
    assert "李某" in read(tmp_path, f"{BASE}/officers.html")
    assert "2025-11-01" in read(tmp_path, f"{BASE}/officers.html")   # the day shown


def test_the_pages_carry_nothing_the_public_view_leaves_out(env: Env, tmp_path: Path):
    env.now = at("2025-10-20")
    root = tmp_path / "portal"
    portal = portal_usecases.site(root)
    importing(env, {OFFICERS: [WANG, LI, SUN]})
    deliver(env, portal)
    public = queries.get_register({"agency": agencies.QINYUAN, "kind": "officers", "on": None},
                                  actor=PUBLISHER, db=env.db, now=env.now)
    hidden = [e["values"] for e in public["entries"] if not e["public"]]
    assert [h["name"] for h in hidden] == ["孙某"]
    site = every_file(root)
    for path, data in site.items():
        text = data.decode("utf-8", "replace")
        for secret in ("孙某", "14043100999", PUBLISHER.id,
                       public["revisions"][0]["sha256"]):
            assert secret not in text, (path, secret)


def test_a_rebuild_writes_the_registers_as_the_events_left_them(env_db: Env, tmp_path: Path):
    live = tmp_path / "live"
    portal = portal_usecases.site(live)
    portal_usecases.publish_keys(portal.target, env_db.log_keys.verifying, {})
    pub = env_db.call(usecases.create_draft, "create_draft", draft_request(), PUBLISHER)
    env_db.call(usecases.review_publication, "review_publication",
                {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)
    deliver(env_db, portal)
    agency_page = read(live, f"agency/{agencies.QINYUAN}/index.html")
    assert "registers/" not in agency_page
    env_db.now = at("2025-10-29")
    importing(env_db, {OFFICERS: [WANG, LI], ITEMS: [ITEM]}, reason="functions_changed")
    deliver(env_db, portal)
    # the agency's page links its registers from the first import on
    assert f'href="/agency/{agencies.QINYUAN}/registers/"' in read(
        live, f"agency/{agencies.QINYUAN}/index.html")
    env_db.now = at("2025-11-01")
    uc.check_lapses(db=env_db.db, outbox=env_db.outbox, rules=env_db.rules, now=env_db.now)
    deliver(env_db, portal)
    rebuilt = tmp_path / "rebuilt"
    portal_usecases.rebuild(db=env_db.db, rules=env_db.rules, directory=rebuilt,
                            log_keys=env_db.log_keys.verifying, records_keys={},
                            index=lambda search, shards: None, now=env_db.now)
    # (the search index is not what this test is about: test_portal_rebuild's)
    want = {p: d for p, d in every_file(live).items() if not _aside(p)}
    got = {p: d for p, d in every_file(rebuilt).items() if not _aside(p)}
    assert got.keys() == want.keys()
    assert [p for p in want if want[p] != got[p]] == []
    assert "王某" not in got[f"{BASE}/officers.html"].decode()


def _aside(path: str) -> bool:
    return path.startswith("search/")
