"""The services' timers run on real containers (nameko's entrypoint hook fires the @timer
method itself), on a controlled "today" (shared.calendar.clock.frozen): the review board's clock
watch and the record keeper's checkpoints, each acting once per subject — per review and due date,
per case head — with two instances of the service on one PostgreSQL database, and with the
embedded single instance on SQLite."""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import eventlet
import psycopg2
import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select, update

from contracts.records import CONTRACT as RECORDS
from services.records import models as records_models
from services.records.service import RecordsService
from services.review import models, usecases
from services.review.service import ReviewService
from shared.calendar.clock import frozen
from shared.persistence.db import make_engine, open_db
from shared.rulesets.provider import Rules
from tests.suite import fire, fire_together
from tests.unit.review.support import AGENCIES, ALWAYS, Env, actor, material, request_payload

OFFICER = actor("officer", id="officer-1")


def cst(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


def instances(container_factory, service, config, db_url, count=None):
    """Two instances on PostgreSQL; the embedded default (SQLite) runs one."""
    count = count or (2 if db_url.startswith("postgresql") else 1)
    containers = [container_factory(service, dict(config, DATABASE_URL=db_url))
                  for _ in range(count)]
    for c in containers:
        c.start()
    return containers




def pg_lock_row(url: str, table: str, key: str):
    """Another transaction holding the row (as a busy use case does): ticks that reach it
    wait, so instances that started together overlap for certain."""
    from sqlalchemy.engine import make_url
    u = make_url(url)
    conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                            dbname=u.database)
    cur = conn.cursor()
    cur.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE", (key,))
    return conn


# ---- the review board's clock watch --------------------------------------------------------

@pytest.fixture
def board(container_factory, rabbit_config, db_url, keys_dir):
    containers = instances(container_factory, ReviewService,
                           dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES), db_url)
    engine = make_engine(db_url)
    env = Env(open_db(engine), Rules.from_config({"AGENCIES": AGENCIES}))
    yield containers, env
    engine.dispose()


def open_reviews(env) -> dict[str, dict]:
    """No deadline (materials outstanding), due 2025-11-04, and one due earlier."""
    env.now = cst("2025-10-13")
    early = env.call(usecases.request_review, "request_review", request_payload(
        case_no="沁能立〔2025〕5号", materials=ALWAYS,
        requested_at="2025-10-13T09:00:00+08:00"), OFFICER)
    env.now = cst("2025-10-20")
    waiting = env.call(usecases.request_review, "request_review",
                       request_payload(case_no="沁能立〔2025〕6号"), OFFICER)
    near = env.call(usecases.request_review, "request_review",
                    request_payload(case_no="沁能立〔2025〕7号"), OFFICER)
    env.now = cst("2025-10-21", 15)
    near = env.call(usecases.submit_materials, "submit_materials", {
        "review_id": near["id"], "materials": [material(c) for c in ALWAYS],
        "submitted_at": "2025-10-21T15:00:00+08:00"}, OFFICER)
    assert waiting["deadline"] is None
    assert near["deadline"]["due"] == "2025-11-04"
    assert early["deadline"]["due"] < "2025-11-04"
    return {"waiting": waiting, "near": near, "early": early}


def sent(env) -> dict[str, list[tuple[str, str]]]:
    with env.db.read() as s:
        rows = s.execute(select(models.outbox.c.event_type, models.outbox.c.body)).all()
    out: dict[str, list] = {"review_due_soon.v1": [], "review_overdue.v1": []}
    for event_type, body in rows:
        if event_type in out:
            data = json.loads(body)["data"]
            out[event_type].append((data["review_id"], data["due"]))
    return {k: sorted(v) for k, v in out.items()}


def test_clock_watch_sends_one_reminder_and_one_overdue_per_review_over_many_ticks(board):
    containers, env = board
    reviews = open_reviews(env)
    day, results = date(2025, 10, 22), []
    while day <= date(2025, 11, 7):
        for hour in (9, 15):                 # two ticks a day, every instance each time
            with frozen(cst(day.isoformat(), hour)):
                results += fire_together(containers, "watch_clocks")
        day += timedelta(days=1)

    assert all(r["failed"] == 0 for r in results), results
    due = {name: r["deadline"]["due"] for name, r in reviews.items() if r["deadline"]}
    expected = sorted((reviews[name]["id"], d) for name, d in due.items())
    assert sent(env) == {"review_due_soon.v1": expected, "review_overdue.v1": expected}
    assert sum(r["reminders"] for r in results) == 2
    assert sum(r["overdue"] for r in results) == 2


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_instances_that_tick_together_on_a_busy_review_remind_once(board, db_url):
    """Both instances find the review owed its reminder; it is locked by a use case, so both
    reach it together. Exactly one reminder goes out."""
    containers, env = board
    near = open_reviews(env)["near"]
    lock = pg_lock_row(db_url, "reviews", near["id"])
    try:
        with frozen(cst("2025-10-31")):
            ticks = [eventlet.spawn(fire, c, "watch_clocks") for c in containers]
            eventlet.sleep(1.0)              # both are past their scan by now
            lock.rollback()
            results = [t.wait() for t in ticks]
    finally:
        lock.close()
    assert sum(r["reminders"] for r in results) == 1    # `early` is overdue by now
    assert sent(env)["review_due_soon.v1"].count((near["id"], "2025-11-04")) == 1


def test_a_review_that_fails_holds_nobody_back_and_is_tried_again(board, caplog):
    containers, env = board
    reviews = open_reviews(env)
    broken = reviews["early"]["id"]
    # a due date no calendar covers (as after a calendar file was withdrawn): counting the
    # working days to it fails closed, for this review only
    with env.db.transaction() as s:
        s.execute(update(models.reviews).where(models.reviews.c.id == broken).values(
            deadline=dict(reviews["early"]["deadline"], due="2031-01-06")))
    for day in ("2025-10-31", "2025-11-03"):
        with frozen(cst(day)):
            results = [fire(c, "watch_clocks") for c in containers]
        assert sum(r["failed"] for r in results) >= 1
    assert "calendar" in caplog.text and broken in caplog.text
    assert [r for r, _ in sent(env)["review_due_soon.v1"]] == [reviews["near"]["id"]]

    with env.db.transaction() as s:                 # put right: the next tick sends it
        s.execute(update(models.reviews).where(models.reviews.c.id == broken).values(
            deadline=reviews["early"]["deadline"]))
    with frozen(cst("2025-11-04")):
        results = [fire(c, "watch_clocks") for c in containers]
    assert sum(r["failed"] for r in results) == 0
    assert broken in [r for r, _ in sent(env)["review_overdue.v1"]]


# ---- the record keeper's checkpoints -------------------------------------------------------

@pytest.fixture
def keepers(container_factory, rabbit_config, db_url, keys_dir, token_issuer):
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    containers = instances(container_factory, RecordsService, config, db_url)
    token = token_issuer.issue(actor_id="officer-lc-017", role="officer",
                               agency="lingchuan-emergency")
    cases = []
    with ServiceRpcProxy("records", config, context_data={"actor_token": token},
                         timeout=20) as records:
        for n in range(3):
            request = dict(RECORDS.rpc("open_case").example_request,
                           case_no=f"陵应急立〔2025〕{40 + n}号")
            cases.append(records.open_case(**request)["id"])
    engine = make_engine(db_url)
    yield containers, cases, engine
    engine.dispose()


def checkpoints_per_case(engine) -> dict[str, int]:
    cp = records_models.checkpoints
    with engine.connect() as conn:
        return dict(conn.execute(select(cp.c.case_id, func.count()).group_by(cp.c.case_id)).all())


def test_checkpoint_timer_signs_each_moved_head_once_over_many_ticks(keepers):
    containers, cases, engine = keepers
    results = []
    for _ in range(3):
        results += fire_together(containers, "checkpoint_heads")
    assert sum(r["signed"] for r in results) == 3 and not any(r["failed"] for r in results)
    assert checkpoints_per_case(engine) == dict.fromkeys(cases, 1)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_instances_that_tick_together_on_a_busy_case_sign_its_head_once(keepers, db_url):
    containers, cases, engine = keepers
    lock = pg_lock_row(db_url, "cases", cases[0])
    try:
        ticks = [eventlet.spawn(fire, c, "checkpoint_heads") for c in containers]
        eventlet.sleep(1.0)
        lock.rollback()
        results = [t.wait() for t in ticks]
    finally:
        lock.close()
    assert sum(r["signed"] for r in results) == 3
    assert checkpoints_per_case(engine) == dict.fromkeys(cases, 1)
