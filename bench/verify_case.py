"""services.records.queries.verify_case in-process (reading the chain from the database
included) against a bare hashlib loop — sha256(prev + "\\n" + body) over the same bodies,
already in memory — on PostgreSQL and SQLite. The case is built through the use cases
(open_case, then append_record of notes, committed in batches to be quick). Measured twice:
before any checkpoint, and with a signed checkpoint at the head (what the service's
5-minute timer leaves behind), which makes verify_case recompute the links up to it.

Target: verify_case ≥ 0.5× the bare loop (entries/s), for both databases.

    .venv/bin/python bench/verify_case.py [--quick] [--entries 20000] [--repeat 5]"""
from __future__ import annotations

import contextlib
import hashlib
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import common
from common import row
from sqlalchemy.orm import Session

from shared.persistence.db import Db

NAME = "verify_case"
TARGET_RATIO = 0.5


class BatchDb(Db):
    """The use cases' `db`, but every transaction() joins one open session, so a batch of
    use-case calls commits once (only to build the case quickly). It has no engine of its own:
    the session's transaction is the only one."""

    def __init__(self, session: Session) -> None:  # no Db.__init__: it would make an engine's
        self.session = session
        self.dialect = session.get_bind().dialect.name

    @contextlib.contextmanager
    def _joined(self) -> Iterator[Session]:
        yield self.session

    def transaction(self) -> contextlib.AbstractContextManager[Session]:
        return self._joined()

    read = transaction
    autocommit = transaction


def build_case(db: Db, entries: int, batch: int = 1000,
               case_no: str = "陵应急立〔2025〕V1号") -> str:
    from contracts.records import CONTRACT
    from services.records.models import outbox as outbox_table
    from services.records.usecases import cases, records
    from shared.calendar.clock import now
    from shared.contracts.registry import load
    from shared.messaging.outbox import OutboxWriter
    from shared.rulesets.provider import Rules
    from shared.trust.actor import Actor

    rules = Rules.from_config({"AGENCIES": common.AGENCIES})
    # the events are never consumed here: a throwaway key signs them as the service's would
    outbox = OutboxWriter(outbox_table, CONTRACT, signer=common.throwaway_key("records"))
    actor = Actor(id="officer-bench", role="officer", agency=common.AGENCY)
    request = CONTRACT.rpc("append_record").request
    case = cases.open_case(load(CONTRACT.rpc("open_case").request,
                                common.open_case_payload(case_no)),
                           db=db, now=now(), actor=actor, outbox=outbox, rules=rules)
    done = 1
    while done < entries:
        with db.transaction() as session:
            batch_db = BatchDb(session)
            for _ in range(min(batch, entries - done)):
                records.append_record(load(request, common.note_payload(case["id"], done)),
                                      db=batch_db, now=now(), actor=actor, outbox=outbox,
                                      rules=rules)
                done += 1
    return case["id"]


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object, float]:
    """(best seconds, last result, median seconds)"""
    times: list[float] = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result, statistics.median(times)


def measure(db_url: str, keys_dir, args) -> dict:
    from sqlalchemy import select

    from contracts.records import CONTRACT
    from services.records import queries
    from services.records.domain import chain
    from services.records.domain.chain import CheckpointKeys
    from services.records.models import entries
    from services.records.models import outbox as outbox_table
    from services.records.usecases import checkpoints
    from shared.calendar.clock import now
    from shared.messaging.outbox import OutboxWriter
    from shared.persistence.db import make_engine, migrate, open_db
    from shared.trust.actor import Actor
    from shared.trust.keys import KeyStore, init_deployment

    engine = make_engine(db_url)
    migrate(engine, "services.records:migrations")
    db = open_db(engine)
    try:
        t0 = time.perf_counter()
        case_id = build_case(db, args.entries)
        build_s = time.perf_counter() - t0
        # Planner statistics, as autovacuum would have them on a live table; without them a
        # fresh PostgreSQL table gets a bitmap scan plus an on-disk sort instead of the
        # (case_id, seq) index scan.
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE entries")
        init_deployment(keys_dir, ["records"], checkpoint_signers=["records"], issuer=False)
        key = CheckpointKeys.of(KeyStore(keys_dir).checkpoint_key("records").key)
        actor = Actor(id="head-bench", role="head", agency=common.AGENCY)

        def verify():
            report = queries.verify_case({"case_id": case_id}, actor=actor, db=db,
                                         signing_key=key, now=now())
            if not report["ok"] or report["entries_checked"] != args.entries:
                raise common.BenchError(f"verify_case did not pass: {report}")
            return report

        def read_rows():
            with db.read() as session:
                return session.execute(
                    select(entries.c.seq, entries.c.body, entries.c.prev_hash,
                           entries.c.entry_hash).where(entries.c.case_id == case_id)
                    .order_by(entries.c.seq)).all()

        def read_raw():  # the driver's own cursor: what the rows cost without SQLAlchemy
            mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
            conn = engine.raw_connection()
            try:
                cur = conn.cursor()
                cur.execute("SELECT seq, body, prev_hash, entry_hash FROM entries "
                            f"WHERE case_id = {mark} ORDER BY seq", (case_id,))
                return cur.fetchall()
            finally:
                conn.close()

        rows = read_rows()
        bodies = [r.body for r in rows]

        def bare():
            prev = chain.GENESIS
            for body in bodies:
                prev = hashlib.sha256((prev + "\n" + body).encode()).hexdigest()
            return prev

        if bare() != rows[-1].entry_hash:
            raise common.BenchError("the bare loop does not reproduce the chain's head hash")
        out: dict[str, Any] = {"build_s": build_s,
                               "body_bytes": sum(len(b.encode()) for b in bodies)}
        out["bare"] = best(bare, args.repeat)
        out["read"] = best(read_rows, args.repeat)
        out["read_raw"] = best(read_raw, args.repeat)

        def bare_with_read():  # the same bare loop over rows the driver just fetched
            prev = chain.GENESIS
            for _seq, body, _prev, _hash in read_raw():
                prev = hashlib.sha256((prev + "\n" + body).encode()).hexdigest()
            return prev

        out["bare_read"] = best(bare_with_read, args.repeat)
        out["chain"] = best(lambda: chain.verify_chain(rows), args.repeat)
        out["verify"] = best(verify, args.repeat)
        # sign the head, as the service's timer would
        checkpoints.checkpoint_case({"case_id": case_id}, actor=actor, db=db, signing_key=key,
                                    outbox=OutboxWriter(outbox_table, CONTRACT,
                                                        signer=common.throwaway_key("records")),
                                    now=now())
        out["verify_cp"] = best(verify, args.repeat)
        return out
    finally:
        engine.dispose()


def run(args) -> tuple[list[dict], list[str]]:
    if args.quick:
        args.entries, args.repeat = min(args.entries, 3000), min(args.repeat, 3)
    results = {}
    with common.workdir(NAME) as wd:
        with common.pg_database(NAME) as pg_url:
            results["PostgreSQL"] = measure(pg_url, wd / "keys", args)
        results["SQLite"] = measure(f"sqlite:///{wd / 'records.sqlite3'}", wd / "keys", args)

    n = args.entries
    rate = lambda seconds: n / seconds
    notes = [f"{NAME}: one case of {n} entries; best of {args.repeat} (median in brackets); "
             "entries/s"]
    rows = []
    for dbname, r in results.items():
        bare, verify, verify_cp = r["bare"][0], r["verify"][0], r["verify_cp"][0]
        notes.append(
            f"  {dbname:<10} built in {r['build_s']:.1f}s ({n / r['build_s']:.0f} appends/s, "
            f"bodies {r['body_bytes'] / n:.0f} B avg); bare loop {rate(bare):,.0f}/s; "
            f"read rows alone {1000 * r['read'][0]:.1f} ms (driver cursor "
            f"{1000 * r['read_raw'][0]:.1f} ms); verify_chain on rows in memory "
            f"{1000 * r['chain'][0]:.1f} ms; verify_case {1000 * verify:.1f} ms "
            f"[{1000 * r['verify'][2]:.1f}], with checkpoint {1000 * verify_cp:.1f} ms "
            f"[{1000 * r['verify_cp'][2]:.1f}]")
        bare_read = r["bare_read"][0]
        rows += [
            row(NAME, f"{dbname}: bare sha256 loop (entries/s)", f"{rate(bare):,.0f}"),
            row(NAME, f"{dbname}: bare driver read + sha256 loop (entries/s)",
                f"{rate(bare_read):,.0f}; verify_case {bare_read / verify:.2f}x of it"),
            row(NAME, f"{dbname}: verify_case (entries/s)",
                f"{rate(verify):,.0f} ({bare / verify:.2f}x)", f">= {TARGET_RATIO}x bare",
                bare / verify >= TARGET_RATIO),
            row(NAME, f"{dbname}: verify_case, checkpoint at head (entries/s)",
                f"{rate(verify_cp):,.0f} ({bare / verify_cp:.2f}x)", f">= {TARGET_RATIO}x bare",
                bare / verify_cp >= TARGET_RATIO),
        ]
    return rows, notes


if __name__ == "__main__":
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--entries", type=int, default=20000)
    p.add_argument("--repeat", type=int, default=5)
    raise SystemExit(common.main(run, p))
