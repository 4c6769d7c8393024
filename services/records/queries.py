"""Reads of the record keeper. Every read of a case is itself recorded in the access log
(002 第十九条 实时调阅; 003 调阅监督); a party sees its own case with informants, complainants
and third parties masked (000 第三十四条)."""
from __future__ import annotations

import base64
import contextlib
import json
import queue
import threading
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from sqlalchemy import insert, select

from services.records import chain, domain
from services.records.models import access_log, av_records, cases, checkpoints, entries, situations
from shared import rules as rulebook
from shared.actor import Actor, out_of_reach
from shared.clock import iso, utc
from shared.db import driver_fetch
from shared.errors import NotFound
from shared.service import refusal_reason

STAFF = ("officer", "head", "legal_unit", "reviewer", "supervisor")


_ACCESS_COLUMNS = ("at", "actor_id", "actor_role", "actor_agency", "action", "case_id",
                   "agency", "outcome", "reason")
_INSERT_ACCESS = insert(access_log)  # built once, as the chain's statements
_PG_INSERT_ACCESS = (f"INSERT INTO access_log ({', '.join(_ACCESS_COLUMNS)}) "
                     f"VALUES ({', '.join(['%s'] * len(_ACCESS_COLUMNS))})")


def log_access(session, actor: Actor, action: str, *, case: dict | None, outcome: str,
               now: datetime, reason: str | None = None, case_id: str | None = None) -> None:
    values = (now, actor.id, actor.role, actor.agency, action,
              case["id"] if case else case_id, case["agency"] if case else None, outcome, reason)
    if session.bind.dialect.name == "postgresql":
        driver_fetch(session, _PG_INSERT_ACCESS, values)
    else:
        session.execute(_INSERT_ACCESS, dict(zip(_ACCESS_COLUMNS, values)))


def authorize_read(actor: Actor, case: dict) -> bool:
    """Returns True when the reader is the case's party (and must get the masked view).
    Party ids are labels chosen per case by whoever opens it (`party-1` in many cases), so a
    party token is bound to one case (claim `case`) and reads that case alone, as the party
    it names, in the agency that issued it. Anything else is out of reach: answered as a
    missing case (shared.service.handle), recorded as refused."""
    if actor.role == "party":
        if (actor.case_id and actor.party_id and actor.case_id == case["id"]
                and actor.agency == case["agency"]
                and any(p["id"] == actor.party_id for p in case["parties"])):
            return True
        raise out_of_reach("a party token reads only the case it is bound to, as the party "
                           "it names", message_zh="当事人只能查阅与其相关的执法记录")
    actor.require(*STAFF, agency=case["agency"])
    return False


def missing_case(request: dict) -> NotFound | None:
    """What a caller is told about a case out of its reach: exactly what chain.load_case says
    of an id that does not exist."""
    case_id = request.get("case_id")
    if not isinstance(case_id, str):
        return None
    return NotFound(f"no case with id {case_id!r}", details={"case_id": case_id})


def case_view(case: dict, masked: bool) -> dict:
    view = {k: case[k] for k in ("id", "case_no", "agency", "ruleset", "act_type", "title",
                                 "start_mode", "stage", "status", "parties", "persons",
                                 "handlers", "emergency_due", "archive_due", "head_seq",
                                 "head_hash")}
    for key in ("opened_at", "emergency_approved_at", "closed_at", "archived_at"):
        view[key] = utc(case[key]) if case[key] else None
    if masked:
        view["persons"], secrets = domain.protected_persons(case["persons"])
        view = domain.mask_for_party(view, secrets)
    return view


# The case row and, in the same statement, the reader's access row — written only when the
# case belongs to the reader's agency. read_case sends it only for a staff reader, whom
# authorize_read grants exactly then, so the statement never logs a read Python refuses.
_PG_READ_AND_LOG = (
    f"WITH c AS ({chain.PG_LOAD_CASE}), "
    f"l AS (INSERT INTO access_log ({', '.join(_ACCESS_COLUMNS)}) "
    "SELECT %s, %s, %s, %s, %s, c.id, c.agency, 'granted', NULL FROM c "
    "WHERE c.agency = %s RETURNING 1) "
    f"SELECT {', '.join('c.' + column for column in chain.CASE_COLUMNS)}, "
    "(SELECT count(*) FROM l) FROM c")


def read_case(session, actor: Actor, action: str, case_id: str, now: datetime):
    """A read of one case, recorded: (case, masked). On PostgreSQL a staff member of the
    case's own agency — nearly every read — costs one round trip (case and access row in one
    statement); any other reader is judged by authorize_read and logged after it."""
    if session.bind.dialect.name == "postgresql" and actor.role in STAFF:
        found = driver_fetch(session, _PG_READ_AND_LOG, (
            case_id, now, actor.id, actor.role, actor.agency, action, actor.agency))
        if found is None:
            raise NotFound(f"no case with id {case_id!r}", details={"case_id": case_id})
        case, logged = dict(zip(chain.CASE_COLUMNS, found[:-1])), found[-1]
    else:
        case, logged = chain.load_case(session, case_id), 0
    masked = authorize_read(actor, case)
    if not logged:
        log_access(session, actor, action, case=case, outcome="granted", now=now)
    return case, masked


def get_case(p, *, actor, db, now) -> dict:
    with db.autocommit() as session:
        case, masked = read_case(session, actor, "get_case", p["case_id"], now)
    return case_view(case, masked)


def get_entries(p, *, actor, db, now) -> list[dict]:
    with db.autocommit() as session:
        case, masked = read_case(session, actor, "get_entries", p["case_id"], now)
        rows = session.execute(
            select(entries).where(entries.c.case_id == case["id"])
            .where(entries.c.seq >= p["from_seq"]).order_by(entries.c.seq)
            .limit(p["limit"])).mappings().all()
    secrets = domain.protected_persons(case["persons"])[1] if masked else []
    out = []
    for row in rows:
        body = json.loads(row["body"])
        item = {"seq": row["seq"], "kind": row["kind"], "stage": row["stage"],
                "occurred_at": utc(row["occurred_at"]), "recorded_at": utc(row["recorded_at"]),
                "actor_id": row["actor_id"], "actor_role": row["actor_role"],
                "corrects_seq": row["corrects_seq"], "content": body["content"],
                "prev_hash": row["prev_hash"], "entry_hash": row["entry_hash"]}
        out.append(domain.mask_for_party(item, secrets) if masked else item)
    return out


def list_cases(p, *, actor, db, now) -> list[dict]:
    actor.require(*STAFF, agency=p["agency"])
    with db.autocommit() as session:
        query = select(cases).where(cases.c.agency == p["agency"])
        if p.get("stage"):
            query = query.where(cases.c.stage == p["stage"])
        rows = session.execute(query.order_by(cases.c.opened_at.desc(), cases.c.id)
                               .limit(p["limit"]).offset(p["offset"])).mappings().all()
        log_access(session, actor, "list_cases", case=None, outcome="granted", now=now,
                   reason=f"agency={p['agency']}")
    return [case_view(dict(r), False) for r in rows]


def verify_case(p, *, actor, db, signing_key, now) -> dict:
    with db.autocommit() as session:
        case = chain.load_case(session, p["case_id"])
        actor.require("officer", "head", "legal_unit", "supervisor", agency=case["agency"])
        log_access(session, actor, "verify_case", case=case, outcome="granted", now=now)
    with db.read() as session:
        latest = session.execute(select(checkpoints).where(checkpoints.c.case_id == case["id"])
                                 .order_by(checkpoints.c.id.desc()).limit(1)).mappings().first()
        checked, bad, at_checkpoint = verify_stored_chain(
            session, case["id"], latest["seq"] if latest is not None else None)
    report = _checkpoint_report(latest, at_checkpoint, signing_key)
    return {"case_id": case["id"], "ok": bad is None and (report is None or report["valid"]),
            "entries_checked": checked, "head_seq": case["head_seq"],
            "head_hash": case["head_hash"], "first_bad": bad.to_dict() if bad else None,
            "checkpoint": report}


_CHAIN_ROWS = "SELECT seq, body, prev_hash, entry_hash FROM entries WHERE case_id = {} ORDER BY seq"


def verify_stored_chain(session, case_id: str, note_seq: int | None):
    """domain.verify_chain over a case's entries as the database holds them. Reading the rows
    costs more than hashing them, so they come through the driver's own cursor with the
    texts as raw UTF-8 bytes (nothing decoded only to be encoded again for hashing); on
    PostgreSQL through a server-side cursor in batches, so a long chain is streamed into the
    hashing, not held in memory whole."""
    dbapi = session.connection().connection  # the pooled DBAPI connection of this session
    if session.bind.dialect.name == "postgresql":
        from psycopg2.extensions import BYTES, register_type
        cur = dbapi.cursor("sanxiang_verify_chain")
        try:
            register_type(BYTES, cur)  # text columns as bytes, for this cursor only
            cur.execute(_CHAIN_ROWS.format("%s"), (case_id,))
            rows = _fetched_ahead(cur, _VERIFY_BATCH)
            try:
                return domain.verify_chain(rows, note_seq=note_seq)
            finally:
                rows.close()
        finally:
            cur.close()
    raw = dbapi.driver_connection
    factory, raw.text_factory = raw.text_factory, bytes
    try:
        cur = raw.cursor()
        try:
            cur.execute(_CHAIN_ROWS.format("?"), (case_id,))
            return domain.verify_chain(cur, note_seq=note_seq)
        finally:
            cur.close()
    finally:
        raw.text_factory = factory


_VERIFY_BATCH = 1000


def _fetched_ahead(cur, batch: int):
    """The rows of a server-side cursor, `batch` at a time, fetched by a helper thread one
    batch ahead of the consumer: PostgreSQL produces and sends the next batch while this one
    is hashed (the database's side of a read is most of its time). Under eventlet the
    helper is a green thread and the same overlap comes from the driver waiting green.
    Only the helper touches the cursor until it has been joined."""
    ahead: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                rows = cur.fetchmany(batch)
                ahead.put(rows)
                if len(rows) < batch:
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            ahead.put(exc)

    helper = threading.Thread(target=fetch, name="verify-fetch-ahead", daemon=True)
    helper.start()
    try:
        while True:
            rows = ahead.get()
            if isinstance(rows, BaseException):
                raise rows
            yield from rows
            if len(rows) < batch:
                return
    finally:  # also when the consumer stopped early, at the first bad entry
        stop.set()
        while helper.is_alive():
            with contextlib.suppress(queue.Empty):
                ahead.get_nowait()  # a helper blocked on a full queue goes on and sees stop
            helper.join(0.01)


def _checkpoint_report(latest, recomputed: str | None, signing_key) -> dict | None:
    if latest is None:
        return None
    valid_sig = True
    try:
        signing_key.public_key().verify(base64.b64decode(latest["signature"]),
                                        latest["statement"].encode())
    except (InvalidSignature, ValueError):
        valid_sig = False
    statement = json.loads(latest["statement"])
    matches = recomputed == latest["head_hash"] == statement["head_hash"]
    return {"seq": latest["seq"], "signed_at": iso(latest["signed_at"]),
            "key_id": latest["key_id"], "signature_valid": valid_sig,
            "head_matches": matches, "valid": valid_sig and matches}


AV_LABELS = ("party", "handler", "unit", "device_no", "started_at", "ended_at", "place")


def archive_manifest(session, case: dict, due: dict, rules) -> dict:
    avs = session.execute(select(av_records.c.seq, entries.c.body)
                          .join(entries, entries.c.id == av_records.c.entry_id)
                          .where(av_records.c.case_id == case["id"])
                          .order_by(av_records.c.seq)).all()
    av_objects = []
    for seq, body in avs:
        content = json.loads(body)["content"]
        media = content["media"]
        # the storage labels the AV record carries (001 附件2 第七条; 000 第三十二条); one
        # registered before a label existed (unit) simply lacks it
        labels = {k: content[k] for k in AV_LABELS if content.get(k) is not None}
        av_objects.append({"seq": seq, "object_ref": media["object_ref"],
                           "sha256": media["sha256"], **labels})
    return {"case_id": case["id"], "case_no": case["case_no"], "title": case["title"],
            "act_type": case["act_type"], "parties": [p["name"] for p in case["parties"]],
            "handlers": case["handlers"], "due": due, "head_seq": case["head_seq"],
            "head_hash": case["head_hash"], "entries": case["head_seq"],
            "av_objects": av_objects, "retention": retention_for(session, case, rules)}


def case_facts(session, case: dict) -> set[str]:
    """Facts of a case that retention conditions are written against."""
    facts = set(session.execute(select(situations.c.code)
                                .where(situations.c.case_id == case["id"])).scalars())
    for kind, body in session.execute(
            select(entries.c.kind, entries.c.body).where(entries.c.case_id == case["id"])
            .where(entries.c.kind.in_(["decision_issued", "decision_proposed", "av_record"]))):
        content = json.loads(body)["content"]
        if kind == "decision_proposed" and content["classification"]["major"]:
            facts.add("major_difficult_complex")
        elif kind == "decision_issued" and case["act_type"] == "penalty":
            facts.add("penalty_evidence")
        elif kind == "av_record" and content.get("evidence_note"):
            facts.add("used_as_evidence")
    if "non_cooperation" in facts:
        facts.add("obstruction")
    if "mass_incident" in facts:
        facts.add("major_emergency_mass_incident")
    return facts


def retention_for(session, case: dict, rules) -> list[dict]:
    return rulebook.retention_classes(rules.ruleset(case["ruleset"]), case_facts(session, case))



def record_refusal(db, actor: Actor, action: str, case_id: str | None, exc: Exception,
                   now: datetime) -> None:
    """A refused call is recorded in its own transaction (the call's own was rolled back):
    who (for a refused token: who it claimed to be, role "unverified"), what, which case if
    it exists, why."""
    with db.transaction() as session:
        case = None
        if isinstance(case_id, str) and case_id:
            case = session.execute(select(cases.c.id, cases.c.agency)
                                   .where(cases.c.id == case_id)).mappings().first()
        log_access(session, actor, action, case=dict(case) if case else None,
                   case_id=None, outcome="refused", now=now, reason=refusal_reason(exc))
