"""What the portal publishes of the agency's log for readers to verify on their own (usecases
.portal): every public act's leaf in the publication's JSON (not an expired one's), and every
perfect subtree hash of the log as a file written once — from which any inclusion and
consistency proof of the service's answers is rebuilt (RFC 9162), while one more act writes
only the few subtrees it completed."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from services.disclosure import queries, usecases
from services.disclosure.portal import Change, LocalDirectory, Publication
from services.disclosure.portal.render import publication_json
from services.disclosure.usecases import portal as portal_usecases
from shared.trust import merkle
from tests import agencies
from tests.unit.disclosure.support import PUBLISHER, Env, actor, draft_request


def published(env: Env, n: int) -> dict:
    pub = env.call(usecases.create_draft, "create_draft",
                   draft_request(decision_no=f"沁能罚〔2025〕{n}号"), PUBLISHER)
    return env.call(usecases.review_publication, "review_publication",
                    {"publication_id": pub["id"], "outcome": "publish"}, PUBLISHER)


def deliver_new(env: Env, portal, seen: set[str]) -> list[str]:
    written: list[str] = []
    for event in env.events():
        if event["event_type"] in portal_usecases.EVENTS and event["message_id"] not in seen:
            written += portal_usecases.on_public_act(event, db=env.db, rules=env.rules,
                                                     portal=portal, now=env.now) or ()
            seen.add(event["message_id"])
    return written


def from_files(root: Path, agency: str):
    def source(level: int, index: int) -> bytes:
        return bytes.fromhex((root / portal_usecases.node_path(agency, level, index))
                             .read_text())
    return source


def test_the_published_subtrees_rebuild_the_services_proofs(env_db: Env, tmp_path: Path):
    root = tmp_path / "portal"
    portal = portal_usecases.site(root)
    seen: set[str] = set()
    pubs = []
    for n in range(7):
        pubs.append(published(env_db, 20 + n))
        written = deliver_new(env_db, portal, seen)
        nodes = [p for p in written if "/tree/" in p]
        # one act: its leaf and the subtrees it closed (index n closes trailing-ones of n+1)
        assert len(nodes) == 1 + ((n + 1) & -(n + 1)).bit_length() - 1
    agency = agencies.QINYUAN
    head = json.loads((root / portal_usecases.tree_head_path(agency)).read_text())
    assert head["size"] == 7
    source = from_files(root, agency)
    assert merkle.subtree_root(source, 0, 7).hex() == head["root"]
    reader = actor("supervisor")
    for i in range(7):
        answer = env_db.call(queries.inclusion_proof, "inclusion_proof",
                             {"agency": agency, "leaf_index": i, "size": 7}, reader)
        assert [h.hex() for h in merkle.inclusion_proof(i, 7, source)] == answer["proof"]
    for first in range(1, 7):
        answer = env_db.call(queries.consistency_proof, "consistency_proof",
                             {"agency": agency, "first": first, "second": 7}, reader)
        assert [h.hex() for h in merkle.consistency_proof(first, 7, source)] == answer["proof"]
    # the leaf of each act is in the publication's JSON and hashes to the published leaf
    data = json.loads((root / "p" / f"{pubs[3]['id']}.json").read_text())
    [act] = data["history"]
    assert merkle.leaf_hash(act["leaf"].encode()) == source(0, act["leaf_index"])
    assert json.loads(act["leaf"])["publication_id"] == pubs[3]["id"]


def test_a_portal_that_missed_heads_catches_up_and_writes_nothing_twice(env: Env,
                                                                        tmp_path: Path):
    root = tmp_path / "portal"
    portal = portal_usecases.site(root)
    for n in range(3):
        published(env, 40 + n)
    env.now = datetime(2025, 10, 29, 1, 0, tzinfo=UTC)
    seen: set[str] = set()
    deliver_new(env, portal, seen)       # three events at once: the third finds all nodes
    assert sorted(p.relative_to(root).as_posix() for p in
                  (root / "transparency" / agencies.QINYUAN / "tree").rglob("*.hex")) == [
        f"transparency/{agencies.QINYUAN}/tree/{lv}/{ix}.hex"
        for lv, ix in [(0, 0), (0, 1), (0, 2), (1, 0)]]
    assert isinstance(portal.target, LocalDirectory)
    before = len(portal.target.written)
    assert deliver_new(env, portal, set()) == []   # redelivered: nothing written again
    assert len(portal.target.written) == before
    # a portal written before the hashes were published: the next act publishes them all
    for node in (root / "transparency" / agencies.QINYUAN / "tree").rglob("*.hex"):
        node.unlink()
    published(env, 43)
    written = deliver_new(env, portal, seen)
    assert sorted(p for p in written if "/tree/" in p) == sorted(
        f"transparency/{agencies.QINYUAN}/tree/{lv}/{ix}.hex"
        for lv, ix in [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1), (2, 0)])


def test_an_expired_publications_json_keeps_its_leaf_indexes_but_no_leaf():
    at = datetime(2025, 10, 28, 1, 0, tzinfo=UTC)
    leaf = json.dumps({"body": {"published": {"summary": {"facts": "违法事实"}}}})
    p = Publication(id="p1", agency_code="a", agency_name="机关", kind="penalty",
                    kind_name="行政处罚", title="案", summary=(("违法事实", "违法事实"),),
                    decision_date=at.date(), published_at=at,
                    history=(Change(at, "published", leaf_index=0, leaf=leaf),))
    assert publication_json(p)["history"][0]["leaf"] == leaf
    gone = Publication(**{**p.__dict__, "state": "expired", "history": (
        *p.history, Change(at, "expired", leaf_index=1, leaf="{}"))})
    shown = publication_json(gone)
    assert [c.get("leaf_index") for c in shown["history"]] == [0, 1]
    assert all("leaf" not in c for c in shown["history"]) and "违法事实" not in json.dumps(
        shown, ensure_ascii=False)
    assert Publication.from_dict(p.to_dict()) == p
