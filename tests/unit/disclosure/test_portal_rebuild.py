"""The portal rebuilt from the tables (usecases.portal.rebuild, `sanxiang disclosure portal
rebuild`), on SQLite and PostgreSQL: a portal folder with files deleted and garbled comes back
byte for byte as the incremental writer left it — pages, lists (a withdrawn publication's hole
in its page kept), feeds, CSV, JSON, tree head, keys, search index — swapped in at once as a
new version the folder's path links to; and the writer lock excludes a second writer."""
from __future__ import annotations

import gzip
import json
import re
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.disclosure import models, usecases
from services.disclosure.portal import SearchIndex, versions
from services.disclosure.usecases import portal as portal_usecases
from tests import agencies
from tests.unit.disclosure.support import HEAD, PUBLISHER, Env, draft_request

COUNT = 23   # more than a list page holds (20): the lists have two pages


def publish(env: Env, n: int) -> dict:
    pub = env.call(usecases.create_draft, "create_draft",
                   draft_request(decision_no=f"沁能罚〔2025〕{n}号",
                                 case_name=f"沁源县某某煤业有限公司安全培训案（{n}）"), PUBLISHER)
    return env.call(usecases.review_publication, "review_publication",
                    {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)


def incremental(env: Env, root: Path, *, index: bool) -> list[dict]:
    """COUNT publications, the third withdrawn after it was listed, each event delivered to
    the portal as the service does (the search index after the last)."""
    portal = portal_usecases.site(root)
    portal_usecases.publish_keys(portal.target, env.log_keys.verifying, {})
    pubs = [publish(env, n) for n in range(1, COUNT + 1)]
    deliver_all(env, portal)
    env.now = datetime(2025, 12, 2, 2, 0, tzinfo=UTC)
    env.call(usecases.withdraw_publication, "withdraw_publication", {
        "publication_id": pubs[2]["id"], "ground": "revoked", "reason": "经行政复议，原决定被撤销",
        "decided_on": "2025-12-01", "by": "沁源县人民政府"}, HEAD)
    deliver_all(env, portal)
    if index:  # as SearchIndex.update after each event, its Pagefind runs folded into one
        search = SearchIndex(portal.target)
        for pub in pubs:
            row, history = _row(env, pub["id"])
            public = portal_usecases.publication_of(row, history,
                                                    agencies.NAMES[agencies.QINYUAN])
            assert public is not None
            search.record(public)
        search.rebuild([agencies.QINYUAN])
    return pubs


def _row(env: Env, pid: str):
    from services.disclosure import store
    with env.db.read() as s:
        return store.load(s, pid), store.history(s, pid)


def deliver_all(env: Env, portal) -> None:
    for event in env.events():
        if event["event_type"] in portal_usecases.EVENTS:
            portal_usecases.on_public_act(event, db=env.db, rules=env.rules, portal=portal,
                                          now=env.now)


def files(root: Path) -> dict[str, bytes]:
    return {str(f.relative_to(root)): f.read_bytes() for f in sorted(root.rglob("*"))
            if f.is_file()}


def served(root: Path) -> dict[str, bytes]:
    """The files a reader is served, but for what legitimately differs between two writes of
    the same site: the search bundles' generation bookkeeping (the incremental index keeps the
    generation before the current one for readers mid-search, which a rebuild has no reason to
    bring back), and Pagefind's filter files and metadata, which it writes in a varying order
    (hash maps) on the same pages, their names content hashes — kept here as their bytes in
    sorted order under fixed names, and the entry file naming the metadata with the name left
    out. Every index and fragment file, and every other file of the site, compares as it is."""
    out = files(root)
    for name in [n for n in out if n.endswith("/bundle/files.json")]:
        current = set(json.loads(out[name])["current"])
        folder = name.removesuffix("files.json")
        for other in [n for n in out if n.startswith(folder) and n != name]:
            if other.removeprefix(folder) not in current:
                del out[other]
        del out[name]
        for meta in [n for n in out if n.startswith(folder) and n.endswith(".pf_meta")]:
            # it names the filter files (by their hashes)
            out[folder + "pagefind.pf_meta"] = bytes(sorted(re.sub(
                rb"zh_[0-9a-f]{7}", b"", gzip.decompress(out.pop(meta)))))
        filters = [n for n in out if n.startswith(folder + "filter/")]
        out[folder + "filter/"] = b"|".join(sorted(bytes(sorted(gzip.decompress(out.pop(n))))
                                                   for n in filters))
        entry = json.loads(out[folder + "pagefind-entry.json"])
        for language in entry["languages"].values():
            language["hash"] = "-"
        out[folder + "pagefind-entry.json"] = json.dumps(entry).encode()
    return out


def rebuild(env: Env, root: Path, **kw) -> dict:
    return portal_usecases.rebuild(db=env.db, rules=env.rules, directory=root,
                                   log_keys=env.log_keys.verifying, records_keys={}, **kw)


def test_a_damaged_portal_is_rebuilt_byte_for_byte_as_the_incremental_writer_left_it(
        env_db: Env, tmp_path: Path):
    root = tmp_path / "portal"
    pubs = incremental(env_db, root, index=True)
    want = served(root)
    first = json.loads(want["list/page/1.json"])
    assert first["assigned"] == 20 and pubs[2]["id"] not in {i["id"] for i in first["items"]}
    assert len(first["items"]) == 19                              # the withdrawn one's hole
    assert "transparency/qinyuan-energy/tree-head.json" in want
    assert any(n.startswith("search/qinyuan-energy/bundle/index/") for n in want)
    # damage: a page and a list page deleted, the tree head garbled, a folder gone
    (root / "p" / f"{pubs[0]['id']}.html").unlink()
    (root / "list" / "page" / "2.json").unlink()
    (root / "transparency" / "qinyuan-energy" / "tree-head.json").write_bytes(b"{garbled")
    shutil.rmtree(root / "agency")
    done = rebuild(env_db, root)
    assert done["publications"] == COUNT and done["indexed"] == ["qinyuan-energy"]
    assert root.is_symlink() and root.resolve().parent == versions.versions_of(root)
    got = served(root)
    assert [n for n in sorted(set(got) | set(want)) if got.get(n) != want.get(n)] == []
    # the incremental writer goes on in the rebuilt site, through the same path
    publish(env_db, 99)
    deliver_all(env_db, portal_usecases.site(root))
    assert json.loads((root / "list/page/2.json").read_bytes())["assigned"] == 4


def test_a_lost_portal_folder_is_rebuilt_and_a_second_rebuild_keeps_one_version_before(
        env: Env, tmp_path: Path):
    root = tmp_path / "portal"
    incremental(env, root, index=False)
    want = files(root)
    shutil.rmtree(root)
    rebuild(env, root)
    got = files(root)
    assert {n: b for n, b in got.items() if not n.startswith("search/")} == {
        n: b for n, b in want.items() if not n.startswith("search/")}
    assert json.loads(got["search/shards.json"]) == {
        "bundles": ["search/qinyuan-energy/bundle"]}   # indexed, as it never was here
    first = root.resolve()
    rebuild(env, root)
    second = root.resolve()
    assert second != first and first.is_dir()                    # kept for readers still on it
    rebuild(env, root)
    assert not first.exists() and second.is_dir()                 # older ones deleted
    assert len(list(versions.versions_of(root).iterdir())) == 2


def test_the_slots_the_portal_gave_are_kept_in_the_database(env: Env, tmp_path: Path):
    pubs = incremental(env, tmp_path / "portal", index=False)
    slots = env.rows(models.portal_slots)
    assert len(slots) == 4 * COUNT
    withdrawn = {(s["folder"], s["page"]) for s in slots if s["publication_id"] == pubs[2]["id"]}
    assert withdrawn == {("list", 1), ("agency/qinyuan-energy", 1), ("kind/penalty", 1),
                         ("agency/qinyuan-energy/kind/penalty", 1)}


def test_the_writer_lock_excludes_a_second_writer_until_the_first_is_done(env_db: Env,
                                                                         tmp_path: Path):
    root = tmp_path / "portal"
    order: list[str] = []
    inside = threading.Event()

    def first() -> None:
        with portal_usecases.writer_lock(env_db.db, root):
            order.append("first in")
            inside.set()
            time.sleep(0.3)
            order.append("first out")

    t = threading.Thread(target=first)
    t.start()
    inside.wait(5)
    with portal_usecases.writer_lock(env_db.db, root):
        order.append("second in")
    t.join()
    assert order == ["first in", "first out", "second in"]


@pytest.mark.parametrize("agency_only", [True])
def test_the_cli_rebuilds_the_portal_named_by_the_config(env: Env, tmp_path: Path,
                                                       monkeypatch, agency_only):
    from services.disclosure import cli
    from shared.cli import main
    from shared.trust.keys import init_deployment

    root = tmp_path / "portal"
    keys = tmp_path / "keys"
    init_deployment(keys, ["disclosure", "records"], checkpoint_signers=["disclosure", "records"],
                    callers=[])
    incremental(env, root, index=True)
    want = served(root)
    (root / "index.html").unlink()
    url = str(env.db.engine.url)
    monkeypatch.setenv("DISCLOSURE_DATABASE_URL", url)
    monkeypatch.setenv("DISCLOSURE_PORTAL_DIR", str(root))
    monkeypatch.setenv("SANXIANG_KEYS", str(keys))
    monkeypatch.setenv("SANXIANG_AGENCIES", agencies.QINYUAN)
    args = ["disclosure", "portal", "rebuild", "--config", str(cli.CONFIG)]
    assert main([*args, "--agency", agencies.QINYUAN] if agency_only else args) == 0
    got = served(root)
    # the keys files now hold the deployment's keys; everything else as it was
    assert [n for n in got if got[n] != want.get(n) and not n.startswith("keys/")] == []
    assert main([*args, "--agency", "no-such-agency"]) == 2
