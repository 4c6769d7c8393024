"""A closed case's archive package (records.archive_due.v1): the case's entries in chain order,
the chain's verification report and the head's signed checkpoint fetched from the record keeper
over RPC, the documents and AV objects the vault holds for the case (AV included or referenced
by hash, as configured), a 卷内目录 as JSON and CSV — bagged (RFC 8493), checked (四性检测,
DA/T 70), stored write-once under the case file's retention class (rule set
retention.archives_term) with its report beside it; then the record keeper is told the case is
archived (archive_case, 000 第三十二条; 004 第四十三条) and package_stored.v1 is emitted.

Crash-safe against the write-once store: each write (the bag, then its report) is announced in
a transaction of its own before it is made (package_intents: the key and SHA-256 the object
will have); the objects and the package are recorded, and the announcement closed, in one
transaction after both copies of both are written. A delivery that dies in between leaves the
announcement; the redelivery adopts what the store and the replica hold under it — the bytes
hashed again and refused unless they are the announced content, a lock cut short completed,
a missing replica copied from the store — instead of writing again (which the store would
refuse), and re-runs the 四性 checks on the stored bag. The fixity audit's tick reports
announcements older than an hour that were never recorded (report_unfinished), logged once.

Once per event and per case: the inbox remembers the message with the last step, a package of
the case already stored is not built again (a redelivery only finishes telling the record
keeper), and archive_case goes with an idempotency key of the package. A record keeper that
does not answer raises Unavailable — a passing fault the consumer retries with back-off and
dead-letters after its bound — before anything is stored, or after the package is whole.

The record keeper is called as the vault itself (a service token per call, bound to the
event's agency: services.vault.dependencies.RecordKeeper). Config: VAULT_PACKAGE_AV =
reference (default: AV listed by hash in data/av-references.json) | include (AV copied into
the bag)."""
from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import tarfile
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import IO, Any, NoReturn, Protocol

from sqlalchemy.exc import IntegrityError

from contracts.records import CONTRACT as RECORDS
from services.vault import domain, store
from services.vault.domain import package as pkg
from services.vault.models import inbox
from services.vault.storage import Lock, ObjectStore, Refused, Written, later_or_same
from services.vault.storage.config import Stores
from services.vault.usecases import package_bag as bag
from services.vault.usecases.common import keep_refusal, key_of, lock_of
from shared.calendar.clock import local_date
from shared.errors import (
    DomainRuleViolated,
    NotFound,
    SanxiangError,
    ServiceNotDeployed,
    Unavailable,
)
from shared.messaging import consumer
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor

# the vault itself, as the record keeper knows it when the vault archives a case (a service
# token, shared.messaging.calls): its own log and its events name the same actor
ARCHIVER = {"id": "vault", "role": "service", "name": "档案存储归档"}
PAGE = 1000
TAR = "application/x-tar"


class RecordKeeper(Protocol):
    """The record keeper as the vault calls it: `call(agency, method, key=..., **request)` as
    the vault, for that agency (and `key`, the idempotency key of a write), answering what
    records answers, raising Unavailable when it does not answer."""

    def call(self, agency: str, method: str, *, key: str | None = None,
             **request: Any) -> Any:
        ...


def on_archive_due(body: dict, *, db: Db, rules: Rules, stores: Stores, outbox: OutboxWriter,
                   records: RecordKeeper, checkpoint_keys: Mapping[str, Any],
                   av_mode: str = "reference", now: datetime,
                   renderer: RecordKeeper | None = None) -> str | None:
    event = consumer.incoming(RECORDS, body)
    agency, data = event["agency"], event["data"]
    with db.read() as session:
        if consumer.already_handled(session, inbox, event["message_id"]):
            return None
        package = store.package_of(session, agency, data["case_id"])
        intent = None if package else store.intent_of(session, agency, data["case_id"])
    if package is None:
        event = _at_current_head(records, event)
        package = _build(event, intent, db=db, rules=rules, stores=stores, records=records,
                         keys=checkpoint_keys, av_mode=av_mode, now=now, renderer=renderer)
    told = None if package["state"] == "archived" else _tell_records(records, agency, package)
    # consumer.once without validating the event a second time
    with db.transaction() as session:
        if consumer.already_handled(session, inbox, event["message_id"]):
            return package["id"]
        consumer.remember(session, inbox, event, now)
        current = store.load_package(session, package["id"], lock=True)
        if told is not None and current["state"] != "archived":
            store.save_package(session, package["id"], state="archived",
                               archived_at=package["built_at"], archive_seq=told.get("seq"))
            store.log(session, package["object_id"], ARCHIVER, "case_archived",
                      {"package_id": package["id"], "case_id": package["case_id"],
                       "archive_seq": told.get("seq")}, now)
            store.emit(outbox, session, agency=agency, ruleset=event["ruleset"],
                       actor=ARCHIVER, event_type="package_stored.v1",
                       data=_stored_event(dict(current, state="archived",
                                               archived_at=package["built_at"],
                                               archive_seq=told.get("seq"))))
    return package["id"]


def _tell_records(records: RecordKeeper, agency: str, package: dict) -> dict:
    """archive_case, once (the package's idempotency key); a case someone archived already by
    hand is taken as told."""
    try:
        return dict(records.call(agency, "archive_case", key=f"vault-package-{package['id']}",
                                 case_id=package["case_id"],
                                 archived_at=package["built_at"].isoformat(),
                                 archive_no=f"VAULT-{package['id']}",
                                 location=f"档案存储 vault object {package['object_id']}"))
    except DomainRuleViolated:
        case = records.call(agency, "get_case", case_id=package["case_id"])
        if case["status"] != "archived":
            raise
        return {"seq": None}


# ---- building ---------------------------------------------------------------------------------

def _at_current_head(records: RecordKeeper, event: dict) -> dict:
    """archive_due.v1 names the head the case had when it closed; a case archived by hand
    meanwhile (or an entry corrected after closing) has moved on. The package holds the chain
    to the head it has now — the head its checkpoint is signed over — so its case.json says
    that head (a bag adopted after a crash answers for the head it holds, _build)."""
    data = event["data"]
    case = records.call(event["agency"], "get_case", case_id=data["case_id"])
    if case["head_seq"] <= data["head_seq"]:
        return event
    # the chain's seqs run 1..head without a gap: as many entries as the head's seq
    return dict(event, data=dict(data, head_seq=case["head_seq"], head_hash=case["head_hash"],
                                 entries=case["head_seq"]))


def _entries(records: RecordKeeper, agency: str, case_id: str, head_seq: int) -> list[dict]:
    out: list[dict] = []
    while len(out) < head_seq:
        page = records.call(agency, "get_entries", case_id=case_id, from_seq=len(out) + 1,
                            limit=PAGE)
        if not page:
            break
        out.extend(e for e in page if e["seq"] <= head_seq)
        if page[-1]["seq"] >= head_seq:
            break
    return out


def _fetch(records: RecordKeeper, agency: str, data: dict) -> tuple[list, dict, dict]:
    case_id = data["case_id"]
    entries = _entries(records, agency, case_id, data["head_seq"])
    verification = records.call(agency, "verify_case", case_id=case_id)
    checkpoint = records.call(agency, "checkpoint_case",
                              key=f"vault-package-checkpoint-{case_id}-{data['head_seq']}",
                              case_id=case_id)
    return entries, verification, checkpoint


def _build(event: dict, intent: dict | None, *, db: Db, rules: Rules, stores: Stores,
           records: RecordKeeper, keys: Mapping[str, Any], av_mode: str, now: datetime,
           renderer: RecordKeeper | None) -> dict:
    """The package built, written and recorded. Each write to the write-once store is announced
    first in a transaction of its own (package_intents: the key and digest it will have); a
    redelivery after a crash finds the announcement and adopts what the store holds under it
    (its digest checked, its lock made whole) instead of writing again."""
    agency, data = event["agency"], event["data"]
    built_at = intent["built_at"] if intent else now     # the package keeps its first time
    retention = domain.retention_for(rules.ruleset(event["ruleset"]), "case_file", set())
    lock = lock_of(stores, retention.until(local_date(built_at)), False)
    if intent is not None and stores.primary.exists(intent["bag_key"]):
        package_id, written, report, notes, data = _adopt(intent, db=db, stores=stores,
                                                          keys=keys, lock=lock)
        event = dict(event, data=data)  # the head the written bag holds
    else:
        package_id, written, report, notes = _fresh(
            event, intent, db=db, stores=stores, records=records, keys=keys, av_mode=av_mode,
            lock=lock, built_at=built_at, now=now, renderer=renderer)
    report.add("security", _security(stores, written, retention, built_at))
    about = {"package_id": package_id, "case_id": data["case_id"], "case_no": data["case_no"],
             "head_seq": data["head_seq"], "head_hash": data["head_hash"],
             "package_sha256": written.digests["sha256"], "checked_at": built_at.isoformat(),
             "notes": notes}
    report_dict, report_written = _report(intent, report.to_dict(**about), package_id, agency,
                                          db=db, stores=stores, lock=lock, now=now)
    return _record(db, stores, event, package_id, written, report_written, report_dict,
                   retention, built_at, now)


def _fresh(event: dict, intent: dict | None, *, db: Db, stores: Stores, records: RecordKeeper,
           keys: Mapping[str, Any], av_mode: str, lock: Lock, built_at: datetime,
           now: datetime, renderer: RecordKeeper | None
           ) -> tuple[str, Written, pkg.Report, list[dict]]:
    """The bag made from the record keeper's answers and the vault's objects, written as one
    tar (in memory, or spilled to a temporary file when large), checked from that tar, its
    write announced, then written into the store and the replica."""
    agency, data = event["agency"], event["data"]
    entries, verification, checkpoint = _fetch(records, agency, data)
    with db.read() as session:
        held = store.objects_of_case(session, agency, data["case_id"])
        named = store.objects_by_sha256(session, agency,
                                        [a["sha256"] for a in data["av_objects"]])
    package_id = intent["package_id"] if intent else str(uuid.uuid4())
    files, items = _payload(data, entries, verification, checkpoint, held, named, stores,
                            av_mode)
    rendered, notes = _render_index(renderer, agency, data, _index_rows(items, []),
                                    local_date(built_at).isoformat(), package_id, db=db,
                                    stores=stores)
    files += _index(items, rendered) + rendered
    with tempfile.SpooledTemporaryFile(max_size=bag.SPOOL) as tar:
        sha = bag.write_bag(tar, f"case-{data['case_id']}",
                            rules_bag_info(data, agency, built_at, package_id), files,
                            int(built_at.timestamp()))
        tar.seek(0)
        report = bag.check(bag.scan(tar), data, entries, verification, checkpoint, keys,
                           {s: o["state"] == "stored" for s, o in named.items()}, len(files))
        if not report.passed:
            _refuse(db, data, report, now)
        key = key_of(agency, sha)
        _announce(db, event, intent, package_id, key, sha, built_at, now)
        written = _put(stores, key, sha, lock, lambda: _rewound(tar))
    return package_id, written, report, notes


@contextlib.contextmanager
def _rewound(stream: IO[bytes]) -> Iterator[IO[bytes]]:
    stream.seek(0)
    yield stream


def _adopt(intent: dict, *, db: Db, stores: Stores, keys: Mapping[str, Any],
           lock: Lock) -> tuple[str, Written, pkg.Report, list[dict], dict]:
    """The bag an earlier delivery wrote before it could record it: its digest checked against
    the announcement, the replica completed from it, its 四性 checks run on it as stored; with
    the archive_due data it was made for (its case.json, the head it holds)."""
    key = intent["bag_key"]
    written = _put(stores, key, intent["bag_sha256"], lock, lambda: stores.primary.open(key))
    found = bag.scan_stored(stores.primary, key)
    report = _scan_check(found, db, intent["agency"], keys)
    if not report.passed:
        _refuse(db, found.json(bag.CASE), report, intent["updated_at"])
    return (intent["package_id"], written, report, pkg.index_notes(list(found.manifest)),
            found.json(bag.CASE))


def _announce(db: Db, event: dict, intent: dict | None, package_id: str, key: str, sha: str,
              built_at: datetime, now: datetime) -> None:
    """The bag's write announced before it is made, in its own transaction."""
    agency, data = event["agency"], event["data"]
    try:
        with db.transaction() as session:
            if intent is None:
                store.insert_intent(session, {
                    "package_id": package_id, "agency": agency, "case_id": data["case_id"],
                    "message_id": event["message_id"], "built_at": built_at, "bag_key": key,
                    "bag_sha256": sha, "report_key": None, "report_sha256": None,
                    "state": "pending", "updated_at": now, "reported_at": None})
            else:
                store.save_intent(session, package_id, bag_key=key, bag_sha256=sha,
                                  report_key=None, report_sha256=None, updated_at=now)
    except IntegrityError:
        raise Unavailable(
            f"case {data['case_no']} is being packaged by another delivery of its event",
            message_zh=f"案件{data['case_no']}的归档包正由该事件的另一次投递生成，稍后重试",
            details={"retry": True, "case_id": data["case_id"]}) from None


def _report(intent: dict | None, report: dict, package_id: str, agency: str, *, db: Db,
            stores: Stores, lock: Lock, now: datetime) -> tuple[dict, Written]:
    """The report stored beside the bag, its write announced first; the one an earlier delivery
    wrote under its announcement is adopted as it stands."""
    if intent is not None and intent["report_key"] and \
            stores.primary.exists(intent["report_key"]):
        key, sha = intent["report_key"], intent["report_sha256"]
        written = _put(stores, key, sha, lock, lambda: stores.primary.open(key))
        with stores.primary.open(key) as stream:
            return json.loads(stream.read()), written
    body = pkg.json_bytes(report)
    sha = hashlib.sha256(body).hexdigest()
    key = key_of(agency, sha)
    with db.transaction() as session:
        store.save_intent(session, package_id, report_key=key, report_sha256=sha,
                          updated_at=now)
    return report, _put(stores, key, sha, lock, lambda: contextlib.nullcontext(io.BytesIO(body)))


def rules_bag_info(data: dict, agency: str, now: datetime, package_id: str) -> dict[str, str]:
    return pkg.bag_info(data, agency, local_date(now).isoformat(), package_id)


def _payload(data: dict, entries: list, verification: dict, checkpoint: dict,
             held: list[dict], named: dict[str, dict], stores: Stores,
             av_mode: str) -> tuple[list[bag.File], list[pkg.Item]]:
    """The bag's payload files (paths under data/) but the 卷内目录: the texts in memory, the
    vault's objects read from the store as the tar is written; and what the index says of
    each."""
    texts = [(bag.CASE, "归档通知（archive_due.v1）", pkg.json_bytes(data)),
             (pkg.ENTRIES, f"执法全过程记录（链上记录，共{len(entries)}条）",
              pkg.entries_text(entries)),
             (pkg.VERIFICATION, "记录链校验报告", pkg.json_bytes(verification)),
             (pkg.CHECKPOINT, "链头签名检查点", pkg.json_bytes(checkpoint))]
    files = [bag.File(path, len(body), data=body) for path, _, body in texts]
    items = [_text_item(path, title, body) for path, title, body in texts]
    objects = {o["id"]: o for o in held}
    objects.update({o["id"]: o for o in named.values() if o["state"] == "stored"})
    references = []
    for obj in objects.values():
        if obj["subject"] == "av" and av_mode != "include":
            references.append({k: obj[k] for k in ("id", "sha256", "size", "name", "media_type")})
            continue
        folder = "av" if obj["subject"] == "av" else "documents"
        path = f"{folder}/{obj['sha256'][:12]}-{pkg.safe_name(obj['name'], obj['id'])}"
        files.append(bag.File(path, obj["size"], source=(stores.primary, obj["key"])))
        items.append(pkg.Item(path, obj["name"], obj["media_type"], obj["sha256"],
                              obj["size"], obj["stored_by"], obj["stored_at"].date()
                              .isoformat(), f"vault object {obj['id']}"))
    if references:
        body = pkg.json_bytes(references)
        files.append(bag.File(pkg.AV_REFERENCES, len(body), data=body))
        items.append(_text_item(pkg.AV_REFERENCES, "音像资料（按哈希引用）", body))
    return files, items


def _text_item(path: str, title: str, body: bytes) -> pkg.Item:
    media = "application/json" if path.endswith(".json") else "application/jsonl"
    return pkg.Item(path, title, media, hashlib.sha256(body).hexdigest(), len(body))


def _index_rows(items: list[pkg.Item], rendered: list[bag.File]) -> list[dict]:
    """The 卷内目录's rows: every item, then the index's own files listed by name (their own
    digests cannot be in themselves; the bag's manifest has them)."""
    rows = pkg.index_rows(items)
    own = [(pkg.INDEX_JSON, "卷内目录（JSON）", "application/json"),
           (pkg.INDEX_CSV, "卷内目录（CSV）", "text/csv")]
    own += [(f.path, f"卷内目录（{f.path.rsplit('.', 1)[-1].upper()}）", _MEDIA[f.path])
            for f in rendered]
    return rows + [{"序号": len(rows) + n, "题名": title, "责任者": "", "日期": "",
                    "文件": f"data/{path}", "类型": media, "SHA-256": "", "备注": "见 manifest"}
                   for n, (path, title, media) in enumerate(own, start=1)]


_MEDIA = {pkg.INDEX_RENDERED["docx"]: "application/vnd.openxmlformats-officedocument."
                                      "wordprocessingml.document",
          pkg.INDEX_RENDERED["pdf"]: "application/pdf"}


def _index(items: list[pkg.Item], rendered: list[bag.File]) -> list[bag.File]:
    """The 卷内目录 as JSON and CSV, listing every file of the bag."""
    rows = _index_rows(items, rendered)
    as_json, as_csv = pkg.json_bytes(rows), pkg.index_csv(rows)
    return [bag.File(pkg.INDEX_JSON, len(as_json), data=as_json),
            bag.File(pkg.INDEX_CSV, len(as_csv), data=as_csv)]


def _render_index(renderer: RecordKeeper | None, agency: str, data: dict, rows: list[dict],
                  compiled_on: str, package_id: str, *, db: Db,
                  stores: Stores) -> tuple[list[bag.File], list[dict]]:
    """The 卷内目录 rendered by the renderer (template case_file_index, docx and PDF), called
    as the vault itself; its files for the bag, and the report's notes. A renderer this
    deployment does not have, or one refusing the index, leaves the JSON and CSV index alone
    and a note saying why; one that is deployed and does not answer is Unavailable — the event
    is retried, so that a package is not archived without it for a passing fault."""
    if renderer is None:
        return [], pkg.index_notes([], "no renderer in this deployment: the 卷内目录 is "
                                       "JSON and CSV only")
    try:
        answer = renderer.call(agency, "render", key=f"vault-package-index-{package_id}",
                               template_id=pkg.INDEX_TEMPLATE, formats=["docx", "pdf"],
                               data=pkg.index_document(data, rows, compiled_on),
                               reference=data["case_no"])
    except Unavailable:
        raise
    except ServiceNotDeployed as exc:
        return [], pkg.index_notes([], f"the renderer is not deployed: {exc.message}")
    except SanxiangError as exc:
        return [], pkg.index_notes([], f"the renderer refused the 卷内目录: {exc.code}: "
                                       f"{exc.message}")
    files = [_rendered_file(out, db=db, stores=stores) for out in answer["outputs"]
             if out["format"] in pkg.INDEX_RENDERED]
    return files, [{"code": n["code"], "detail": n["message"]} for n in answer["notes"]]


def _rendered_file(out: dict, *, db: Db, stores: Stores) -> bag.File:
    """A rendered output as a bag file: the bytes in the answer, or the vault object the
    renderer stored them as."""
    path = pkg.INDEX_RENDERED[out["format"]]
    if out.get("content_base64"):
        body = base64.b64decode(out["content_base64"])
        return bag.File(path, len(body), data=body)
    with db.read() as session:
        obj = store.load_object(session, out["object_ref"])
    return bag.File(path, obj["size"], source=(stores.primary, obj["key"]))


def _refuse(db: Db, data: dict, report: pkg.Report, now: datetime) -> NoReturn:
    failed = ", ".join(pkg.failures(report.to_dict()))
    exc = DomainRuleViolated(
        f"the package of case {data['case_no']} fails its 四性检测: {failed}",
        message_zh=f"案件{data['case_no']}的归档包未通过四性检测：{failed}", details={
            "case_id": data["case_id"], "rule": "package_check_failed",
            "failed": pkg.failures(report.to_dict())})
    keep_refusal(db, data["case_id"], ARCHIVER, "package_case", exc, now)
    raise exc


def _put(stores: Stores, key: str, sha: str, lock: Lock,
         source: Callable[[], AbstractContextManager[IO[bytes]]]) -> Written:
    """Write-once into the store and the replica under the case file's lock; a copy already
    there (an earlier delivery's, announced) is checked against the digest and adopted."""
    written = None
    for target in (stores.primary, stores.replica):
        if target is None:
            continue
        found = _already(target, key, sha, lock)
        if found is None:
            try:
                with source() as stream:
                    found = target.put(key, stream, lock=lock,  # type: ignore[arg-type]
                                       algorithms=("sha256",), expect={"sha256": sha})
            except Refused as exc:
                if exc.details.get("rule") != "write_once":
                    raise
                found = _already(target, key, sha, lock)    # written a moment ago
            assert found is not None
        written = written or found
    assert written is not None
    return written


def _already(target: ObjectStore, key: str, sha: str, lock: Lock) -> Written | None:
    """What `target` holds under `key`, when it does: its bytes hashed again (refused when they
    are not the announced content), its lock completed if a write was cut short before it."""
    if not target.exists(key):
        return None
    found = target.digest(key, ("sha256",))["sha256"]
    if found != sha:
        raise DomainRuleViolated(
            f"{key} in {target.where} does not hash to the {sha} announced for it",
            message_zh=f"{target.where} 中的 {key} 与为其登记的摘要 {sha} 不符，不予采用",
            details={"key": key, "rule": "digest_mismatch", "expected": sha, "found": found})
    written = target.stat(key)
    if written.lock.mode != lock.mode or not later_or_same(written.lock.until, lock.until):
        written = target.retain(key, lock)
    return written


def _security(stores: Stores, written: Written, retention: domain.Retention,
              now: datetime) -> list[pkg.Check]:
    """The stored package under a lock at least as long as its class, and its replica."""
    lock = stores.primary.stat(written.key).lock
    replica = None
    if stores.replica is not None:
        try:
            replica = stores.replica.digest(written.key, ("sha256",))["sha256"]
        except NotFound:
            replica = None
    return [pkg.lock_check(lock.mode, lock.until,
                             domain.lock_until(retention.until(local_date(now)))),
            pkg.replica_check(written.digests["sha256"], replica, stores.replica is not None)]


def _object_row(agency: str, data: dict, written: Written, name: str, media_type: str,
                retention: domain.Retention, stores: Stores, now: datetime) -> dict:
    return {"id": str(uuid.uuid4()), "agency": agency, "key": written.key,
            "subject": "case_file", "name": name, "media_type": media_type,
            "size": written.size, "sha256": written.digests["sha256"],
            "digests": written.digests, "case_id": data["case_id"], "facts": [],
            "retention": retention.to_dict(), "retain_until": retention.until(local_date(now)),
            "lock_mode": written.lock.mode, "legal_hold": False, "state": "stored",
            "store": stores.primary.where, "replica": "ok" if stores.replica else None,
            "stored_at": now, "stored_by": ARCHIVER["id"], "last_fixity_at": None,
            "last_fixity_outcome": None}


def _record(db: Db, stores: Stores, event: dict, package_id: str, written: Written,
            report_written: Written, report: dict, retention: domain.Retention,
            built_at: datetime, now: datetime) -> dict:
    """The objects and the package recorded, and their announcement closed, in one
    transaction."""
    agency, data = event["agency"], event["data"]
    bag_row = _object_row(agency, data, written, f"{data['case_no']}.bag.tar", TAR, retention,
                          stores, built_at)
    report_row = _object_row(agency, data, report_written, f"{data['case_no']}.四性检测.json",
                             "application/json", retention, stores, built_at)
    row = {"id": package_id, "agency": agency, "case_id": data["case_id"],
           "case_no": data["case_no"], "head_seq": data["head_seq"],
           "head_hash": data["head_hash"], "object_id": bag_row["id"],
           "report_object_id": report_row["id"], "report": report, "state": "stored",
           "message_id": event["message_id"], "built_at": built_at, "archived_at": None,
           "archive_seq": None}
    try:
        with db.transaction() as session:
            for obj in (bag_row, report_row):
                store.insert_object(session, obj)
            store.insert_package(session, row)
            store.save_intent(session, package_id, state="stored", updated_at=now)
            store.log(session, bag_row["id"], ARCHIVER, "package_stored",
                      {"package_id": package_id, "case_id": data["case_id"],
                       "report_object_id": report_row["id"], "passed": report["passed"]}, now)
    except IntegrityError:
        # another instance stored this case's package a moment ago: that one stands
        with db.read() as session:
            found = store.package_of(session, agency, data["case_id"])
        if found is None:
            raise
        return found
    return row


# ---- announced and never recorded ----------------------------------------------------------

UNFINISHED_AFTER = timedelta(hours=1)     # a package's writes outlive their delivery by this


def report_unfinished(*, db: Db, stores: Stores, now: datetime,
                      after: timedelta = UNFINISHED_AFTER) -> list[dict]:
    """The packages whose writes were announced more than `after` ago and never recorded (a
    delivery that died between the store and the database, and no redelivery since): what the
    store holds of each, logged once (package_unfinished) — the next delivery adopts it."""
    with db.read() as session:
        found = store.unfinished_intents(session, now - after)
    out = []
    for intent in found:
        item = {"package_id": intent["package_id"], "agency": intent["agency"],
                "case_id": intent["case_id"], "announced_at": intent["updated_at"].isoformat(),
                "bag_key": intent["bag_key"],
                "bag_stored": stores.primary.exists(intent["bag_key"]),
                "report_key": intent["report_key"],
                "report_stored": bool(intent["report_key"])
                and stores.primary.exists(intent["report_key"])}
        if intent["reported_at"] is None:
            with db.transaction() as session:
                store.log(session, intent["package_id"], ARCHIVER, "package_unfinished", item,
                          now)
                store.save_intent(session, intent["package_id"], reported_at=now)
        out.append(item)
    return out


# ---- checking again -----------------------------------------------------------------------

def verify_package(p: dict, *, actor: Actor, db: Db, stores: Stores,
                   checkpoint_keys: Mapping[str, Any], now: datetime, **_: object) -> dict:
    """The 四性检测 run again on the package as the store holds it now: the bag read back,
    its digest against the recorded one, every check of the first run, its lock and replica.
    The run is logged with its outcome; the report kept with the package stays the first."""
    with db.read() as session:
        package = store.load_package(session, p["package_id"])
        actor.require(agency=package["agency"])
        obj = store.load_object(session, package["object_id"])
    report = pkg.Report()
    found = _found(stores, obj)
    report.add("authenticity", [pkg.Check(
        "package_digest", found == obj["sha256"],
        "the stored bag hashes to its recorded digest" if found == obj["sha256"]
        else "the stored bag is missing" if found is None else "the stored bag was altered")])
    if found is not None:
        _recheck(report, db, stores, obj, package, checkpoint_keys)
    written = Written(obj["key"], obj["size"], obj["digests"], lock_of(stores, None, False))
    report.add("security", _security(stores, written, _retention(obj), obj["stored_at"]))
    about = {"package_id": package["id"], "case_id": package["case_id"],
             "case_no": package["case_no"], "head_seq": package["head_seq"],
             "head_hash": package["head_hash"], "package_sha256": obj["sha256"],
             "checked_at": now}
    answer = report.to_dict(**about)
    with db.transaction() as session:
        store.log(session, obj["id"], actor, "package_verified",
                  {"package_id": package["id"], "passed": answer["passed"],
                   "failed": pkg.failures(answer)}, now)
    return answer


def _found(stores: Stores, obj: dict) -> str | None:
    try:
        return stores.primary.digest(obj["key"], ("sha256",))["sha256"]
    except NotFound:
        return None


def _recheck(report: pkg.Report, db: Db, stores: Stores, obj: dict, package: dict,
             keys: Mapping[str, Any]) -> None:
    try:
        found = _scan_check(bag.scan_stored(stores.primary, obj["key"]), db,
                            package["agency"], keys)
    except (tarfile.TarError, OSError, ValueError, KeyError) as exc:
        report.add("integrity", [pkg.Check("bag_readable", False,
                                           f"the stored bag does not unpack: {exc!r}")])
        return
    for aspect, checks in found.checks.items():
        report.add(aspect, checks)


def _scan_check(found: bag.Scan, db: Db, agency: str, keys: Mapping[str, Any]) -> pkg.Report:
    """The checks of a bag read back from the store: the case, its chain, verification,
    checkpoint and 卷内目录 as the bag holds them."""
    data = found.json(bag.CASE)
    with db.read() as session:
        named = store.objects_by_sha256(session, agency,
                                        [a["sha256"] for a in data["av_objects"]])
    return bag.check(found, data, found.entries(), found.json(pkg.VERIFICATION),
                     found.json(pkg.CHECKPOINT), keys,
                     {s: o["state"] == "stored" for s, o in named.items()},
                     len(found.json(pkg.INDEX_JSON)))


def _retention(obj: dict) -> domain.Retention:
    r = obj["retention"]
    return domain.Retention(r["class"], r["label"], r["basis"], r["ruleset"], r["years"],
                            r["term"], r["term_basis"])


def _stored_event(package: dict) -> dict:
    report = package["report"]
    return {"package_id": package["id"], "case_id": package["case_id"],
            "case_no": package["case_no"], "head_seq": package["head_seq"],
            "head_hash": package["head_hash"], "object_id": package["object_id"],
            "sha256": report["package_sha256"],
            "report_object_id": package["report_object_id"], "passed": report["passed"],
            "archived_at": package["archived_at"].isoformat() if package["archived_at"]
            else None, "archive_seq": package["archive_seq"]}
