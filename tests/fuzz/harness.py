"""What the fuzz suite runs against and how it judges an answer.

`Deployment` starts every installed service in-process, each on a vhost and a
database (SQLite files, or PostgreSQL databases), and calls them the way a system in any
language does: JSON bytes of our own making (so NaN, lone surrogates and 10 MB bodies travel
as such) published to `nameko-rpc`, the reply read from a queue of our own. Every call is
judged by `Judge`: it must end, within its time limit, in a result or a Sanxiang error —
validation_failed naming each field with its rules, every refusal's message_zh saying more
than its class's category — and never in internal_error,
unavailable, a nameko error or a text that shows the driver; a refused call must leave the
row count of every table as it was (the access and refusal logs excepted)."""
from __future__ import annotations

import json
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from kombu import Connection, Consumer, Exchange, Queue
from sqlalchemy import create_engine, inspect, text

from shared.contracts.messages import error_classes
from tests import suite

# every installed service's contract (the sanxiang.services entry points)
CONTRACTS = suite.contracts()
CALL_SECONDS = 10.0  # every call is answered within this (a 10 MB body: BIG_CALL_SECONDS)
BIG_CALL_SECONDS = 30.0

# what a refusal may write: the access logs (records, review), refusal rows (review, renderer,
# vault); a service missing here is refused by RowCounter, not judged on rows it may log
REFUSAL_LOGS: dict[str, dict[str, str | None]] = {
    "records": {"access_log": None},
    "review": {"review_log": "action <> 'refused'", "access_log": None},
    "renderer": {"refusals": None},
    "vault": {"vault_log": "action <> 'refused'"},
    "disclosure": {"disclosure_log": "action <> 'refused'"}}
# words that only a driver or an interpreter would put in a message
LEAKS = re.compile(r"psycopg|sqlite3|sqlalchemy|Traceback|File \"|\bSELECT\b|\bINSERT\b|"
                   r"\bUPDATE\b|\bWHERE\b|integer out of range|time zone displacement|"
                   r"NUL \(0x00\)|surrogates not allowed|KeyError|TypeError|AttributeError",
                   re.IGNORECASE)
SANXIANG_TYPES = {name for name, cls in error_classes().items() if name == cls.__name__}
# each error class's category text ("未找到", "违反执法程序规则" …): a refusal's message_zh
# says which case, field or rule, never only this
CATEGORY_ZH = {name: cls.message_zh for name, cls in error_classes().items()
               if name == cls.__name__}
FAULTS = {"internal_error", "unavailable"}


class RawRpc:
    """One AMQP connection and reply queue for many calls."""

    def __init__(self, amqp_uri: str):
        self.conn = Connection(amqp_uri)
        self.exchange = Exchange("nameko-rpc", type="topic", no_declare=True)
        self.reply_name = f"fuzz-reply-{uuid.uuid4()}"
        self.reply = Queue(self.reply_name, self.exchange, routing_key=self.reply_name,
                           exclusive=True, auto_delete=True)
        self.channel = self.conn.channel()
        self.replies: dict[str, dict] = {}
        self.consumer = Consumer(self.channel, [self.reply], callbacks=[self._on_reply],
                                 no_ack=True, accept=["json"])
        self.consumer.consume()
        self.producer = self.conn.Producer(self.conn.channel())

    def _on_reply(self, body, message):
        self.replies[message.properties.get("correlation_id")] = body

    def call(self, service: str, method: str, body: bytes, token: str | None,
             timeout: float) -> tuple[dict | None, float]:
        """Publish `body` as the request; the reply (None if none came in time) and seconds."""
        correlation = str(uuid.uuid4())
        started = time.monotonic()
        self.producer.publish(
            body, exchange=self.exchange, routing_key=f"{service}.{method}",
            reply_to=self.reply_name, correlation_id=correlation,
            content_type="application/json", content_encoding="utf-8",
            headers={"nameko.actor_token": token} if token is not None else {})
        deadline = started + timeout
        while correlation not in self.replies and time.monotonic() < deadline:
            try:
                self.conn.drain_events(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
            except TimeoutError:
                pass
            except OSError:  # socket.timeout on some transports
                pass
        return self.replies.pop(correlation, None), time.monotonic() - started

    def close(self):
        self.conn.release()


def encode(kwargs, args=None) -> bytes:
    """The request body as JSON text, NaN and Infinity spelt as Python's json spells them
    (and nameko's decoder reads them), lone surrogates as \\uXXXX escapes."""
    body = {"args": [] if args is None else args, "kwargs": kwargs}
    return json.dumps(body, ensure_ascii=True, allow_nan=True).encode("ascii")


class RowCounter:
    """Row counts of every table of a service's database, the refusal log excepted, in one
    query."""

    def __init__(self, service: str, url: str):
        self.engine = create_engine(url)
        if service not in REFUSAL_LOGS:
            raise LookupError(f"tests/fuzz/harness.py REFUSAL_LOGS: where does {service} record "
                              "a refused call?")
        logs = REFUSAL_LOGS[service]
        parts = []
        for table in sorted(inspect(self.engine).get_table_names()):
            if table.startswith("alembic"):
                continue
            if table in logs and logs[table] is None:
                continue
            where = f" WHERE {logs[table]}" if logs.get(table) else ""
            parts.append(f"SELECT '{table}' AS tbl, count(*) AS n FROM {table}{where}")
        self.query = text(" UNION ALL ".join(parts))
        self.conn = self.engine.connect()

    def counts(self) -> dict[str, int]:
        rows = {row.tbl: row.n for row in self.conn.execute(self.query)}
        self.conn.rollback()  # a fresh snapshot next time
        return rows

    def close(self):
        self.conn.close()
        self.engine.dispose()


@dataclass
class Judge:
    """Outcomes of the calls and the problems found, by call."""
    outcomes: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    calls: int = 0
    slowest: float = 0.0
    services: Counter = field(default_factory=Counter)   # calls per service called

    def judge(self, what: str, reply: dict | None, seconds: float, limit: float,
              before: dict | None, after: dict | None) -> None:
        """`what` names the call as "<service>.<method> as <role>: …"."""
        self.calls += 1
        self.services[what.split(".", 1)[0]] += 1
        self.slowest = max(self.slowest, seconds)
        if reply is None:
            self.outcomes["no reply"] += 1
            self.problems.append(f"{what}: no reply within {limit} s")
            return
        error = reply.get("error")
        if error is None:
            self.outcomes["ok"] += 1
            return
        payload = (error.get("exc_args") or [None])[0]
        code = payload.get("code") if isinstance(payload, dict) else None
        self.outcomes[code or error.get("exc_type")] += 1
        if error.get("exc_type") not in SANXIANG_TYPES or not isinstance(payload, dict):
            self.problems.append(f"{what}: not a Sanxiang error: {error.get('exc_type')} "
                                 f"{str(error.get('value'))[:200]}")
            return
        if code in FAULTS:
            self.problems.append(f"{what}: {code} {payload.get('details')}")
        if payload.get("message_zh") == CATEGORY_ZH[error["exc_type"]]:
            self.problems.append(f"{what}: {code}'s message_zh is only its category: "
                                 f"{payload.get('message_zh')} ({payload.get('message')})"[:300])
        if LEAKS.search(json.dumps(payload, ensure_ascii=False)):
            self.problems.append(f"{what}: the answer shows internals: "
                                 f"{json.dumps(payload, ensure_ascii=False)[:300]}")
        if code == "validation_failed":
            details = payload.get("details")
            if not (isinstance(details, dict) and details and all(
                    isinstance(rules, list) and rules and all(isinstance(r, str) for r in rules)
                    for rules in details.values())):
                self.problems.append(f"{what}: validation_failed names no field and rule: "
                                     f"{details!r}"[:300])
        if before is not None and after is not None and before != after:
            changed = {t: (before.get(t), after.get(t)) for t in set(before) | set(after)
                       if before.get(t) != after.get(t)}
            self.problems.append(f"{what}: refused ({code}) but wrote rows: {changed}")

    def summary(self) -> str:
        shown = ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common())
        return f"{self.calls} calls ({shown}); slowest {self.slowest:.2f} s"
