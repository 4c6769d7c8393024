"""A county's year of cases over real RPC: `--cases` cases (5,000) of `--entries` entries each
(30: the opening and 29 records), `--major` of them (5 %) taken instead through the major
decision and its legal review by the review board (the demo's case: proposal, the board's
request by event, materials, assignment, findings, opinion by event, decision, service,
closing, archiving), driven by 8 concurrent callers, each working through its share of the
cases one call after another. The record keeper and the review board run as production
runs them (`python -m nameko run`, own processes, PostgreSQL, outboxes relaying to
RabbitMQ).

Reported: entries/s against the bare append loop of the same run (bench/bare_server.py
append, 8 callers, before and after the year; their mean), the CPU the services and
PostgreSQL spent per call in the first and in the last 10 % of the calls (does a call cost
more as the year's history grows?), and the bytes the record keeper's tables hold per entry
(pg_total_relation_size of each table / entries) — as the year left them, and again after the
retention pass the service runs (shared.messaging.retention) once the year's published outbox
rows and handled inbox rows are past OUTBOX_RETENTION_DAYS / INBOX_RETENTION_DAYS: the pass
run as of a month after the year (every such row past both), then VACUUM FULL of the two
tables so that the files show what is left (a live service's autovacuum reuses the space for
new rows instead of returning it: its outbox holds about a retention's worth of rows, 7/365 of
a year's); and once more with OUTBOX_UNROUTED_RETENTION_DAYS=7, since an event no service of
the deployment consumes (entry_appended.v1 here) is unrouted, which the default keeps for good.
`--tap` binds a queue for every records event first, as a deployment consuming them would: the
events are then published, and the default pass prunes them.

Target: CPU per call, last 10 % / first 10 % ≤ 1.5×.

    .venv/bin/python bench/county_year.py [--quick] [--cases 5000] [--entries 30]
                                          [--major 0.05] [--callers 8] [--tap]"""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

import common
from common import BenchError, row
from loadgen import CpuMeter, RpcClient, _pids_named, _proc_cpu, noise_warning

NAME = "county_year"
TARGET_RATIO = 1.5
RECORDS_TABLES = ("entries", "cases", "outbox", "idempotency", "access_log", "av_records",
                  "situations", "checkpoints", "checkpoint_refusals", "inbox")


@dataclass
class Meter:
    """Calls counted as they complete, and the CPU of the services and of PostgreSQL read when
    the count crosses the edges of the first and the last tenth of the calls planned."""
    planned: int
    service_pids: list[int]
    done: int = 0
    entries: int = 0
    marks: dict[str, tuple[float, float, float, int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sample(self, name: str) -> None:
        services = sum(_proc_cpu(pid) for pid in self.service_pids)
        postgres = sum(_proc_cpu(pid) for pid in _pids_named("postgres"))
        self.marks[name] = (time.perf_counter(), services, postgres, self.done)

    def called(self, entry: bool) -> None:
        with self.lock:
            self.done += 1
            self.entries += entry
            if self.done == max(1, self.planned // 10):
                self.sample("first_end")
            if self.done == self.planned - self.planned // 10:
                self.sample("last_start")

    def per_call(self, start: str, end: str) -> tuple[float, float]:
        """CPU ms per call of the services and of PostgreSQL between two marks."""
        t0, s0, p0, n0 = self.marks[start]
        t1, s1, p1, n1 = self.marks[end]
        calls = max(1, n1 - n0)
        return 1000 * (s1 - s0) / calls, 1000 * (p1 - p0) / calls


class Caller:
    """One caller: its own connection, a token per role, its cases one after another."""

    def __init__(self, amqp: str, tokens: dict[str, dict], meter: Meter) -> None:
        self.client = RpcClient(amqp)
        self.tokens = tokens
        self.meter = meter

    def call(self, role: str, service: str, method: str, payload: dict, *,
             entry: bool = False) -> dict:
        reply = self.client.call(f"{service}.{method}", payload, self.tokens[role], timeout=60)
        self.meter.called(entry and reply["error"] is None)
        return reply

    def ok(self, role: str, service: str, method: str, payload: dict, *,
           entry: bool = False):
        reply = self.call(role, service, method, payload, entry=entry)
        if reply["error"] is not None:
            raise BenchError(f"{service}.{method} failed: {reply['error']}")
        return reply["result"]

    def routine(self, n: int, entries: int, tag: str) -> None:
        opened = self.ok("officer", "records", "open_case",
                         common.open_case_payload(f"陵应急立〔2025〕{tag}{n}号"), entry=True)
        for i in range(1, entries):
            self.ok("officer", "records", "append_record",
                    common.note_payload(opened["id"], i), entry=True)

    def major(self, n: int, tag: str) -> None:
        """The demo's case with the review board: each step as the demo performs it, a step
        waiting on an event asked again until its answer is there."""
        from demo import case as demo
        case_no = f"陵应急立〔2025〕{tag}M{n}号"
        ctx: dict = {"decision_no": case_no.replace("立", "罚")}
        for step in demo.steps(case_no, with_review=True):
            if step.expect_error or step.name == "staff_registered":
                continue  # refusals shown by the demo; the staff registered once, up front
            deadline = time.monotonic() + 60
            while True:
                payload = step.payload(ctx)
                items = payload if isinstance(payload, list) else [payload]
                replies = [self.call(step.role, step.service, step.method, item,
                                     entry=step.service == "records") for item in items]
                last = replies[-1]
                waiting = (step.retry_on and last["error"] is not None
                           and step.retry_on in json.dumps(last["error"]))
                if last["error"] is not None and not waiting:
                    raise BenchError(f"{step.name} failed: {last['error']}")
                if not waiting and (step.until is None or step.until(last["result"])):
                    demo.remember(ctx, step, last["result"])
                    break
                if time.monotonic() > deadline:
                    raise BenchError(f"{step.name}: no answer of the board within 60 s")
                time.sleep(0.1)

    def close(self) -> None:
        self.client.close()


def major_calls() -> int:
    """The calls of one major case when nothing has to be asked again."""
    from demo import case as demo
    total = 0
    for step in demo.steps("x", with_review=True):
        if step.expect_error or step.name == "staff_registered":
            continue
        payload = step.payload({"case_id": "c", "proposal_seq": 1, "review_id": "r",
                                "decision_no": "d"})
        total += len(payload) if isinstance(payload, list) else 1
    return total


def tokens(keys) -> dict[str, dict]:
    from demo.case import ACTORS
    signer = common.token_signer(keys)
    out = {role: {"nameko.actor_token": signer.issue(actor_id=who, role=role,
                                                     agency=common.AGENCY, name=who)}
           for role, who in ACTORS.items()}
    out["officer"] = common.officer_headers(keys)
    return out


def register_reviewer(amqp: str, headers: dict) -> None:
    from demo.case import REVIEWER
    with RpcClient(amqp) as client:
        reply = client.call("review.register_staff", {
            "agency": common.AGENCY, "person_id": REVIEWER, "name": "陈静",
            "position": "政策法规股股长", "roles": ["reviewer"], "legal_qualification": True,
            "qualification_no": "A20181405123", "prior_penalty_reviews": 12}, headers)
        if reply["error"] is not None:
            raise BenchError(f"register_staff failed: {reply['error']}")


def year(amqp: str, args, keys, service_pids: list[int]) -> dict:
    majors = set(range(0, args.cases, max(1, round(1 / args.major)))) if args.major else set()
    # (`--major 0`: routine cases alone, no major case's plan needed — its footage must be
    # stored in a vault first, which this bench does not run)
    planned = ((len(majors) * major_calls() if majors else 0)
               + (args.cases - len(majors)) * args.entries)
    meter = Meter(planned, service_pids)
    roles = tokens(keys)
    register_reviewer(amqp, roles["legal_unit"])
    tag = uuid.uuid4().hex[:4].upper()
    failures: list[BaseException] = []
    shares = [list(range(c, args.cases, args.callers)) for c in range(args.callers)]

    def work(share: list[int]) -> None:
        caller = Caller(amqp, roles, meter)
        try:
            for n in share:
                if failures:
                    return
                if n in majors:
                    caller.major(n, tag)
                else:
                    caller.routine(n, args.entries, tag)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            caller.close()

    threads = [threading.Thread(target=work, args=(share,), name=f"caller-{i}")
               for i, share in enumerate(shares)]
    cpu = CpuMeter(service_pids)
    meter.sample("start")
    with cpu:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    meter.sample("end")
    if failures:
        raise failures[0]
    seconds = meter.marks["end"][0] - meter.marks["start"][0]
    return {"seconds": seconds, "calls": meter.done, "entries": meter.entries,
            "rate": meter.entries / seconds, "majors": len(majors),
            "first": meter.per_call("start", "first_end"),
            "last": meter.per_call("last_start", "end"), "planned": planned,
            "cpu": cpu.percent(), "cpu_summary": cpu.summary()}


def bare_rate(client: RpcClient, wd, amqp: str, db_url: str, args) -> float:
    """The bare append loop (bench/bare_server.py append), as append_rpc runs it."""
    proc = common.start_bare(wd, "append", amqp_uri=amqp, dsn=db_url)
    headers: dict = {}
    cases = [str(uuid.uuid4()) for _ in range(args.callers)]
    try:
        return client.closed_loop(
            "bare.append", lambda caller, n: (common.note_payload(cases[caller], n), headers),
            callers=args.callers, warmup=1.0, duration=args.bare_seconds,
            server_pid=proc.pid)["rate"]
    finally:
        proc.stop()


def storage(db_url: str) -> tuple[int, dict[str, int], dict[str, int],
                                  dict[str, tuple[int, int, int]]]:
    """(entries, bytes per table, bytes of its indexes, (rows inserted, updated, updated in
    place — HOT) per table) of the record keeper's database; the bytes as the files hold
    them at the end, row versions an update left behind included until vacuum reuses them."""
    from sqlalchemy import create_engine, text
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            entries = int(conn.execute(text("SELECT count(*) FROM entries")).scalar_one())
            sizes = {t: int(conn.execute(text(f"SELECT pg_total_relation_size('{t}')"))
                            .scalar_one()) for t in RECORDS_TABLES}
            indexes = {t: int(conn.execute(text(f"SELECT pg_indexes_size('{t}')"))
                              .scalar_one()) for t in RECORDS_TABLES}
            conn.execute(text("SELECT pg_stat_force_next_flush()"))
            writes = {name: (int(ins), int(upd), int(hot)) for name, ins, upd, hot in
                      conn.execute(text("SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd "
                                        "FROM pg_stat_user_tables"))}
        return entries, sizes, indexes, writes
    finally:
        engine.dispose()


def tap_events(amqp: str) -> None:
    """A durable queue bound to `records.events` for every routing key (`--tap`): a consumer of
    every event, so the relay publishes each instead of keeping it unrouted. Nobody reads it;
    the bench's vhost goes with it."""
    from kombu import Connection, Exchange, Queue
    with Connection(amqp) as conn:
        Queue("county-year-tap", Exchange("records.events", type="topic", durable=True),
              routing_key="#", durable=True)(conn.default_channel).declare()


def prune_pass(db_url: str, unrouted_days: float | None = None) -> dict:
    """The retention pass as the service runs it, as of a month after the year; then VACUUM
    FULL of the outbox and the inbox (as the owner). Also the outbox's rows by state and event
    type before the pass (`states`)."""
    from datetime import UTC, datetime, timedelta

    from services.records.models import inbox, outbox
    from shared.messaging.retention import DEFAULTS, prune_once
    from shared.persistence.db import make_engine, open_db
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            states: dict[str, int] = {key: int(n) for key, n in conn.exec_driver_sql(
                "SELECT state || ' ' || event_type, count(*) FROM outbox GROUP BY 1")}
        done = prune_once(open_db(engine), outbox, inbox,
                          outbox_days=DEFAULTS["OUTBOX_RETENTION_DAYS"],
                          inbox_days=DEFAULTS["INBOX_RETENTION_DAYS"],
                          now=datetime.now(UTC) + timedelta(days=31),
                          unrouted_days=unrouted_days)
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in ("outbox", "inbox"):
                conn.exec_driver_sql(f"VACUUM FULL {table}")
        return dict(done, states=states)
    finally:
        engine.dispose()


def run(args) -> tuple[list[dict], list[str]]:
    from review_roundtrip import start_review, wait_ready
    if args.quick:
        args.cases, args.bare_seconds = min(args.cases, 200), min(args.bare_seconds, 3.0)
    with common.workdir(NAME) as wd, common.rabbit_vhost(NAME) as amqp, \
            common.pg_database(NAME) as db_url, common.pg_database("county_review") as review_db, \
            RpcClient(amqp) as client:
        keys = wd / "keys"
        common.token_signer(keys)
        bares = [bare_rate(client, wd, amqp, db_url, args)]
        (wd / "records").mkdir()
        records = common.start_service(wd / "records", amqp_uri=amqp, db_url=db_url,
                                       keys_dir=keys)
        review = None
        try:
            common.wait_health(client, records)
            if args.tap:
                tap_events(amqp)
            review = start_review(wd, amqp_uri=amqp, db_url=review_db, keys=keys)
            wait_ready(amqp, review)
            result = year(amqp, args, keys, [records.pid, review.pid])
        finally:
            for proc in (review, records):
                if proc is not None:
                    proc.stop()
        entries, sizes, indexes, writes = storage(db_url)
        pruned = prune_pass(db_url)
        _, pruned_sizes, pruned_indexes, _ = storage(db_url)
        # and as a deployment that keeps unrouted events a week (OUTBOX_UNROUTED_RETENTION_DAYS)
        unrouted = prune_pass(db_url, unrouted_days=7)
        _, unrouted_sizes, _, _ = storage(db_url)
        bares.append(bare_rate(client, wd, amqp, f"{db_url}", args))
    bare = sum(bares) / len(bares)
    (s0, p0), (s1, p1) = result["first"], result["last"]
    growth = (s1 + p1) / (s0 + p0)
    total = sum(sizes.values())
    notes = [f"{NAME}: {args.cases:,} cases ({result['majors']} major, through the review "
             f"board), {result['entries']:,} entries in {result['calls']:,} calls "
             f"({result['planned']:,} planned; the rest asked again while an event travelled), "
             f"{args.callers} callers, {result['seconds']:.0f} s",
             f"  CPU per process group over the year (100% = one core): "
             f"{result['cpu_summary']}",
             "  bytes per entry by table (of which its indexes): " + ", ".join(
                 f"{t} {size / entries:.0f} ({indexes[t] / entries:.0f})"
                 for t, size in sizes.items() if size),
             "  rows written per entry (inserted / updated, of which in place): " + ", ".join(
                 f"{t} {ins / entries:.2f} / {upd / entries:.2f} ({hot / entries:.2f})"
                 for t, (ins, upd, hot) in sorted(writes.items())
                 if t in RECORDS_TABLES and (ins or upd)),
             f"  after the retention pass ({pruned['outbox']:,} outbox and {pruned['inbox']:,} "
             "inbox rows pruned), bytes per entry by table: " + ", ".join(
                 f"{t} {size / entries:.0f} ({pruned_indexes[t] / entries:.0f})"
                 for t, size in pruned_sizes.items() if size),
             "  the outbox's rows before the pass, by state and event type: " + ", ".join(
                 f"{k} {n:,}" for k, n in sorted(pruned["states"].items())),
             f"  then with OUTBOX_UNROUTED_RETENTION_DAYS=7 ({unrouted['outbox']:,} more outbox "
             "rows pruned), bytes per entry by table: " + ", ".join(
                 f"{t} {size / entries:.0f}" for t, size in unrouted_sizes.items() if size)]
    notes += noise_warning([result])
    rows = [
        row(NAME, "entries/s over RPC (whole year)", f"{result['rate']:.0f}"),
        row(NAME, "bare append loop (entries/s)",
            f"{bare:.0f} (mean of {' and '.join(f'{b:.0f}' for b in bares)})"),
        row(NAME, "year / bare", f"{result['rate'] / bare:.2f}x"),
        row(NAME, "CPU ms per call, first 10 % (services + PostgreSQL)",
            f"{s0:.2f} + {p0:.2f} = {s0 + p0:.2f}"),
        row(NAME, "CPU ms per call, last 10 % (services + PostgreSQL)",
            f"{s1:.2f} + {p1:.2f} = {s1 + p1:.2f}"),
        row(NAME, "CPU per call, last / first", f"{growth:.2f}x", f"<= {TARGET_RATIO}x",
            growth <= TARGET_RATIO),
        row(NAME, "record keeper's tables, bytes per entry",
            f"{total / entries:.0f} (entries table {sizes['entries'] / entries:.0f})"),
        row(NAME, "the same after the retention pass (outbox + inbox past retention)",
            f"{sum(pruned_sizes.values()) / entries:.0f} "
            f"(outbox {pruned_sizes['outbox'] / entries:.0f}, "
            f"was {sizes['outbox'] / entries:.0f})"),
        row(NAME, "the same with OUTBOX_UNROUTED_RETENTION_DAYS=7 (unrouted rows too)",
            f"{sum(unrouted_sizes.values()) / entries:.0f} "
            f"(outbox {unrouted_sizes['outbox'] / entries:.0f})"),
    ]
    return rows, notes


if __name__ == "__main__":
    p = common.parser((__doc__ or NAME).splitlines()[0])
    p.add_argument("--cases", type=int, default=5000)
    p.add_argument("--entries", type=int, default=30)
    p.add_argument("--major", type=float, default=0.05, help="share of major cases")
    p.add_argument("--callers", type=int, default=8)
    p.add_argument("--bare-seconds", type=float, default=10.0)
    p.add_argument("--tap", action="store_true",
                   help="bind a queue for every records event, as a deployment consuming them "
                        "would: the events are published, not unrouted")
    raise SystemExit(common.main(run, p))
