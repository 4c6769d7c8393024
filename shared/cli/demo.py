"""`sanxiang demo`: drive one realistic case through the running suite (starting it on
embedded defaults when it is not running), with a progress display, then print what happened
— chain verification, findings, the events seen — and where to look."""
from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

from shared.cli import run as runner
from shared.demo_case import AGENCY, remember, steps

ROLES = {"officer": "officer-lc-017", "head": "head-lc-001", "legal_unit": "legal-lc-003"}


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the demo case against the suite (starts it if needed)")
    p.add_argument("--data", default=os.environ.get("SANXIANG_DATA", ".data"))
    p.add_argument("--keep-running", action="store_true",
                   help="leave the services it started running afterwards")
    p.set_defaults(func=main)


def _config():
    return {"AMQP_URI": os.environ.get("AMQP_URI", runner.DEFAULT_AMQP)}


def _broker_ok(uri: str) -> str | None:
    from kombu import Connection
    try:
        with Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # any connection failure is reported the same way
        return str(exc)
    return None


def _health(timeout: float) -> dict | None:
    from nameko.standalone.rpc import ClusterRpcProxy
    try:
        with ClusterRpcProxy(_config(), timeout=timeout) as rpc:
            return rpc.records.health()
    except Exception:
        return None


def _consumers(uri: str, queue: str = "rpc-records") -> int:
    """Consumers on the service's RPC queue (0 if it does not exist): a quiet readiness probe."""
    from kombu import Connection
    try:
        with Connection(uri, connect_timeout=3) as conn:
            return conn.default_channel.queue_declare(queue, passive=True).consumer_count
    except Exception:  # absent queue or broker hiccup: not ready yet
        return 0


def _wait_healthy(procs, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    uri = _config()["AMQP_URI"]
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("demo: the records service exited while starting; see its log")
        if _consumers(uri) and (health := _health(5)):
            return health
        time.sleep(0.3)
    raise SystemExit("demo: records did not answer health within "
                     f"{seconds:.0f}s; see its log")


class EventTap:
    """A private queue bound to records.events, to show which events the case produced."""

    def __init__(self, uri: str):
        from kombu import Connection, Exchange, Queue
        self.conn = Connection(uri)
        exchange = Exchange("records.events", type="topic", durable=True)
        self.queue = Queue(f"demo-tap-{os.getpid()}", exchange, routing_key="#",
                           exclusive=True, auto_delete=True)
        self.queue(self.conn.default_channel).declare()

    def drain(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        bound = self.queue(self.conn.default_channel)
        while (msg := bound.get(no_ack=True)) is not None:
            kind = msg.delivery_info["routing_key"]
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def close(self):
        self.conn.release()


def main(args) -> int:
    from nameko.exceptions import RemoteError
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.actor import TokenSigner
    from shared.errors import SanxiangError
    from shared.keys import KeyStore

    uri = _config()["AMQP_URI"]
    if problem := _broker_ok(uri):
        print(f"demo: RabbitMQ is not reachable at {uri}: {problem}\n"
              "      start it with ./scripts/bootstrap (or set AMQP_URI)", file=sys.stderr)
        return 1
    data = Path(args.data).resolve()
    procs = []
    health = _health(5) if _consumers(uri) else None
    if health is None:
        (data / "logs").mkdir(parents=True, exist_ok=True)
        print(f"starting records on embedded defaults (data in {data}) …", flush=True)
        procs = runner.start(["records"], data, log_dir=data / "logs")
        health = _wait_healthy(procs, 90)
    keys = Path(os.environ.get("SANXIANG_KEYS", data / "keys"))
    print(f"records {health['version']} up · rule sets {', '.join(health['rulesets'])}")
    signer = TokenSigner(KeyStore(keys).token_key())
    tap = EventTap(uri)
    case_no = f"陵应急立〔2025〕{random.randint(100, 9999)}号"
    ctx = {"decision_no": case_no.replace("立", "罚")}
    plan = steps(case_no)
    proxies = {role: ClusterRpcProxy(_config(), timeout=30, context_data={
        "actor_token": signer.issue(actor_id=aid, role=role, agency=AGENCY, name=aid)})
        for role, aid in ROLES.items()}
    rpc = {role: proxy.start() for role, proxy in proxies.items()}
    failed = False
    try:
        print(f"\n案件 {case_no} — 陵川县应急管理局, fine 60,000 CNY on a company (major)\n")
        for i, step in enumerate(plan, 1):
            started = time.perf_counter()
            method = getattr(rpc[step.role].records, step.method)
            try:
                result = method(**step.payload(ctx))
                remember(ctx, step, result)
                note = _describe(step, result)
                mark = "✗" if step.expect_error else "✓"
                failed |= bool(step.expect_error)
            except (RemoteError, SanxiangError) as exc:
                if not step.expect_error or getattr(exc, "code", None) != step.expect_error:
                    print(f"[{i:2}/{len(plan)}] ✗ {step.title}\n        {exc}")
                    failed = True
                    break
                mark, note = "✓", f"refused as the rules require: {exc.code}"
            ms = (time.perf_counter() - started) * 1000
            print(f"[{i:2}/{len(plan)}] {mark} {_pad(step.title, 56)} {note}  ({ms:.0f} ms)")
        if not failed:
            _summary(rpc, ctx, tap, data, health)
    finally:
        for proxy in proxies.values():
            proxy.stop()
        tap.close()
        if procs and not args.keep_running:
            runner.stop(procs)
    return 1 if failed else 0


def _pad(text: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns, as terminals show them."""
    import unicodedata
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - cols)


def _describe(step, result) -> str:
    if step.method == "open_case":
        return f"case {result['id'][:8]}…, stage {result['stage']}"
    parts = [f"seq {result['seq']}"]
    if result.get("classification"):
        fired = ", ".join(f["code"] for f in result["classification"]["fired"])
        parts.append(f"major={result['classification']['major']} ({fired})")
    if result.get("deadline"):
        parts.append(f"due {result['deadline']['due']} ({result['deadline']['rule']})")
    return ", ".join(parts)


def _summary(rpc, ctx, tap, data, health) -> None:
    case_id = ctx["case_id"]
    head = rpc["head"].records
    checkpoint = head.checkpoint_case(case_id=case_id)
    verdict = head.verify_case(case_id=case_id)
    found = head.case_findings(case_id=case_id)
    time.sleep(0.5)  # let the outbox relay publish the last events
    events = tap.drain()
    print(f"\nchain     {verdict['entries_checked']} entries, ok={verdict['ok']}, head "
          f"{verdict['head_hash'][:16]}…, checkpoint signed by key {checkpoint['key_id']}")
    print(f"findings  {len(found)}" + "".join(f"\n          - {f['code']}: {f['message']}"
                                                for f in found))
    print("events    " + ", ".join(f"{k}×{v}" for k, v in sorted(events.items())))
    print(f"""
where to look
  data       {data}  (records.sqlite3: cases, entries, access_log, outbox)
  logs       {data / 'logs'}
  broker     http://127.0.0.1:15672  (guest/guest) — exchanges nameko-rpc, records.events
  contract   contracts/records/asyncapi.yaml — every RPC and event, with examples
  try        sanxiang token issue --role head --agency {AGENCY} --actor-id me --keys {data / 'keys'}
             then call records.get_entries(case_id="{case_id}") with header nameko.actor_token""")
