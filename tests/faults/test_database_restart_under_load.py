"""The record keeper and the review board taking writes over RPC while their PostgreSQL (a server
of the test's own, tests/databases.py) restarts and then stays down a few seconds, as a
failover does: every caller gets either its answer or the clear `unavailable` error (a
passing fault, details.retry true) and, retrying with its idempotency key, the answer — never
another error, never a call left unanswered. Nothing is written twice (each append once in its
case's chain, each review once), and the services carry on without a restart."""
from __future__ import annotations

import collections
import json
import time

import eventlet
import pytest
from nameko.exceptions import RpcTimeout
from nameko.standalone.rpc import ServiceRpcProxy

from services.records.service import RecordsService
from services.review.service import ReviewService
from shared.errors import SanxiangError
from tests.agencies import QINYUAN
from tests.builders import open_case_request
from tests.databases import PgNode, table_rows
from tests.unit.review.support import AGENCIES, request_payload

APPENDS, REVIEWS, FAULT_AFTER = 40, 16, 8


@pytest.fixture
def pg():
    node = PgNode(max_connections=60)   # two services' pools and their overflow
    try:
        node.start()
        yield node
    finally:
        node.close()


class Caller:
    """One actor's write calls, each with its own idempotency key, retried with that key after
    `unavailable`; what each call got on the way."""

    def __init__(self, config: dict, token: str):
        self.config, self.token = config, token
        self.unavailable = 0
        self.other: list[str] = []

    def call(self, service: str, method: str, key: str, **payload):
        for _ in range(200):
            try:
                with ServiceRpcProxy(service, self.config, timeout=30, context_data={
                        "actor_token": self.token, "idempotency_key": key}) as rpc:
                    return getattr(rpc, method)(**payload)
            except SanxiangError as exc:
                if exc.code != "unavailable" or exc.details.get("retry") is not True:
                    self.other.append(f"{key}: {exc}")
                    raise
                self.unavailable += 1
            except RpcTimeout as exc:   # no answer at all: what must not happen
                self.other.append(f"{key}: {exc!r}")
                raise
            eventlet.sleep(0.2)
        raise AssertionError(f"{key}: still unavailable")


def test_writes_get_an_answer_or_a_clear_retryable_error_through_a_restart(
        pg, container_factory, rabbit_config, keys_dir, token_issuer):
    urls = {"records": pg.create_database("records"), "review": pg.create_database("review")}
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    containers = [container_factory(cls, dict(config, DATABASE_URL=urls[name]))
                  for name, cls in (("records", RecordsService), ("review", ReviewService))]
    for container in containers:
        container.start()
    officer = lambda agency: token_issuer.issue(
        actor_id="officer-1", role="officer", agency=agency)
    records = Caller(config, officer("lingchuan-emergency"))
    review = Caller(config, officer(QINYUAN))
    cases = [records.call("records", "open_case", f"open-{n}",
                          **open_case_request(f"陵应急立〔2025〕{800 + n}号"))["id"]
             for n in range(2)]
    answered: dict[str, dict] = {}

    def appends():
        for n in range(APPENDS):
            answered[f"append-{n}"] = records.call(
                "records", "append_record", f"append-{n}", case_id=cases[n % 2],
                record_type="note", occurred_at="2025-10-10T10:30:00+08:00",
                content={"summary": f"第{n}次记录：现场调取培训台账并拍照留存。"})

    def requests():
        for n in range(REVIEWS):
            answered[f"review-{n}"] = review.call(
                "review", "request_review", f"review-{n}",
                **request_payload(case_no=f"沁能立〔2025〕{300 + n}号"))

    workers = [eventlet.spawn(appends), eventlet.spawn(requests)]
    deadline = time.monotonic() + 60
    while len(answered) < FAULT_AFTER:
        assert time.monotonic() < deadline, "no load before the fault"
        eventlet.sleep(0.05)
    pg.restart()                 # every session ended, the server back at once
    eventlet.sleep(1)
    pg.stop()                    # and a failover's few seconds with nothing answering
    eventlet.sleep(3)
    pg.start()
    for worker in workers:
        worker.wait()

    assert records.other == [] and review.other == []      # no call crashed or went unanswered
    assert len(answered) == APPENDS + REVIEWS               # 0 lost
    for n, case_id in enumerate(cases):                      # 0 written twice
        bodies = [json.dumps(json.loads(r["body"]), ensure_ascii=False) for r in table_rows(
            urls["records"], "SELECT body FROM entries WHERE case_id = :c", c=case_id)]
        assert len(bodies) == 1 + APPENDS // 2
        for i in range(n, APPENDS, 2):
            assert sum(f"第{i}次记录：" in b for b in bodies) == 1, (case_id, i)
    made = collections.Counter(r["case_no"] for r in table_rows(
        urls["review"], "SELECT case_no FROM reviews"))
    assert sorted(made) == sorted(f"沁能立〔2025〕{300 + n}号" for n in range(REVIEWS))
    assert set(made.values()) == {1}
    assert not any(c._died.ready() for c in containers)     # reconnected, never restarted
    print(f"database restart under load: {APPENDS} appends and {REVIEWS} review requests "
          f"answered, {records.unavailable + review.unavailable} `unavailable` answers "
          f"retried with their keys, 0 other errors, 0 lost, 0 written twice")
