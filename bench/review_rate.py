"""The review board's call rate as its history grows: `--calls` calls (default 100,000) over
RPC against the review service run as production runs it (`python -m nameko run`, own
process, PostgreSQL, the outbox relaying to RabbitMQ), one caller, as whole reviews (request,
assign, a finding per review point, opinion: 14 calls for 陵川) after a warm-up — and, for each
tenth of the calls, the rate and the CPU a call cost the service's process and its PostgreSQL
backends (read from /proc: on a machine shared with other work the CPU per call is the steadier
figure, the rate the one a caller sees), the last tenth's against the first's. A call whose
cost grows with what the board has already stored shows as a falling rate and a rising CPU.

Target: CPU per call, last tenth / first tenth ≤ 1.1 (flat within noise).

    .venv/bin/python bench/review_rate.py [--quick] [--calls 100000]"""
from __future__ import annotations

import os
import time

import common
from common import BenchError, row
from review_roundtrip import (
    one_review,
    proxies,
    review_points,
    staff_payload,
    start_review,
    wait_ready,
)

NAME = "review_rate"
TARGET = 1.1
PARTS = 10
WARMUP_REVIEWS = 20


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes so far (0 for one that is gone)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def backends(db_url: str) -> list[int]:
    """The PostgreSQL backends connected to the bench's database."""
    import psycopg2
    from sqlalchemy.engine import make_url
    u = make_url(db_url)
    conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                            dbname=u.database)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()")
            return [r[0] for r in cur.fetchall()]
    finally:
        conn.close()


def measure(wd, amqp: str, db_url: str, keys, calls: int, points) -> tuple[list, list]:
    """The end time of every call (perf_counter seconds from the first measured call) and, at
    each tenth, the CPU seconds the service and its database backends had used."""
    proc = start_review(wd, amqp_uri=amqp, db_url=db_url, keys=keys)
    try:
        wait_ready(amqp, proc)
        stack, rpc = proxies(amqp, keys)
        with stack:
            ends: list[float] = []

            def call(role, method, payload):
                out = getattr(rpc[role].review, method)(**payload)
                ends.append(time.perf_counter())
                return out

            call("legal_unit", "register_staff", staff_payload())
            for n in range(WARMUP_REVIEWS):
                one_review(call, n, "W", points)
            ends.clear()
            part = calls // PARTS

            def cpu():
                return cpu_seconds([proc.pid, *backends(db_url)])
            cpu_marks = [cpu()]
            n = 0
            t0 = time.perf_counter()
            while len(ends) < calls:
                one_review(call, n, "G", points)
                n += 1
                if len(ends) >= part * len(cpu_marks):
                    cpu_marks.append(cpu())  # within a review of the tenth's end
                if n % 200 == 0:
                    proc.check_alive()
            return [t - t0 for t in ends[:calls]], cpu_marks
    finally:
        proc.stop()


def run(args) -> tuple[list[dict], list[str]]:
    if args.quick:
        args.calls = min(args.calls, 5000)
    points = review_points()
    with common.workdir(NAME) as wd:
        keys = wd / "keys"
        common.token_signer(keys)
        with common.rabbit_vhost(NAME) as amqp, common.pg_database("review_rate") as db_url:
            ends, cpu_marks = measure(wd, amqp, db_url, keys, args.calls, points)
    size = len(ends) // PARTS
    if size < 10:
        raise BenchError("too few calls to cut into tenths")
    rates = []
    for i in range(PARTS):
        start = ends[i * size - 1] if i else 0.0
        rates.append(size / (ends[(i + 1) * size - 1] - start))
    cpu_ms = [1000 * (b - a) / size for a, b in zip(cpu_marks, cpu_marks[1:], strict=False)]
    rate_ratio = rates[-1] / rates[0]
    cpu_ratio = cpu_ms[-1] / cpu_ms[0]
    notes = [f"{NAME}: {len(ends)} calls over RPC after {WARMUP_REVIEWS} warm-up reviews, one "
             "caller, PostgreSQL; by tenth of the calls:",
             "  calls/s            " + " ".join(f"{r:5.0f}" for r in rates),
             "  CPU ms per call    " + " ".join(f"{c:5.2f}" for c in cpu_ms),
             f"  last / first tenth: rate {rate_ratio:.2f}, CPU per call {cpu_ratio:.2f} "
             f"(target ≤ {TARGET}) — {'PASS' if cpu_ratio <= TARGET else 'FAIL'}"]
    rows = [row(NAME, f"calls/s, first / last tenth of {len(ends)}",
                f"{rates[0]:.0f} / {rates[-1]:.0f}"),
            row(NAME, "rate last / first", f"{rate_ratio:.2f}x"),
            row(NAME, "CPU ms per call (service + PostgreSQL), first / last tenth",
                f"{cpu_ms[0]:.2f} / {cpu_ms[-1]:.2f}"),
            row(NAME, "CPU per call last / first", f"{cpu_ratio:.2f}x", f"≤ {TARGET}",
                cpu_ratio <= TARGET)]
    return rows, notes


if __name__ == "__main__":
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=100_000, help="calls in all")
    raise SystemExit(common.main(run, p))
