"""From a proposed major decision to the review board's request: the records and review
services run as production runs them (`python -m nameko run`, each in its own process, on
PostgreSQL); for each sample a case of the demo (demo.case) is taken to its decision
stage, records.propose_decision is called over RPC (the fine of 60,000 CNY on a company is
major under 陵川), and a kombu consumer bound to review.events waits for that case's
review_requested.v1. Measured: RPC start → event received (end to end: records' transaction,
its outbox relay, the broker, review's inbox + transaction, review's relay, the broker), and
the review's envelope occurred_at → received (review's relay and the broker alone).

No target; reported for context.

    .venv/bin/python bench/review_latency.py [--quick] [--samples 40] [--sqlite]"""
from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import common
from common import BenchError, percentile, row
from review_roundtrip import start_review, wait_ready

if TYPE_CHECKING:
    from demo.case import Step

NAME = "review_latency"


def _records_proxy(amqp: str, keys: Path):
    from nameko.standalone.rpc import ClusterRpcProxy

    from demo import case as demo
    who = demo.ACTORS["officer"]
    token = common.token_signer(keys).issue(actor_id=who, role="officer",
                                            agency=demo.AGENCY, name=who)
    return ClusterRpcProxy({"AMQP_URI": amqp}, context_data={"actor_token": token},
                           timeout=30)


class Tap:
    """review_requested.v1 as they arrive on review.events, with the time of receipt."""

    def __init__(self, amqp: str):
        from kombu import Connection, Consumer, Exchange, Queue
        self.conn = Connection(amqp)
        self.conn.connect()
        queue = Queue(f"bench-{NAME}", Exchange("review.events", type="topic", durable=True),
                      routing_key="review_requested.v1", exclusive=True, auto_delete=True)
        self.got: dict[str, tuple[float, dict, datetime]] = {}
        self.consumer = Consumer(self.conn.channel(), queues=[queue], no_ack=True,
                                 on_message=self._on_message)
        self.consumer.consume()

    def _on_message(self, message) -> None:
        body = message.body
        body = json.loads(body) if isinstance(body, (bytes, str)) else body
        self.got[body["data"]["case_id"]] = (time.perf_counter(), body,
                                             datetime.now(UTC))

    def wait(self, case_id: str, timeout: float = 30) -> tuple[float, dict, datetime]:
        deadline = time.monotonic() + timeout
        while case_id not in self.got:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"no review_requested.v1 for case {case_id} within {timeout}s")
            try:
                self.conn.drain_events(timeout=min(left, 0.5))
            except (TimeoutError, OSError):
                pass
        return self.got.pop(case_id)

    def close(self):
        self.conn.release()


def _to_decision_stage(records, n: int, tag: str) -> tuple[dict, Step]:
    """Run the demo's steps up to the proposal; returns (ctx, the proposal step)."""
    from demo import case as demo
    ctx: dict = {}
    plan = demo.steps(f"陵应急立〔2025〕{tag}{n}号")
    for step in demo.until(plan, "decision_proposed"):
        if step.role != "officer" or step.service != "records":
            raise BenchError(f"demo step {step.name} needs {step.role}; the bench acts "
                             "as the officer only")
        result = demo.perform(step, getattr(records.records, step.method), ctx)
        demo.remember(ctx, step, result)
    return ctx, next(step for step in plan if step.name == "decision_proposed")


def _sample(records, tap: Tap, n: int, tag: str) -> dict:
    ctx, step = _to_decision_stage(records, n, tag)
    t0 = time.perf_counter()
    payload = step.payload(ctx)
    assert isinstance(payload, dict), "propose_decision is one call"
    result = records.records.propose_decision(**payload)
    t_rpc = time.perf_counter()
    received, body, wall = tap.wait(ctx["case_id"])
    if body["data"]["proposal_seq"] != result["seq"]:
        raise BenchError(f"review_requested for proposal {body['data']['proposal_seq']}, "
                         f"expected {result['seq']}")
    occurred = datetime.fromisoformat(body["occurred_at"])
    return {"end_to_end": received - t0, "after_rpc": received - t_rpc,
            "relay": (wall - occurred).total_seconds()}


def run(args) -> tuple[list[dict], list[str]]:
    if args.quick:
        args.samples, args.warmup = min(args.samples, 12), min(args.warmup, 2)
    samples = []
    with common.workdir(NAME) as wd, common.rabbit_vhost(NAME) as amqp:
        keys = wd / "keys"
        common.token_signer(keys)
        import contextlib
        with contextlib.ExitStack() as stack:
            if args.sqlite:
                db_kind = "SQLite"
                records_db = f"sqlite:///{wd / 'records.sqlite3'}"
                review_db = f"sqlite:///{wd / 'review.sqlite3'}"
            else:
                db_kind = "PostgreSQL"
                records_db = stack.enter_context(common.pg_database("lat_records"))
                review_db = stack.enter_context(common.pg_database("lat_review"))
            (wd / "records").mkdir()
            (wd / "review").mkdir()
            records_proc = common.start_service(wd / "records", amqp_uri=amqp,
                                                db_url=records_db, keys_dir=keys)
            stack.callback(records_proc.stop)
            review_proc = start_review(wd / "review", amqp_uri=amqp, db_url=review_db,
                                       keys=keys)
            stack.callback(review_proc.stop)
            wait_ready(amqp, records_proc, "rpc-records")
            wait_ready(amqp, review_proc, "rpc-review")
            # the review's event handler queue must exist before the first proposal
            wait_ready(amqp, review_proc,
                       "evt-records-decision_proposed.v1--review.on_decision_proposed")
            tap = Tap(amqp)
            stack.callback(tap.close)
            records = stack.enter_context(_records_proxy(amqp, keys))
            for n in range(args.warmup):
                _sample(records, tap, n, "W")
            for n in range(args.samples):
                samples.append(_sample(records, tap, n, "L"))
    ms = {k: sorted(1000 * s[k] for s in samples) for k in ("end_to_end", "after_rpc", "relay")}
    fmt = lambda k: (f"{percentile(ms[k], 50):.1f} / {percentile(ms[k], 95):.1f}")
    notes = [f"{NAME}: {args.samples} proposals after {args.warmup} warm-up, one at a time, "
             f"{db_kind}; records and review each in its own `nameko run` process"]
    rows = [
        row(NAME, "propose_decision RPC start → review_requested.v1 received, p50 / p95 (ms)",
            fmt("end_to_end")),
        row(NAME, "propose_decision reply → review_requested.v1 received, p50 / p95 (ms)",
            fmt("after_rpc")),
        row(NAME, "review_requested occurred_at → received, p50 / p95 (ms)", fmt("relay")),
    ]
    return rows, notes


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--samples", type=int, default=40)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    raise SystemExit(common.main(run, p))
