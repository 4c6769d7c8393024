"""Reads of the disclosure publisher: a publication with its history, a page of an agency's
publications, the latest signed tree head of an agency's log, a leaf's inclusion proof and the
log's consistency proofs; a register as it stands or stood on a day, what changed between two
of its revisions, an officer's qualification on a day, the registers exported as a workbook or
CSV; the 双公示 file of the public penalties for the provincial credit platform."""
from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any

from services.disclosure import spreadsheets, store
from services.disclosure.domain import annual, corrections, credit
from services.disclosure.domain import registers as reg
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated, NotFound, ValidationFailed
from shared.persistence import paging
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def get_publication(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    with db.read() as session:
        pub = store.load(session, p["publication_id"])
        actor.require(agency=pub["agency"])
        return store.view(pub, store.history(session, pub["id"]))


def list_publications(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    """A page of the agency's publications, the earliest due first (ties by id), after
    `cursor` — read from the index of the agency's publications by state and due date."""
    actor.require(agency=p["agency"])
    after = tuple(paging.decode(p["cursor"], 2)) if p.get("cursor") else None
    with db.read() as session:
        rows = store.page(session, p["agency"], p["state"], after, p["limit"] + 1)
    rows, following = paging.page(rows, p["limit"], lambda r: (r["due"].isoformat(), r["id"]))
    return {"items": [{k: r[k] for k in ("id", "agency", "decision_no", "act_type", "case_id",
                                         "decision_date", "state", "due", "missing")}
                      for r in rows], "next": following}


def tree_head(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    actor.require(agency=p["agency"])
    with db.read() as session:
        head = store.latest_tree_head(session, p["agency"])
    if head is None:
        raise NotFound(f"the publication log of {p['agency']} is empty",
                       message_zh=f"执法机关 {p['agency']} 的公示日志尚无记录（尚未公开任何信息）",
                       details={"agency": p["agency"]})
    return {k: head[k] for k in ("agency", "size", "root", "signed_at", "key_id", "signature",
                                 "statement")}


def _beyond(agency: str, size: int, held: int) -> DomainRuleViolated:
    return DomainRuleViolated(
        f"the publication log of {agency} holds {held} leaves, not {size}", code="log_shorter",
        message_zh=f"执法机关 {agency} 的公示日志只有 {held} 条记录，没有 {size} 条",
        details={"rule": "log_shorter", "agency": agency, "size": size, "held": held})


def _cut_short(agency: str) -> DomainRuleViolated:
    return DomainRuleViolated(
        f"the publication log of {agency} no longer holds a node the proof needs",
        code="log_incomplete",
        message_zh=f"执法机关 {agency} 的公示日志缺少证明所需的节点（日志可能被截断）",
        details={"rule": "log_incomplete", "agency": agency})


def inclusion_proof(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    actor.require(agency=p["agency"])
    agency, index, size = p["agency"], p["leaf_index"], p["size"]
    with db.read() as session:
        held = store.log_size(session, agency)
        if size > held or index >= size:
            raise _beyond(agency, max(size, index + 1), held)
        leaf = store.leaf_at(session, agency, index)
        proof = store.inclusion_proof(session, agency, index, size)
    if leaf is None or proof is None:
        raise _cut_short(agency)
    return {"agency": agency, "leaf_index": index, "size": size, "leaf": leaf,
            "proof": [h.hex() for h in proof]}


def consistency_proof(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    actor.require(agency=p["agency"])
    agency, first, second = p["agency"], p["first"], p["second"]
    if first > second:
        raise ValidationFailed(f"first: {first} is beyond second {second}",
                               message_zh=f"first（{first}）不得大于 second（{second}）",
                               details={"first": [f"at most second ({second})"]})
    with db.read() as session:
        held = store.log_size(session, agency)
        if second > held:
            raise _beyond(agency, second, held)
        proof = store.consistency_proof(session, agency, first, second)
    if proof is None:
        raise _cut_short(agency)
    return {"agency": agency, "first": first, "second": second,
            "proof": [h.hex() for h in proof]}


# ---- the registers published before enforcement (事前公开) ----------------------------

def _kind(code: str) -> reg.RegisterKind:
    return reg.KIND[code]


def get_register(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    actor.require(agency=p["agency"])
    kind, on = _kind(p["kind"]), p.get("on")
    with db.read() as session:
        history = store.versions(session, p["agency"], kind.code)
        revisions = store.revisions(session, p["agency"], kind.code)
    day = on or local_date(now)
    shown = [r for r in revisions if on is None or local_date(r["at"]) <= on]
    standing = store.standing((v for _, v in history), on)
    entries = [{"key": list(v.key), "number": v.number, "recorded_at": v.recorded_at,
                "recorded_by": v.recorded_by, "values": store.entry_json(v.entry),
                "public": reg.valid_on(v.entry, day) if isinstance(v.entry, reg.Officer)
                else None} for v in standing if v.entry is not None]
    return {"agency": p["agency"], "kind": kind.code, "title": kind.title, "on": on,
            "revision": shown[-1]["revision"] if shown else 0, "entries": entries,
            "revisions": shown}


def register_history(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    actor.require(agency=p["agency"])
    kind = _kind(p["kind"])
    with db.read() as session:
        latest = store.register_revision(session, p["agency"], kind.code)
        first = p["from_revision"]
        last = latest if p.get("to_revision") is None else p["to_revision"]
        _check_range(first, last, latest)
        history = store.versions(session, p["agency"], kind.code, up_to=last)
        revisions = store.revisions(session, p["agency"], kind.code)
    before = reg.current(v for r, v in history if r <= first)
    change = reg.diff(kind, before, reg.current(v for _, v in history))
    return {"agency": p["agency"], "kind": kind.code, "from_revision": first,
            "to_revision": last,
            "added": [store.entry_json(e) for e in change.added],
            "changed": [{"key": list(reg.key_of(c.after)), "changed_fields": list(c.fields),
                         "headers": list(c.headers), "before": store.entry_json(c.before),
                         "after": store.entry_json(c.after)} for c in change.changed],
            "removed": [store.entry_json(e) for e in change.removed],
            "revisions": [r for r in revisions if first < r["revision"] <= last]}


def _check_range(first: int, last: int, latest: int) -> None:
    if first > last:
        raise ValidationFailed(
            f"from_revision: {first} is beyond to_revision {last}",
            message_zh=f"from_revision（{first}）不得大于 to_revision（{last}）",
            details={"from_revision": [f"at most to_revision ({last})"]})
    if last > latest:
        raise DomainRuleViolated(
            f"the register has {latest} revisions, not {last}", code="no_such_revision",
            message_zh=f"该登记表只有 {latest} 个版本，没有第 {last} 版",
            details={"rule": "no_such_revision", "revision": last, "latest": latest})


def officer_qualified(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    """Was the holder of the certificate qualified to enforce on the day (for the category
    and region, when asked) — on every version of the agency's officers register."""
    actor.require(agency=p["agency"])
    with db.read() as session:
        history = store.versions(session, p["agency"], "officers")
    verdict = reg.qualified_on([v for _, v in history], p["certificate_no"], p["on"],
                               category=p.get("category"), region=p.get("region"))
    officer = verdict.officer
    return {"agency": p["agency"], "certificate_no": verdict.certificate_no, "on": verdict.on,
            "qualified": verdict.qualified, "status": verdict.status, "reason": verdict.reason,
            "reason_zh": verdict.reason_zh,
            "officer": store.entry_json(officer) if officer is not None else None}


# ---- export --------------------------------------------------------------------------------

def export_register(p: dict, *, actor: Actor, db: Db, now: datetime, **_: Any) -> dict:
    actor.require(agency=p["agency"])
    kinds = store.register_kinds(p.get("kinds") or [k.code for k in reg.KINDS])
    if p["format"] == "csv" and len(kinds) != 1:
        raise ValidationFailed(
            "kinds: a CSV file holds one register: name exactly one kind",
            message_zh="kinds：CSV文件只能包含一个登记表，请只指定一种登记表",
            details={"kinds": ["exactly one for csv"]})
    on = p.get("on")
    with db.read() as session:
        held = {k.code: [v.entry for v in store.standing(
            (v for _, v in store.versions(session, p["agency"], k.code)), on)
            if v.entry is not None] for k in kinds}
    if p["format"] == "csv":
        kind = kinds[0]
        blob, media, name = spreadsheets.export_csv(kind.code, held[kind.code]), CSV, kind.code
    else:
        blob, media, name = spreadsheets.export_workbook(held), XLSX, "registers"
    stamp = (on or local_date(now)).isoformat()
    return {"agency": p["agency"], "format": p["format"], "media_type": media,
            "filename": f"{p['agency']}-{name}-{stamp}.{p['format']}", "size": len(blob),
            "sha256": hashlib.sha256(blob).hexdigest(),
            "content_base64": base64.b64encode(blob).decode("ascii")}


# ---- requests to correct a publication (usecases.corrections) ---------------------------------

def get_correction(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    with db.read() as session:
        row = store.load_correction(session, p["correction_id"])
    actor.require(agency=row["agency"])
    return corrections.view(row)


def list_corrections(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    """A page of the agency's requests by number, after `cursor`."""
    actor.require(agency=p["agency"])
    after = tuple(paging.decode(p["cursor"], 2)) if p.get("cursor") else None
    key = (int(after[0]), int(after[1])) if after and all(a.isdigit() for a in after) else None
    if after is not None and key is None:
        raise ValidationFailed.from_messages(
            {"cursor": ["not a cursor this listing returned"]}, what="cursor")
    with db.read() as session:
        rows = store.correction_page(session, p["agency"], p["state"], p["publication_id"], key,
                                     p["limit"] + 1)
    rows, following = paging.page(rows, p["limit"], lambda r: (str(r["year"]), str(r["seq"])))
    return {"items": [{k: r[k] for k in ("id", "number", "publication_id", "state",
                                         "created_at")} for r in rows], "next": following}


# ---- the 双公示 file for the provincial credit platform (domain.credit) ----------------------

def export_credit(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                  **_: Any) -> dict:
    """The agency's public penalties decided from `from` through `to`, one template's rows
    (legal_person: organisations; natural_person: individuals) as CSV or .xlsx."""
    actor.require(agency=p["agency"])
    template, start, end = p["template"], p["from"], p["to"]
    if start > end:
        raise ValidationFailed(f"from: {start} is after to {end}",
                               message_zh=f"from（{start}）不得晚于 to（{end}）",
                               details={"from": [f"on or before to ({end})"]})
    rs = rules.agency(p["agency"]).ruleset
    cols = credit.columns(rs, template)
    settings = credit.Settings.of(rs)
    with db.read() as session:
        pubs = store.public_penalties(session, p["agency"], credit.TEMPLATES[template], start,
                                      end)
    rows = [[credit.neutral(v) for v in credit.row(cols, pub, settings)] for pub in pubs]
    headers = [c.label for c in cols]
    if p["format"] == "csv":
        blob, media = spreadsheets.table_csv(headers, rows), CSV
    else:
        blob, media = spreadsheets.table_workbook(
            f"行政处罚（{credit.TEMPLATE_ZH[template]}）", headers, rows), XLSX
    return {"agency": p["agency"], "template": template, "from": start, "to": end,
            "format": p["format"], "rows": len(rows), "media_type": media,
            "filename": f"{p['agency']}-credit-{template}-{start.isoformat()}-"
                        f"{end.isoformat()}.{p['format']}", "size": len(blob),
            "sha256": hashlib.sha256(blob).hexdigest(),
            "content_base64": base64.b64encode(blob).decode("ascii")}


# ---- the annual statistics report and the supervisor's view (domain.annual) -------------------

def get_annual_report(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    """A version of the agency's report on the year (the latest where none is named)."""
    actor.require(agency=p["agency"])
    with db.read() as session:
        versions = store.annual_versions(session, p["agency"], p["year"])
    return store.annual_view(store.annual_version(versions, p), versions=len(versions))


def supervision_report(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                       **_: object) -> dict:
    """004 第五十七条 across the agencies asked for (every agency served where none is named):
    per agency and item the publications with their dates."""
    start, end = p["period"]["start"], p["period"]["end"]
    if end < start:
        raise ValidationFailed("period.end: before period.start",
                               message_zh="统计期间的终止日早于起始日",
                               details={"period.end": [f"on or after {start}"]})
    agencies = p.get("agencies") or sorted(rules.agencies)
    today = local_date(now)
    out = []
    for agency in agencies:
        actor.require(agency=agency)
        rules.agency(agency)
        with db.read() as session:
            pubs = store.annual_rows(session, agency)
            corr = store.annual_corrections(session, agency)
        out.append(annual.supervision(agency, pubs, corr, start, end, today))
    with db.transaction() as session:
        store.log(session, "supervision", actor, "supervision_read",
                  {"agencies": agencies, "start": start.isoformat(), "end": end.isoformat()},
                  now)
    return {"period": {"start": start.isoformat(), "end": end.isoformat()}, "as_of":
            today.isoformat(), "agencies": out}
