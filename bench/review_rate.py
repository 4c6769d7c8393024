"""The review board's call rate as its history grows: `--calls` calls (default 100,000) over
RPC against the review service run as production runs it (`python -m nameko run`, own
process, PostgreSQL, the outbox relaying to RabbitMQ), one caller, as whole reviews (request,
assign, a finding per review point, opinion: 14 calls for 陵川) — and the rate of each tenth of
the calls, the last tenth's against the first's. A call whose cost grows with what the board
has already stored shows as a falling rate.

Target: last tenth / first tenth ≥ 0.9 (flat within noise).

    .venv/bin/python bench/review_rate.py [--quick] [--calls 100000]"""
from __future__ import annotations

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
TARGET = 0.9
PARTS = 10


def measure(wd, amqp: str, db_url: str, keys, calls: int, points) -> list[float]:
    """The end time of every call, in order (perf_counter seconds, from the first call)."""
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
            ends.clear()
            n = 0
            t0 = time.perf_counter()
            while len(ends) < calls:
                one_review(call, n, "G", points)
                n += 1
                if n % 200 == 0:
                    proc.check_alive()
            return [t - t0 for t in ends[:calls]]
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
            ends = measure(wd, amqp, db_url, keys, args.calls, points)
    size = len(ends) // PARTS
    if size < 10:
        raise BenchError("too few calls to cut into tenths")
    rates = []
    for i in range(PARTS):
        start = ends[i * size - 1] if i else 0.0
        rates.append(size / (ends[(i + 1) * size - 1] - start))
    ratio = rates[-1] / rates[0]
    notes = [f"{NAME}: {len(ends)} calls over RPC, one caller, PostgreSQL; calls/s by tenth:",
             "  " + " ".join(f"{r:.0f}" for r in rates),
             f"  last / first tenth {ratio:.2f} (target ≥ {TARGET}) — "
             f"{'PASS' if ratio >= TARGET else 'FAIL'}"]
    rows = [row(NAME, f"first tenth of {len(ends)} calls (calls/s)", f"{rates[0]:.0f}"),
            row(NAME, f"last tenth of {len(ends)} calls (calls/s)", f"{rates[-1]:.0f}"),
            row(NAME, "last / first", f"{ratio:.2f}x")]
    return rows, notes


if __name__ == "__main__":
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=100_000, help="calls in all")
    raise SystemExit(common.main(run, p))
