"""The public portal (services.disclosure.portal) following every public act: the service
consumes its own decision_published.v1 and publication_withdrawn.v1 (verified by the event
gate like any other event), reads the publication as it now stands and hands it to
`Portal.publish` — outside any database transaction, the files being no part of it — and only
then remembers the message in its inbox. A message redelivered before it was remembered
publishes the same state again, which writes nothing (Portal.publish is idempotent); one
redelivered after is skipped. The agency log's latest signed tree head is published beside
(transparency/<agency>/tree-head.json), and the keys that verify it and the record keeper's
checkpoints under keys/ (`publish_keys`, at start-up).

One writer at a time across instances (`writer_lock`: PostgreSQL's advisory lock, else a file
lock beside the folder); the list slots each publish gave are remembered in `portal_slots` with
the inbox row, so `rebuild` — the whole site written anew from the tables into a fresh folder
swapped in at once — lays the lists exactly as the incremental writer did, whatever order the
events came in.

Published paths (besides the generator's own, services.disclosure.portal.layout):
    transparency/<agency>/tree-head.json  the tree_head answer: agency, size, root, signed_at,
                                          key_id, signature (base64 Ed25519 over `statement`),
                                          statement (the log's canonical statement)
    transparency/<agency>/tree/<level>/<index>.hex
                                          the hash (hex) of every perfect subtree of the log
                                          (RFC 9162: level 0 the leaf hashes), written once
    keys/disclosure-log.json              {"purpose", "keys": {key_id: PEM}}: the keys whose
                                          signatures on the tree heads count
    keys/records-checkpoints.json         the same for the record keeper's checkpoints
    agency/<agency>/registers/index.html, index.json
                                          the agency's registers published before enforcement
                                          (事前公开): each with its revision and update day
    agency/<agency>/registers/<kind>.html, .json, .csv
                                          one register as the public sees it (officers: only
                                          while the certificate is valid), its revision and
                                          why it changed — rewritten on register_revised.v1 and
                                          officer_lapsed.v1 (`on_register_change`)
and in each publication's JSON (p/<id>.json) every public act's leaf_index and leaf.

Why subtree hashes and not proofs: an inclusion proof is against one tree size and changes as
the log grows, so proofs written per publication would all go stale at every append (a rewrite
of the whole site), and a proof per tree size would be O(n) files per publish. The perfect
subtrees never change once complete: an append completes one leaf and on average one more
node, so a publish writes about two files of 64 bytes, and a reader (the portal's verifier
page, verify/) builds any inclusion or consistency proof from O(log n) of them — the proofs
the service's inclusion_proof and consistency_proof answer, computed the same way. Nodes go
before the tree head that covers them, so a published head never names a missing node.
"""
from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from contracts.disclosure import CONTRACT
from services.disclosure import spreadsheets, store
from services.disclosure.domain import registers as reg
from services.disclosure.domain.limits import FormLimits
from services.disclosure.models import inbox
from services.disclosure.portal import (
    Change,
    LocalDirectory,
    Portal,
    Publication,
    SearchIndex,
    State,
    Target,
    layout,
    versions,
)
from services.disclosure.portal import registers as portal_registers
from services.disclosure.portal.portal import FORM_ACTION
from services.disclosure.portal.search import SHARDS
from shared.calendar.clock import local_date
from shared.calendar.clock import now as clock_now
from shared.errors import DomainRuleViolated
from shared.messaging import consumer
from shared.persistence import locks
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.rulesets.vocabulary import ACT_TYPES
from shared.trust.keys import public_key_pem

# the public acts of a publication's history and the portal state each leaves it in
# (a publication taken down early on a 信用修复 decision leaves the portal as an expired one does)
_ACTS: dict[str, State] = {"published": "published", "corrected": "corrected",
                           "withdrawn": "withdrawn", "expired": "expired",
                           "credit_repaired": "expired"}
# the event types that change what the portal shows
EVENTS = ("decision_published.v1", "publication_corrected.v1", "publication_withdrawn.v1",
          "publication_expired.v1", "publication_repaired.v1")


def tree_head_path(agency: str) -> str:
    return f"transparency/{agency}/tree-head.json"


LOG_KEYS_PATH = "keys/disclosure-log.json"
RECORDS_KEYS_PATH = "keys/records-checkpoints.json"


def site(directory: str | Path, config: Mapping[str, Any] | None = None) -> Portal:
    """The portal written into `directory` (DISCLOSURE_PORTAL_DIR), its fixed files installed;
    its correction form posting to DISCLOSURE_FORM_ACTION (the public path the portal's proxy
    passes to the service's POST /disclosure/corrections) and stating the form's limits."""
    settings = dict(config or {})
    portal = Portal(LocalDirectory(directory),
                    form_action=settings.get("DISCLOSURE_FORM_ACTION") or FORM_ACTION,
                    form_limits=FormLimits.from_config(settings))
    portal.install()
    return portal


def publication_of(row: Mapping[str, Any], history: list[dict], agency_name: str,
                   leaves: Mapping[int, str] | None = None) -> Publication | None:
    """The one mapping of a publication row (with its history, and the leaves its public acts
    are in the agency's log, by index) to what the portal publishes; None for one never made
    public (a draft, a publication withheld whole)."""
    acts = [h for h in history if h["action"] in _ACTS and h["leaf_index"] is not None]
    if not acts or not row.get("published"):
        return None
    shown = row["published"]
    labels = {**{c: f["label"] for c, f in row["credit"].items()},
              **{c: f["label"] for c, f in row["summary"].items()}}
    summary = tuple((labels.get(code, code), _text(value))
                    for part in ("summary", "credit")
                    for code, value in shown.get(part, {}).items() if value not in (None, ""))
    title = shown.get("summary", {}).get("case_name") or row["decision_no"]
    changes = tuple(Change(at=h["at"], state=_ACTS[h["action"]], note=_note(h),
                           leaf_index=h["leaf_index"],
                           leaf=(leaves or {}).get(h["leaf_index"], ""))
                    for h in acts)
    withdrawal = row.get("withdrawal") or {}
    return Publication(
        id=row["id"], agency_code=row["agency"], agency_name=agency_name, kind=_kind(row),
        kind_name=ACT_TYPES.get(row["act_type"], row["act_type"]), title=str(title),
        summary=summary, decision_date=row["decision_date"], published_at=acts[0]["at"],
        state=changes[-1].state, history=changes,
        withdrawal_reason=str(withdrawal.get("reason", "")) if changes[-1].state == "withdrawn"
        else "")


def _kind(row: Mapping[str, Any]) -> str:
    return str(row["act_type"]).lower().replace("_", "-")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _note(h: dict) -> str:
    body = h.get("body") or {}
    return str(body.get("reason", "")) if h["action"] == "withdrawn" else ""


def on_public_act(body: dict, *, db: Db, rules: Rules, portal: Portal, now: datetime,
                  reindex: Callable[[Publication], Any] | None = None
                  ) -> tuple[str, ...] | None:
    """A public act of this service (EVENTS: published, corrected, withdrawn, expired,
    repaired): the portal updated
    to the publication as it now stands (its search shard re-indexed by `reindex`) and the
    agency's tree head published, then the message remembered. Returns the paths written
    (None for a message handled before)."""
    event = consumer.incoming(CONTRACT, body)
    with db.read() as session:
        if consumer.already_handled(session, inbox, event["message_id"]):
            return None
        row = store.load(session, event["data"]["publication_id"])
        history = store.history(session, row["id"])
        leaves = {h["leaf_index"]: store.leaf_at(session, row["agency"], h["leaf_index"]) or ""
                  for h in history if h["leaf_index"] is not None}
        head = store.latest_tree_head(session, row["agency"])
        nodes = _new_nodes(session, portal.target, head)
    if row["agency"] != event["agency"]:
        raise DomainRuleViolated(
            f"the event names agency {event['agency']} but publication {row['id']} is of "
            f"{row['agency']}", code="event_agency_mismatch",
            message_zh=f"事件所称执法机关 {event['agency']} 与公示信息 {row['id']} 的机关 "
                       f"{row['agency']} 不符，门户未更新",
            details={"rule": "event_agency_mismatch", "agency": event["agency"]})
    written: list[str] = []
    slots: list[dict] = []
    p = publication_of(row, history, rules.agency(row["agency"]).name, leaves)
    if p is not None:
        slots += _listed_on(portal.target, p.id)
        written += portal.publish(p).paths
        slots += _listed_on(portal.target, p.id)
        if reindex is not None:  # also after a crash between the publish and the index:
            reindex(p)           # the index rewrites only files whose bytes changed
    if head is not None:
        written += publish_nodes(portal.target, head["agency"], nodes)
        written += publish_tree_head(portal.target, head)
    with db.transaction() as session:
        if not consumer.already_handled(session, inbox, event["message_id"]):
            store.record_slots(session, row["id"], slots)
            consumer.remember(session, inbox, event, now)
    return tuple(written)


def _listed_on(target: Target, pid: str) -> list[dict]:
    data = target.read(layout.publication_json(pid))
    return [] if data is None else list(json.loads(data).get("listed_on", []))


def publish_tree_head(target: Target, head: Mapping[str, Any]) -> list[str]:
    """The tree head as the tree_head RPC answers it, written when it changed."""
    signed_at = head["signed_at"]
    data = {k: head[k] for k in ("agency", "size", "root", "key_id", "signature", "statement")}
    data["signed_at"] = signed_at.isoformat() if isinstance(signed_at, datetime) else signed_at
    return _write_json(target, tree_head_path(head["agency"]), data)


def node_path(agency: str, level: int, index: int) -> str:
    return f"transparency/{agency}/tree/{level}/{index}.hex"


def _published_size(target: Target, agency: str) -> int:
    """The leaves whose subtree hashes the portal has: those of the head it published, when
    that head's last leaf is there (a portal written before the hashes were published has
    none, and gets them all once)."""
    data = target.read(tree_head_path(agency))
    size = int(json.loads(data)["size"]) if data is not None else 0
    return size if size and target.exists(node_path(agency, 0, size - 1)) else 0


def _new_nodes(session: Any, target: Target, head: Mapping[str, Any] | None
               ) -> list[tuple[int, int, str]]:
    """The subtree hashes the head covers that the portal does not have yet (those completed
    since the head it published last)."""
    if head is None:
        return []
    return store.completed_nodes(session, head["agency"],
                                 _published_size(target, head["agency"]), int(head["size"]))


def publish_nodes(target: Target, agency: str, nodes: list[tuple[int, int, str]]) -> list[str]:
    """Each subtree hash as a file of its own (complete subtrees never change)."""
    written = []
    for level, index, digest in nodes:
        path = node_path(agency, level, index)
        if target.read(path) != digest.encode():
            target.write(path, digest.encode())
            written.append(path)
    return written


def publish_keys(target: Target, log_keys: Mapping[str, Ed25519PublicKey],
                 records_keys: Mapping[str, Ed25519PublicKey]) -> list[str]:
    """The verification keys of the disclosure log's tree heads and of the record keeper's
    checkpoints, each written when it changed."""
    return [*_write_json(target, LOG_KEYS_PATH, _keys("disclosure log tree heads", log_keys)),
            *_write_json(target, RECORDS_KEYS_PATH,
                         _keys("records checkpoints", records_keys))]


def _keys(purpose: str, keys: Mapping[str, Ed25519PublicKey]) -> dict[str, Any]:
    return {"purpose": purpose,
            "keys": {kid: public_key_pem(key) for kid, key in sorted(keys.items())}}


def _write_json(target: Target, path: str, data: Any) -> list[str]:
    encoded = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1).encode()
    if target.read(path) == encoded:
        return []
    target.write(path, encoded)
    return [path]


# ---- the whole portal rebuilt from the tables ------------------------------------------------

LOCK_NAME = "disclosure.portal"


def writer_lock(db: Db, directory: str | Path) -> contextlib.AbstractContextManager[None]:
    """The portal's one writer across instances: PostgreSQL's advisory lock when the service's
    database is PostgreSQL, else a file lock beside the portal's folder (shared.persistence.locks).
    Every incremental write and every rebuild holds it."""
    path = Path(directory)
    return locks.exclusive(db.engine, LOCK_NAME, path.parent / f".{path.name}.lock")


def rebuild(*, db: Db, rules: Rules, directory: str | Path,
            log_keys: Mapping[str, Ed25519PublicKey],
            records_keys: Mapping[str, Ed25519PublicKey], agency: str | None = None,
            index: Callable[[SearchIndex, list[str]], Any] | None = None,
            now: datetime | None = None) -> dict[str, Any]:
    """The whole portal written anew from the tables — pages, lists, feeds, CSV and JSON, each
    agency's tree head, the keys, the search shards — into a fresh folder, then swapped in at
    once (portal.versions): the site a lost or damaged portal folder should have been, byte for
    byte as the incremental writer leaves it (the list slots from `portal_slots`). Holds the
    writer lock throughout. With `agency`, only that agency's search shard is indexed again;
    the others are taken over from the live site when their members are unchanged. Each
    agency's registers are written as on `now`'s day (officers then valid)."""
    with writer_lock(db, directory):
        with db.read() as session:
            ids = store.public_ids(session)
            rows = store.publications_of(session, ids)
            histories = store.history_of(session, ids)
            leaves = {r["id"]: {h["leaf_index"]: store.leaf_at(session, r["agency"],
                                                               h["leaf_index"]) or ""
                                for h in histories[r["id"]] if h["leaf_index"] is not None}
                      for r in rows}
            slots = store.portal_slots(session)
            heads = [h for h in (store.latest_tree_head(session, a)
                                 for a in store.agencies_public(session)) if h is not None]
            nodes = {h["agency"]: store.completed_nodes(session, h["agency"], 0, int(h["size"]))
                     for h in heads}
            pages = _all_register_pages(session, rules, local_date(now or clock_now()))
        pubs = [p for p in (publication_of(r, histories[r["id"]], rules.agency(r["agency"]).name,
                                           leaves[r["id"]]) for r in rows) if p is not None]
        folder = versions.fresh(directory)
        target = LocalDirectory(folder)
        portal = Portal(target)
        files = portal.build(pubs, slots, {a: name for a, (name, _) in pages.items()})
        for code, (name, shown) in pages.items():
            files += len(portal_registers.publish_registers(portal, code, name, shown))
        for head in heads:
            files += len(publish_nodes(target, head["agency"], nodes[head["agency"]]))
            publish_tree_head(target, head)
        publish_keys(target, log_keys, records_keys)
        shards = _search(target, LocalDirectory(directory), pubs, agency, index)
        versions.swap_in(directory, folder)
    return {"publications": len(pubs), "files": files + len(heads) + 2,
            "agencies": sorted({h["agency"] for h in heads}), "indexed": shards}


def _search(target: LocalDirectory, live: LocalDirectory, pubs: list[Publication],
            agency: str | None, index: Callable[[SearchIndex, list[str]], Any] | None
            ) -> list[str]:
    search = SearchIndex(target)
    shards = list(search.record_all(pubs))
    target.write(SHARDS, json.dumps({"bundles": [f"search/{s}/bundle" for s in shards]},
                                    separators=(",", ":")).encode())
    chosen = [s for s in shards if agency is None or s == agency
              or not _take_over(live, target, s)]
    (index or SearchIndex.rebuild)(search, chosen)
    return chosen


def _take_over(live: LocalDirectory, target: LocalDirectory, shard: str) -> bool:
    """The live site's index of the shard copied over, when it indexes the same members."""
    members = f"search/{shard}/members.json"
    bundle = live.root / "search" / shard / "bundle"
    if live.read(members) != target.read(members) or not bundle.is_dir():
        return False
    shutil.copytree(bundle, target.root / "search" / shard / "bundle")
    return True


# ---- the registers published before enforcement on the portal --------------------------------

# the event types that change what the registers' pages show
REGISTER_EVENTS = ("register_revised.v1", "officer_lapsed.v1")


def on_register_change(body: dict, *, db: Db, rules: Rules, portal: Portal, now: datetime
                       ) -> tuple[str, ...] | None:
    """register_revised.v1 or officer_lapsed.v1 of this service: the agency's registers on the
    portal written anew as they stand today (only the files whose bytes changed; the home page
    and the agency's page when the agency's registers are new to the portal), then the message
    remembered. Returns the paths written (None for a message handled before)."""
    event = consumer.incoming(CONTRACT, body)
    agency = event["agency"]
    with db.read() as session:
        if consumer.already_handled(session, inbox, event["message_id"]):
            return None
        named = event["data"].get("agency", agency)
        if named != agency:
            raise DomainRuleViolated(
                f"the event names agency {agency} but its registers are of {named}",
                code="event_agency_mismatch",
                message_zh=f"事件所称执法机关 {agency} 与登记表的机关 {named} 不符，门户未更新",
                details={"rule": "event_agency_mismatch", "agency": agency})
        name = rules.agency(agency).name
        pages = register_pages(session, agency, name, local_date(now))
    written = list(portal.note_registers(agency, name)) if pages else []
    written += portal_registers.publish_registers(portal, agency, name, pages) if pages else []
    with db.transaction() as session:
        if not consumer.already_handled(session, inbox, event["message_id"]):
            consumer.remember(session, inbox, event, now)
    return tuple(written)


def _all_register_pages(session: Any, rules: Rules, today: date
                        ) -> dict[str, tuple[str, list[portal_registers.RegisterPage]]]:
    """Every served agency's registers as the portal shows them today, by agency code."""
    out = {}
    for code in store.agencies_with_registers(session):
        served = rules.agencies.get(code)
        if served is not None:
            out[code] = (served.name, register_pages(session, code, served.name, today))
    return out


def register_pages(session: Any, agency: str, agency_name: str, today: date
                   ) -> list[portal_registers.RegisterPage]:
    """Each register of the agency revised at least once, as the public sees it today: its
    entries as they stand (officers: only those whose certificate is valid today,
    reg.public_officers), its latest revision, when and why it changed."""
    pages = []
    for kind in reg.KINDS:
        revisions = store.revisions(session, agency, kind.code)
        if not revisions:
            continue
        entries = [v.entry for v in store.standing(
            (v for _, v in store.versions(session, agency, kind.code)), None)
            if v.entry is not None]
        officers = kind.code == "officers"
        if officers:
            entries = list(reg.public_officers(
                [e for e in entries if isinstance(e, reg.Officer)], today))
        last = revisions[-1]
        pages.append(portal_registers.RegisterPage(
            agency=agency, agency_name=agency_name, kind=kind.code, title=kind.title,
            basis=kind.basis, keys=tuple(c.key for c in kind.columns),
            headers=tuple(c.header for c in kind.columns),
            rows=tuple(tuple(_cell(v) for v in reg.values(e).values()) for e in entries),
            entries=tuple(store.entry_json(e) for e in entries),
            csv=spreadsheets.export_csv(kind.code, entries), revision=int(last["revision"]),
            updated_on=local_date(last["at"]).isoformat(),
            reason=reg.REVISION_REASONS.get(last["reason"] or "", ""),
            reason_text=last["reason_text"] or "",
            as_of=today.isoformat() if officers else ""))
    return pages


def _cell(value: reg.Value) -> str:
    cell = reg.as_cell(value)
    return "" if cell is None else cell.isoformat() if isinstance(cell, date) else cell
