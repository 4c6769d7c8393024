"""Bare baselines: a minimal kombu request/reply consumer, no nameko, no eventlet, one
message at a time, speaking the same wire protocol as nameko RPC (request on exchange
`nameko-rpc`, reply to `reply_to` with the `correlation_id`), so the benchmark client is
the same for the service and for this.

    bare_server.py echo   --amqp URI                 reply {} at once (routing key bare.echo)
    bare_server.py append --amqp URI --dsn URL       insert one chained entry (bare.append)

`append` does what an append minimally needs: build the canonical body of the entry the
chain would store, one sha256 over prev ‖ "\\n" ‖ body, one INSERT into `bare_entries`
(the columns, types and unique key of `entries`) in its own transaction with psycopg2, and
reply. Prints READY once consuming."""
from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime

from kombu import Connection, Consumer, Exchange, Producer, Queue

TABLE = """
CREATE TABLE IF NOT EXISTS bare_entries (
    id BIGSERIAL PRIMARY KEY,
    case_id VARCHAR(36) NOT NULL,
    seq INTEGER NOT NULL,
    kind VARCHAR(40) NOT NULL,
    stage VARCHAR(24) NOT NULL,
    occurred_at TIMESTAMP WITH TIME ZONE NOT NULL,
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    actor_id VARCHAR(64) NOT NULL,
    actor_role VARCHAR(16) NOT NULL,
    corrects_seq INTEGER,
    body TEXT NOT NULL,
    prev_hash VARCHAR(64) NOT NULL,
    entry_hash VARCHAR(64) NOT NULL,
    CONSTRAINT uq_bare_entries_case_seq UNIQUE (case_id, seq))"""
INSERT = """INSERT INTO bare_entries (case_id, seq, kind, stage, occurred_at, recorded_at,
    actor_id, actor_role, corrects_seq, body, prev_hash, entry_hash)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"""
GENESIS = "0" * 64


def canonical(body: dict) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_body(kwargs: dict, seq: int, now: datetime) -> str:
    """The canonical body services.records.store.append would store for this record."""
    occurred = datetime.fromisoformat(kwargs["occurred_at"])
    # the defaults the content schema fills in, so the body has the service's size
    content = {"title": None, "document_no": None, "officers": [], "person_ids": [],
               "attachments": [], "signatures": [], **kwargs["content"],
               "record_type": kwargs["record_type"],
               "situations": sorted(kwargs.get("situations") or [])}
    return canonical({
        "format": 2, "case_id": kwargs["case_id"], "seq": seq, "kind": "record",
        "stage": "initiation",
        "occurred_at": occurred.astimezone(UTC).isoformat(),
        "recorded_at": now.isoformat(),
        "actor": {"id": "bench", "role": "officer", "agency": "lingchuan-emergency"},
        "ruleset": "lingchuan-emergency@1", "corrects_seq": None, "content": content})


def link(prev: str, body: str) -> str:
    """The chain's one sha256: prev ‖ "\\n" ‖ body."""
    return hashlib.sha256(f"{prev}\n{body}".encode()).hexdigest()


class Appender:
    def __init__(self, dsn: str):
        import psycopg2
        from sqlalchemy.engine import make_url
        u = make_url(dsn)
        self.conn = psycopg2.connect(host=u.host, port=u.port, user=u.username,
                                     password=u.password, dbname=u.database)
        with self.conn, self.conn.cursor() as cur:
            cur.execute(TABLE)
        self.heads: dict[str, tuple[int, str]] = {}

    def __call__(self, kwargs: dict, headers: dict) -> dict:
        case_id = kwargs["case_id"]
        seq, prev = self.heads.get(case_id, (0, GENESIS))
        seq += 1
        now = datetime.now(UTC)
        occurred = datetime.fromisoformat(kwargs["occurred_at"])
        body = entry_body(kwargs, seq, now)
        entry_hash = link(prev, body)
        with self.conn.cursor() as cur:
            cur.execute(INSERT, (case_id, seq, "record", "initiation", occurred, now, "bench",
                                 "officer", None, body, prev, entry_hash))
            cur.fetchone()
        self.conn.commit()
        self.heads[case_id] = (seq, entry_hash)
        return {"case_id": case_id, "seq": seq, "entry_hash": entry_hash,
                "stage": "initiation", "deadline": None, "classification": None}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["echo", "append"])
    p.add_argument("--amqp", required=True)
    p.add_argument("--dsn")
    p.add_argument("--prefetch", type=int, default=10, help="as nameko's max_workers")
    args = p.parse_args()
    handler: Callable[[dict, dict], dict] = (
        Appender(args.dsn) if args.mode == "append" else (lambda kwargs, headers: {}))
    with Connection(args.amqp) as conn:
        exchange = Exchange("nameko-rpc", type="topic", durable=True)
        queue = Queue(f"bare-{args.mode}", exchange, routing_key=f"bare.{args.mode}",
                      durable=True)
        producer = Producer(conn.channel(), exchange=exchange)

        def on_message(message) -> None:
            request = json.loads(message.body)
            result = handler(request.get("kwargs") or {}, message.headers or {})
            props = message.properties
            producer.publish(json.dumps({"result": result, "error": None}).encode(),
                             routing_key=props["reply_to"],
                             correlation_id=props["correlation_id"],
                             content_type="application/json", content_encoding="utf-8",
                             serializer=None)
            message.ack()

        channel = conn.channel()
        consumer = Consumer(channel, queues=[queue], on_message=on_message, no_ack=False)
        consumer.qos(prefetch_count=args.prefetch)
        consumer.consume()
        print("READY", flush=True)
        while True:
            try:
                conn.drain_events(timeout=1)
            except TimeoutError:
                pass


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
