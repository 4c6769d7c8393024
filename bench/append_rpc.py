"""records.append_record over RPC, 8 concurrent callers, PostgreSQL: entries/s against a bare
kombu request/reply consumer doing the same insert (bench/bare_server.py append), both
driven by the same raw-kombu client. The bare loop runs before and after the service (its
mean is the baseline) so drift on a shared machine shows. Also measured: the client's
ceiling (an echo server), the CPU each process group used, and the outbox's progress.

Target: ≥ 1,500 entries/s and ≥ 0.5× the bare loop.

    .venv/bin/python bench/append_rpc.py [--quick] [--callers 8] [--seconds 10] [--profile DIR]"""
from __future__ import annotations

import contextlib
import time
import uuid

import common
from common import BenchError, row
from loadgen import RpcClient, noise_warning

TARGET_RATE = 1500
TARGET_RATIO = 0.5
NAME = "append_rpc"


def _outbox_backlog(db_url: str, drain_limit: float = 60) -> tuple[int, float | None]:
    """Events still pending in the outbox when the window closed, and how long the relay then
    took to publish them with no calls coming in (None if not within drain_limit)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(db_url)
    query = text("select count(*) from outbox where state = 'pending'")
    try:
        with engine.connect() as c:
            backlog = int(c.execute(query).scalar_one())
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < drain_limit:
            with engine.connect() as c:
                if c.execute(query).scalar_one() == 0:
                    return backlog, time.perf_counter() - t0
            time.sleep(0.1)
        return backlog, None
    finally:
        engine.dispose()


def _measure(client: RpcClient, routing_key: str, cases: list[str], headers: dict, args,
             server_pid: int | list[int] | None) -> dict:
    return client.closed_loop(
        routing_key, lambda caller, n: (common.note_payload(cases[caller], n), headers),
        callers=args.callers, warmup=args.warmup, duration=args.seconds, server_pid=server_pid)


def _events_tap(client: RpcClient):
    """A queue bound to every records event, as consumers would be in production (so events
    are routed, not returned as unroutable); returns a function counting what it holds."""
    from kombu import Exchange, Queue
    channel = client.conn.channel()
    queue = Queue("bench-events-tap", Exchange("records.events", type="topic", durable=True),
                  routing_key="#", durable=False, auto_delete=False)
    queue(channel).declare()
    return lambda: channel.queue_declare(queue=queue.name, passive=True).message_count


def _service_run(client, wd, amqp, db_url, keys, headers, args, tag: str,
                 extra: dict | None = None, during=None):
    """`extra`: config keys for the service (bench/metrics_overhead.py); `during`: a context
    manager factory run around the measured window."""
    tap = _events_tap(client)
    procs = []
    try:
        # one after another: instances starting together race on the schema migration
        for i in range(args.processes):
            (wd / f"svc{tag}{i}").mkdir()
            procs.append(common.start_service(wd / f"svc{tag}{i}", amqp_uri=amqp,
                                              db_url=db_url, keys_dir=keys, extra=extra))
            common.wait_health(client, procs[-1])
            if i:
                common.wait_consumers(amqp, "rpc-records", i + 1, procs)
        svc = procs[0]
        cases = []
        for i in range(args.callers):
            reply = client.call("records.open_case",
                                common.open_case_payload(f"陵应急立〔2025〕{tag}{i}号"), headers)
            if reply["error"]:
                raise BenchError(f"open_case failed: {reply['error']}")
            cases.append(reply["result"]["id"])
        events0, t0 = tap(), time.perf_counter()
        with common.profiler(svc.pid, args.profile, "append_record"), \
                (during() if during is not None else contextlib.nullcontext()):
            result = _measure(client, "records.append_record", cases, headers, args,
                              [proc.pid for proc in procs])
        result["relay_rate"] = (tap() - events0) / (time.perf_counter() - t0)
        result["backlog"], result["drain_s"] = _outbox_backlog(db_url)
        return result
    finally:
        for proc in procs:
            proc.stop()


def run(args) -> tuple[list[dict], list[str]]:
    if args.quick:
        args.seconds, args.warmup = min(args.seconds, 3.0), min(args.warmup, 1.0)
    with common.workdir(NAME) as wd, common.rabbit_vhost(NAME) as amqp, \
            common.pg_database(NAME) as db_url, RpcClient(amqp) as client:
        keys = wd / "keys"
        headers = common.officer_headers(keys)

        echo = common.start_bare(wd, "echo", amqp_uri=amqp)
        try:
            ceiling = client.closed_loop("bare.echo", lambda c, n: ({}, {}),
                                         callers=args.callers, warmup=args.warmup,
                                         duration=args.seconds, server_pid=echo.pid)
        finally:
            echo.stop()

        def bare_run():
            proc = common.start_bare(wd, "append", amqp_uri=amqp, dsn=db_url)
            try:
                return _measure(client, "bare.append",
                                [str(uuid.uuid4()) for _ in range(args.callers)], headers,
                                args, proc.pid)
            finally:
                proc.stop()

        bares = [bare_run()]
        svc = _service_run(client, wd, amqp, db_url, keys, headers, args, "B")
        if not args.quick:
            bares.append(bare_run())

    bare_rates = [b["rate"] for b in bares]
    bare = dict(bares[0], rate=sum(bare_rates) / len(bare_rates))
    ratio = svc["rate"] / bare["rate"]
    ms = lambda r, q: f"{1000 * common.percentile(r['latencies'], q):.2f}"
    notes = [f"{NAME}: {args.callers} callers, {args.seconds:.0f}s after {args.warmup:.0f}s "
             "warm-up; CPU per process group during each window (100% = one core of 2):"]
    label = "records.append_record" + (f" x{args.processes}" if args.processes > 1 else "")
    runs = [("client ceiling (echo)", ceiling), ("bare kombu+psycopg2", bares[0]),
            (label, svc)] + [("bare again, after", b) for b in bares[1:]]
    for what, r in runs:
        extra = ""
        if "backlog" in r:
            drain = (f"relay drained it in {r['drain_s']:.1f}s once idle" if r["drain_s"]
                     is not None else "not drained within 60s")
            extra = (f"\n{'':27}outbox: relayed {r['relay_rate']:.0f} events/s under load; "
                     f"{r['backlog']} pending when the window closed; {drain}")
        notes.append(f"  {what:<25} {r['rate']:6.0f}/s  p50 {ms(r, 50)} ms  p99 {ms(r, 99)} ms"
                     f"  [{r['cpu_summary']}]{extra}")
    notes += noise_warning([r for _, r in runs])
    rows = [
        row(NAME, "client ceiling, echo server (entries/s)", f"{ceiling['rate']:.0f}"),
        row(NAME, "bare kombu + psycopg2 insert (entries/s)", f"{bare['rate']:.0f}" + (
            f" (mean of {' and '.join(f'{b_rate:.0f}' for b_rate in bare_rates)})"
            if len(bare_rates) > 1 else "")),
        row(NAME, f"{label} (entries/s)", f"{svc['rate']:.0f}",
            f">= {TARGET_RATE}", svc["rate"] >= TARGET_RATE),
        row(NAME, "append_record / bare", f"{ratio:.2f}x", f">= {TARGET_RATIO}x",
            ratio >= TARGET_RATIO),
        row(NAME, "append_record p50 / p99 (ms)", f"{ms(svc, 50)} / {ms(svc, 99)}"),
        row(NAME, "outbox events pending at window end", f"{svc['backlog']}"),
    ]
    return rows, notes


if __name__ == "__main__":
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--callers", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--processes", type=int, default=1,
                   help="service processes sharing the RPC queue (default 1; --profile "
                   "samples the first)")
    p.add_argument("--profile", metavar="DIR",
                   help="record the service with py-spy (on PATH or $PYSPY) into DIR")
    raise SystemExit(common.main(run, p))
