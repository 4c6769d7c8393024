"""A write whose ack the broker never gets happens once (shared.persistence.idempotency).

nameko acks an RPC request after replying. Here the record keeper (its own process, as
production runs it, on a private broker node and a PostgreSQL database of the test's own)
commits an `append_record` whose request then comes back. Deterministic: the case row is
locked from another connection, so the worker waits inside its transaction while the fault
is set up; the lock is released only then. Exactly one entry must stand.

- broker outage: the broker stops while the worker waits and the write commits while it is
  down; the caller sent its own key (header nameko.idempotency_key), and its retry learns the
  first answer; the service is restarted only if the outage killed it (surviving one is
  another matter);
- kill: no caller key — the request's correlation_id is the key; the service is SIGKILLed
  after its commit, before any ack, and a fresh process gets the redelivery;
- freeze: the service stops (SIGSTOP) inside its transaction, the broker gives the request to
  a second instance after the missed heartbeats (the test node beats every 10 s), and the
  first thaws and commits while the second holds the redelivery."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
import yaml
from kombu import Connection, Exchange, Queue

from contracts.records import CONTRACT
from tests.agencies import LINGCHUAN, agencies

ROOT = Path(__file__).resolve().parents[2]
AGENCIES = agencies(LINGCHUAN)
OPEN_CASE = dict(CONTRACT.rpc("open_case").example_request, case_no="陵应急立〔2025〕90号")
OFFICERS = CONTRACT.rpc("append_record").example_request["content"]["officers"]
NOTE = {"record_type": "note", "occurred_at": "2025-10-10T10:30:00+08:00", "situations": [],
        "content": {"title": "询问情况记录", "document_no": "陵应急询〔2025〕90号",
                    "officers": OFFICERS, "summary": "安全科长承认未组织特种作业人员参加培训"}}

pytestmark = pytest.mark.postgres


class Records:
    """The record keeper in a process of its own (`python -m nameko run`), restartable."""

    def __init__(self, workdir: Path, amqp_uri: str, db_url: str, keys_dir: str):
        self.config = workdir / "config.yml"
        self.config.write_text(yaml.safe_dump({
            "AMQP_URI": amqp_uri, "DATABASE_URL": db_url, "KEYS_DIR": keys_dir,
            "AGENCIES": AGENCIES, "max_workers": 4}, allow_unicode=True))
        self.log = workdir / "records.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", str(self.config),
                 "services.records.service:RecordsService"], cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])


class Caller:
    """A caller in any language (README "Calling the RPC API"): JSON to nameko-rpc."""

    def __init__(self, amqp_uri: str, token: str):
        self.amqp_uri = amqp_uri
        self.token = token

    def send(self, method: str, kwargs: dict, *, key: str | None = None,
             correlation_id: str | None = None) -> tuple[Connection, Queue, str]:
        conn = Connection(self.amqp_uri)
        exchange = Exchange("nameko-rpc", type="topic", durable=True)
        reply_name = f"reply-{uuid.uuid4()}"
        reply = Queue(reply_name, exchange, routing_key=reply_name, exclusive=True,
                      auto_delete=True)
        reply(conn.default_channel).declare()
        correlation_id = correlation_id or str(uuid.uuid4())
        headers = {"nameko.actor_token": self.token}
        if key is not None:
            headers["nameko.idempotency_key"] = key
        conn.Producer().publish(
            json.dumps({"args": [], "kwargs": kwargs}, ensure_ascii=False), exchange=exchange,
            routing_key=f"records.{method}", reply_to=reply_name, delivery_mode=2,
            correlation_id=correlation_id, content_type="application/json", headers=headers)
        return conn, reply, correlation_id

    def call(self, method: str, kwargs: dict, *, key: str | None = None,
             timeout: float = 10) -> dict:
        conn, reply, correlation_id = self.send(method, kwargs, key=key)
        try:
            bound, deadline = reply(conn.default_channel), time.monotonic() + timeout
            while time.monotonic() < deadline:
                msg = bound.get(no_ack=True)
                if msg is not None and msg.properties["correlation_id"] == correlation_id:
                    return json.loads(msg.body)
                time.sleep(0.05)
            raise TimeoutError(f"no reply to records.{method} in {timeout} s")
        finally:
            conn.release()


def wait(what: str, check, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(step)
    raise AssertionError(f"not within {timeout} s: {what}")


def answered(caller: Caller, method: str, kwargs: dict, timeout: float, **kw) -> dict:
    """Call until the service answers (it may be starting)."""
    def attempt():
        try:
            return caller.call(method, kwargs, timeout=3, **kw)
        except (TimeoutError, OSError):
            return None
    return wait(f"records.{method} answered", attempt, timeout)


def entries_of(dsn: str, case_id: str) -> list[tuple]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT seq, entry_hash FROM entries WHERE case_id = %s ORDER BY seq",
                    (case_id,))
        rows = cur.fetchall()
    conn.close()
    return rows


def waiting_on_a_lock(dsn: str) -> int:
    """How many of the service's statements wait on a lock."""
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")
        n = cur.fetchone()[0]
    conn.close()
    return n


@pytest.fixture
def setup(rabbit_node, make_pg_database, keys_dir, token_issuer, tmp_path):
    db_url = make_pg_database()
    dsn = db_url.replace("postgresql+psycopg2://", "postgresql://")
    records = Records(tmp_path, rabbit_node.amqp_uri, db_url, keys_dir)
    records.start()
    token = token_issuer.issue(actor_id="officer-1", role="officer",
                               agency="lingchuan-emergency")
    caller = Caller(rabbit_node.amqp_uri, token)
    try:
        answered(caller, "health", {}, timeout=40)
        case = caller.call("open_case", OPEN_CASE)
        assert case["error"] is None, case
        yield rabbit_node, records, caller, dsn, case["result"]["id"]
    finally:
        records.kill()


def commit_while_the_broker_is_down(rabbit_node, records, caller, dsn, case_id, key):
    """Send append_record, hold the worker on the case row, stop the broker, let it commit."""
    before = entries_of(dsn, case_id)
    locker = psycopg2.connect(dsn)
    locker.cursor().execute("SELECT id FROM cases WHERE id = %s FOR UPDATE", (case_id,))
    conn, _, correlation_id = caller.send("append_record", dict(NOTE, case_id=case_id), key=key)
    conn.release()
    wait("the worker waits on the case row", lambda: waiting_on_a_lock(dsn), 15)
    rabbit_node.stop()
    locker.rollback()
    locker.close()
    wait("the append committed", lambda: len(entries_of(dsn, case_id)) == len(before) + 1, 15)
    return before


def redelivered_and_settled(rabbit_node, records, timeout: float = 45) -> None:
    """The broker back, the unacked request handed to a live service and acked."""
    rabbit_node.start()
    deadline = time.monotonic() + timeout
    restarted = False
    while time.monotonic() < deadline:
        if not records.alive():
            records.start()
            restarted = True
        queue = rabbit_node.queues().get("rpc-records", {})
        if queue.get("consumers", 0) >= 1 and queue.get("messages", 1) == 0:
            return
        if not restarted and time.monotonic() > deadline - timeout / 2:
            records.kill()  # alive but not consuming again: start a fresh process
        time.sleep(0.3)
    raise AssertionError(f"the request was not redelivered and acked:\n{records.tail()}")


def test_a_write_committed_during_a_broker_outage_happens_once(setup):
    rabbit_node, records, caller, dsn, case_id = setup
    started = time.monotonic()
    before = commit_while_the_broker_is_down(rabbit_node, records, caller, dsn, case_id,
                                             key="append-note-90")
    redelivered_and_settled(rabbit_node, records)
    after = entries_of(dsn, case_id)
    assert len(after) == len(before) + 1, after  # the redelivery appended nothing
    # the caller, who never got its reply, retries with its key and learns the outcome
    retry = answered(caller, "append_record", dict(NOTE, case_id=case_id), timeout=20,
                     key="append-note-90")
    assert retry["error"] is None, retry
    assert (retry["result"]["seq"], retry["result"]["entry_hash"]) == after[-1]
    assert entries_of(dsn, case_id) == after
    assert time.monotonic() - started < 90


def test_a_service_killed_after_its_commit_writes_once(setup):
    rabbit_node, records, caller, dsn, case_id = setup
    started = time.monotonic()
    before = commit_while_the_broker_is_down(rabbit_node, records, caller, dsn, case_id,
                                             key=None)
    records.kill()  # committed, never acked: SIGKILL
    redelivered_and_settled(rabbit_node, records)
    after = entries_of(dsn, case_id)
    assert len(after) == len(before) + 1, after
    assert time.monotonic() - started < 90


def test_a_frozen_service_whose_request_went_to_another_instance_writes_once(setup, tmp_path):
    """The service freezes (SIGSTOP) inside its transaction; the broker, missing its heartbeats,
    hands the request to a second instance; the first thaws and commits: the second waits on
    the first's claim, then answers what the first wrote."""
    rabbit_node, records, caller, dsn, case_id = setup
    started = time.monotonic()
    before = entries_of(dsn, case_id)
    locker = psycopg2.connect(dsn)
    locker.cursor().execute("SELECT id FROM cases WHERE id = %s FOR UPDATE", (case_id,))
    conn, _, _ = caller.send("append_record", dict(NOTE, case_id=case_id))
    conn.release()
    wait("the worker waits on the case row", lambda: waiting_on_a_lock(dsn) == 1, 15)
    records.proc.send_signal(signal.SIGSTOP)
    (tmp_path / "second").mkdir()
    second = Records(tmp_path / "second", rabbit_node.amqp_uri,
                     yaml.safe_load(records.config.read_text())["DATABASE_URL"],
                     yaml.safe_load(records.config.read_text())["KEYS_DIR"])
    second.start()
    try:
        # the redelivery reaches the second instance, whose claim waits for the first's
        wait("the second instance waits on the first's claim",
             lambda: waiting_on_a_lock(dsn) == 2, 60, step=0.5)
        locker.rollback()
        locker.close()
        records.proc.send_signal(signal.SIGCONT)
        wait("the request settled", lambda: rabbit_node.queues().get("rpc-records", {})
             .get("messages", 1) == 0, 30, step=0.3)
        after = entries_of(dsn, case_id)
        assert len(after) == len(before) + 1, after
    finally:
        records.proc.send_signal(signal.SIGCONT)
        second.kill()
    assert time.monotonic() - started < 90
