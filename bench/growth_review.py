"""What the review board's calls and timer that read an agency's history cost as that history
grows: each at a small and a large size in one run, side by side, with the large/small ratio
(bench/growth.py runs it after the record keeper's rows; it also runs alone). In-process on
PostgreSQL (the use cases and queries the RPCs run, without the broker), each size in a
database of its own holding `size` open reviews (under review, the clock running) and `size`
finished penalty reviews of one reviewer, planner statistics taken as autovacuum would.

- clock tick with nothing due: every open review due beyond the reminder horizon;
- clock tick with 5 due: five of them owed a reminder today (sent, then owed again);
- assign_reviewer: the reviewer who finished every finished review, to an open one;
- get_review (v1) and get_review_v2 (first page of 100): one finished review;
- list_reviews (v1) first page of 20, list_reviews_v2 last page of 20 by its cursor.

Target: large/small ≤ 1.5× for every call and tick.

    .venv/bin/python bench/growth_review.py [--quick] [--small 100] [--large 5000] [--repeat 7]
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import common
from common import row
from review_roundtrip import ROLES, one_review, request_payload, review_points, staff_payload

NAME = "growth_review"
TARGET_RATIO = 1.5
PAGE = 20
DUE_NOW = 5
# the bench's day: the open reviews (due 2025-10-29) are beyond the reminder horizon
TODAY = datetime(2025, 10, 21, 1, 0, tzinfo=UTC)
SOON = "2025-10-22"   # the due date of the reviews the tick with a few due reminds


def timed(fn: Callable[[], object], repeat: int,
          before: Callable[[], object] = lambda: None) -> float:
    """Median seconds of `repeat` calls after one warm-up call, `before` run untimed before
    each."""
    before()
    fn()
    times = []
    for _ in range(repeat):
        before()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


class Board:
    """One database holding one agency's reviews, and the calls measured on it."""

    def __init__(self, db_url: str) -> None:
        from contracts.review import CONTRACT
        from services.review import models
        from shared.messaging.outbox import OutboxWriter
        from shared.persistence.db import make_engine, migrate, open_db
        from shared.rulesets.provider import Rules
        from shared.trust.actor import Actor

        self.engine = make_engine(db_url)
        migrate(self.engine, "services.review:migrations")
        self.db = open_db(self.engine)
        self.rules = Rules.from_config({"AGENCIES": common.AGENCIES})
        self.outbox = OutboxWriter(models.outbox, CONTRACT,
                                   signer=common.throwaway_key("review"))
        self.actors = {role: Actor(id=who, role=role, agency=common.AGENCY, name=who)
                       for role, who in ROLES.items()}
        self.head = Actor(id="head-bench", role="head", agency=common.AGENCY)
        self.open: list[str] = []
        self.due: list[str] = []
        self.finished = ""

    def call(self, role: str, method: str, payload: dict) -> Any:
        from contracts.review import CONTRACT
        from services.review import usecases
        from shared.calendar.clock import now
        from shared.contracts.registry import dump, load
        spec = CONTRACT.rpc(method)
        request = load(spec.request, payload, what=method)
        return dump(spec.response, getattr(usecases, method)(
            request, actor=self.actors[role], now=now(), db=self.db, outbox=self.outbox,
            rules=self.rules))

    def fill(self, size: int, batch: int = 500) -> None:
        """`size` open and `size` finished reviews: one of each through the use cases, the
        rest copies of them (new ids and cases, three history entries each) saved through the
        store, so that each is noted and counted as the service notes and counts them."""
        from sqlalchemy import insert, select

        from services.review import store
        from services.review.models import review_log
        self.call("legal_unit", "register_staff", staff_payload())
        answers: list[dict] = []

        def call(role: str, method: str, payload: dict) -> Any:
            answers.append(self.call(role, method, payload))
            return answers[-1]
        one_review(call, 0, "F", review_points())
        self.finished = answers[0]["id"]
        self.open = [self.call("officer", "request_review", request_payload(0, "O"))["id"]]
        with self.db.read() as session:
            done, running = (store.load(session, self.finished), store.load(session,
                                                                               self.open[0]))
            entries = [{k: v for k, v in r.items() if k != "id"} for r in session.execute(
                select(review_log).where(review_log.c.review_id == self.finished)
                .limit(3)).mappings()]
        done["credited"] = []
        for start in range(1, size, batch):
            with self.db.transaction() as session:
                log_rows = []
                for n in range(start, min(start + batch, size)):
                    for template, tag in ((running, "O"), (done, "F")):
                        review = _copy(template, n, tag)
                        store.insert_review(session, review)
                        log_rows += [dict(e, review_id=review["id"]) for e in entries]
                        if tag == "O":
                            self.open.append(review["id"])
                session.execute(insert(review_log), log_rows)
        self.due = self.open[-DUE_NOW:]
        self.open = self.open[:-DUE_NOW]

    def rearm(self) -> None:
        """The few reviews due soon, owed their reminder again."""
        from services.review import store
        with self.db.transaction() as session:
            for review_id in self.due:
                review = store.load(session, review_id, lock=True)
                review["deadline"] = dict(review["deadline"] or {}, due=SOON)
                review["reminded_for"] = None
                store.save(session, review, TODAY)

    def analyze(self) -> None:
        with self.engine.begin() as conn:
            for table in ("reviews", "review_log", "staff"):
                conn.exec_driver_sql(f"ANALYZE {table}")

    def tick(self, expect: int) -> Callable[[], object]:
        from services.review import usecases

        def run() -> None:
            sent = usecases.check_clocks(db=self.db, outbox=self.outbox, rules=self.rules,
                                         now=TODAY, remind_workdays=2)
            if sent["reminders"] != expect or sent["overdue"] or sent["failed"]:
                raise common.BenchError(f"clock tick: {sent}, expected {expect} reminders")
        return run

    def assign(self) -> Callable[[], object]:
        waiting = iter(self.open[1:])
        return lambda: self.call("legal_unit", "assign_reviewer", {
            "review_id": next(waiting), "reviewer_id": ROLES["reviewer"], "reason": "轮值"})

    def get_review(self, v2: bool) -> Callable[[], object]:
        from services.review import queries
        from shared.calendar.clock import now
        if v2:
            p = {"review_id": self.finished, "history_limit": 100, "history_cursor": None}
            return lambda: queries.get_review_page(p, actor=self.head, db=self.db,
                                                   rules=self.rules, now=now())
        return lambda: queries.get_review({"review_id": self.finished}, actor=self.head,
                                          db=self.db, rules=self.rules, now=now())

    def list_first_page(self) -> Callable[[], object]:
        from services.review import queries
        from shared.calendar.clock import now
        p = {"agency": common.AGENCY, "state": None, "case_id": None, "limit": PAGE}
        return lambda: queries.list_reviews(p, actor=self.head, db=self.db, rules=self.rules,
                                            now=now())

    def list_last_page_v2(self) -> Callable[[], object]:
        from services.review import queries
        from shared.calendar.clock import now
        p: dict[str, Any] = {"agency": common.AGENCY, "state": None, "case_id": None,
                             "limit": PAGE, "cursor": None}
        while True:  # walk to the cursor of the last page
            page = queries.list_reviews_page(p, actor=self.head, db=self.db, rules=self.rules,
                                             now=now())
            if page["next"] is None:
                break
            p = dict(p, cursor=page["next"])
        return lambda: queries.list_reviews_page(p, actor=self.head, db=self.db,
                                                 rules=self.rules, now=now())

    def close(self) -> None:
        self.engine.dispose()


def _copy(template: Any, n: int, tag: str) -> Any:
    """A review like `template` (a domain.Review) of a case of its own."""
    return dict(template, id=str(uuid.uuid4()), case_id=str(uuid.uuid4()),
                case_no=f"陵应急立〔2025〕{tag}{n}号",
                requested_at=template["requested_at"] + timedelta(seconds=n))


def measure(size: int, repeat: int) -> dict[str, float]:
    with common.pg_database(NAME) as db_url:
        board = Board(db_url)
        try:
            board.fill(size)
            board.analyze()
            board.rearm()
            board.tick(DUE_NOW)()    # the first tick sends what the copies are owed
            out = {
                "clock tick, nothing due": timed(board.tick(0), repeat),
                f"clock tick, {DUE_NOW} due": timed(board.tick(DUE_NOW), repeat, board.rearm),
                "assign_reviewer": timed(board.assign(), repeat),
                "get_review (v1)": timed(board.get_review(False), repeat),
                "get_review_v2, first history page": timed(board.get_review(True), repeat),
                f"list_reviews (v1), first {PAGE}": timed(board.list_first_page(), repeat),
                "list_reviews_v2 last page, cursor": timed(board.list_last_page_v2(), repeat)}
        finally:
            board.close()
    return out


def run(args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    small = measure(args.small, args.repeat)
    large = measure(min(args.large, 1000) if args.quick else args.large, args.repeat)
    big = min(args.large, 1000) if args.quick else args.large
    rows = []
    for metric, s in small.items():
        ratio = large[metric] / s
        rows.append(row(NAME, f"{metric} ({args.small:,} → {big:,} open + finished reviews), "
                              "ms", f"{s * 1000:.1f} → {large[metric] * 1000:.1f}  "
                                    f"({ratio:.2f}×)", f"≤ {TARGET_RATIO}×",
                        ratio <= TARGET_RATIO))
    notes = [f"{NAME}: median of {args.repeat} calls after a warm-up, in-process on "
             "PostgreSQL"]
    return rows, notes


def add_arguments(p: argparse.ArgumentParser) -> None:
    for flag, default in (("--small", 100), ("--large", 5000), ("--repeat", 7)):
        if not any(flag in a.option_strings for a in p._actions):
            p.add_argument(flag, type=int, default=default)


if __name__ == "__main__":
    parser = common.parser((__doc__ or NAME).splitlines()[0])
    add_arguments(parser)
    raise SystemExit(common.main(run, parser))
