"""records.get_case round-trip latency: sequential calls from one raw-kombu client after a
warm-up, the service on PostgreSQL (the target) and on SQLite (for context), beside a bare
kombu request/reply no-op (bench/bare_server.py echo) measured the same way.

Target (PostgreSQL): p50 ≤ 3 ms, p99 ≤ 15 ms.

    .venv/bin/python bench/get_case_latency.py [--quick] [--calls 2000] [--no-sqlite]"""
from __future__ import annotations

import common
from common import BenchError, percentile, row
from loadgen import RpcClient, noise_warning

NAME = "get_case_latency"
TARGET_P50, TARGET_P99 = 3.0, 15.0


def _sequential(client, routing_key, kwargs, headers, args, server_pid) -> dict:
    return client.closed_loop(routing_key, lambda caller, n: (kwargs, headers), callers=1,
                              warmup=0, warmup_count=args.warmup_calls, count=args.calls,
                              server_pid=server_pid)


def _service(client, wd, amqp, db_url, keys, headers, args, tag) -> dict:
    svc = common.start_service(wd, amqp_uri=amqp, db_url=db_url, keys_dir=keys)
    try:
        common.wait_health(client, svc)
        reply = client.call("records.open_case",
                            common.open_case_payload(f"陵应急立〔2025〕L{tag}号"), headers)
        if reply["error"]:
            raise BenchError(f"open_case failed: {reply['error']}")
        with common.profiler(svc.pid, args.profile, f"get_case-{tag}"):
            return _sequential(client, "records.get_case", {"case_id": reply["result"]["id"]},
                               headers, args, svc.pid)
    finally:
        svc.stop()


def run(args) -> tuple[list[dict], list[str]]:
    if args.quick:
        args.calls, args.warmup_calls = min(args.calls, 300), min(args.warmup_calls, 50)
    runs = {}
    with common.workdir(NAME) as wd, common.rabbit_vhost(NAME) as amqp, \
            common.pg_database(NAME) as pg_url, RpcClient(amqp) as client:
        keys = wd / "keys"
        headers = common.officer_headers(keys)
        echo = common.start_bare(wd, "echo", amqp_uri=amqp)
        try:
            runs["bare kombu no-op"] = _sequential(client, "bare.echo", {}, {}, args, echo.pid)
        finally:
            echo.stop()
        runs["get_case, PostgreSQL"] = _service(client, wd, amqp, pg_url, keys, headers, args,
                                                "pg")
        if not args.no_sqlite:
            runs["get_case, SQLite"] = _service(client, wd, amqp,
                                                f"sqlite:///{wd / 'records.sqlite3'}", keys,
                                                headers, args, "sqlite")

    ms = {label: {q: 1000 * percentile(r["latencies"], q) for q in (50, 90, 99, 100)}
          for label, r in runs.items()}
    base = ms["bare kombu no-op"]
    notes = [f"{NAME}: {args.calls} sequential calls after {args.warmup_calls} warm-up calls; "
             "CPU per process group (100% = one core of 2):"]
    rows = []
    for label, r in runs.items():
        m = ms[label]
        notes.append(f"  {label:<22} p50 {m[50]:6.2f}  p90 {m[90]:6.2f}  p99 {m[99]:6.2f}  "
                     f"max {m[100]:7.2f} ms  [{r['cpu_summary']}]")
        text = f"{m[50]:.2f} / {m[90]:.2f} / {m[99]:.2f} / {m[100]:.1f}"
        if label == "get_case, PostgreSQL":
            ok = m[50] <= TARGET_P50 and m[99] <= TARGET_P99
            rows.append(row(NAME, f"{label} p50/p90/p99/max (ms)", text,
                            f"p50 <= {TARGET_P50:g}, p99 <= {TARGET_P99:g}", ok))
        else:
            rows.append(row(NAME, f"{label} p50/p90/p99/max (ms)", text))
    for label in runs:
        if label != "bare kombu no-op":
            rows.append(row(NAME, f"{label} p50 / no-op p50",
                            f"{ms[label][50] / base[50]:.1f}x"))
    return rows, notes + noise_warning(list(runs.values()))


if __name__ == "__main__":
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--warmup-calls", type=int, default=200)
    p.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument("--profile", metavar="DIR",
                   help="record the service with py-spy (on PATH or $PYSPY) into DIR")
    raise SystemExit(common.main(run, p))
