"""nameko entrypoints of the review board: each goes through shared.service.entrypoint.handle —
the actor authenticated, its role checked and the payload validated against the contract, one
use case run, the contract's response dumped, every refusal recorded in the review log."""
from __future__ import annotations

from typing import Any

from nameko.dependency_providers import Config
from nameko.timer import timer

from contracts.review import CONTRACT
from services.review import gauges, queries, store, usecases
from services.review.domain.clock import remind_workdays
from services.review.models import inbox as inbox_table
from services.review.models import outbox as outbox_table
from shared.calendar.clock import now
from shared.contracts.registry import dump, load
from shared.errors import NotFound
from shared.messaging.consumer import event_handler
from shared.messaging.outbox import Outbox
from shared.messaging.retention import Retention
from shared.messaging.rpc import rpc
from shared.persistence.db import Database
from shared.service import Service

VERSION = "0.1.0"


class ReviewService(Service):
    name = "review"
    metrics_port = 9462  # `sanxiang run`'s METRICS_ADDRESS 127.0.0.1:9462
    contract = CONTRACT
    version = VERSION
    peers_needed = ("records",)
    store = store
    _gauges = staticmethod(gauges.gauges)  # its own metrics (gauges.py)

    db = Database("services.review:migrations")
    outbox = Outbox(CONTRACT, outbox_table)
    retention = Retention(outbox_table, inbox_table)  # published and handled rows pruned
    config = Config()

    def _deps(self) -> dict[str, Any]:
        return {"db": self.db, "rules": self.rules, "now": now()}

    def _missing(self, request: dict) -> NotFound | None:
        return store.missing_review(request)

    def _refused(self, actor: Any, method: str, request: dict, exc: Exception) -> None:
        """A refused call in the review's history and in the access log (调阅监督)."""
        super()._refused(actor, method, request, exc)
        store.record_refused_access(self.db, actor, method, request, exc, now())

    @rpc
    def classify(self, **payload: Any) -> dict:
        spec = CONTRACT.rpc("classify")
        return dump(spec.response, queries.classify(load(spec.request, payload, what="classify"),
                                                    rules=self.rules))

    @event_handler("records", "decision_proposed.v1")
    def on_decision_proposed(self, body: dict) -> None:
        usecases.on_decision_proposed(body, db=self.db, outbox=self.outbox, rules=self.rules,
                                      now=now())

    @rpc
    def request_review(self, **payload: Any) -> Any:
        return self._write("request_review", payload, usecases.request_review)

    @rpc
    def submit_materials(self, **payload: Any) -> Any:
        return self._write("submit_materials", payload, usecases.submit_materials)

    @rpc
    def register_staff(self, **payload: Any) -> Any:
        return self._write("register_staff", payload, usecases.register_staff)

    @rpc
    def assign_reviewer(self, **payload: Any) -> Any:
        return self._write("assign_reviewer", payload, usecases.assign_reviewer)

    @rpc
    def declare_interest(self, **payload: Any) -> Any:
        return self._write("declare_interest", payload, usecases.declare_interest)

    @rpc
    def stop_clock(self, **payload: Any) -> Any:
        return self._write("stop_clock", payload, usecases.stop_clock)

    @rpc
    def resume_clock(self, **payload: Any) -> Any:
        return self._write("resume_clock", payload, usecases.resume_clock)

    @rpc
    def extend_deadline(self, **payload: Any) -> Any:
        return self._write("extend_deadline", payload, usecases.extend_deadline)

    @rpc
    def record_finding(self, **payload: Any) -> Any:
        return self._write("record_finding", payload, usecases.record_finding)

    @rpc
    def issue_opinion(self, **payload: Any) -> Any:
        return self._write("issue_opinion", payload, usecases.issue_opinion)

    @rpc
    def contest_opinion(self, **payload: Any) -> Any:
        return self._write("contest_opinion", payload, usecases.contest_opinion)

    @rpc
    def record_consultation(self, **payload: Any) -> Any:
        return self._write("record_consultation", payload, usecases.record_consultation)

    @rpc
    def head_decide(self, **payload: Any) -> Any:
        return self._write("head_decide", payload, usecases.head_decide)

    @rpc
    def record_collective_discussion(self, **payload: Any) -> Any:
        return self._write("record_collective_discussion", payload,
                           usecases.record_collective_discussion)

    @rpc
    def get_review(self, **payload: Any) -> Any:
        return self._run("get_review", payload, queries.get_review)

    @rpc
    def get_review_v2(self, **payload: Any) -> Any:
        return self._run("get_review_v2", payload, queries.get_review_page)

    @rpc
    def list_reviews(self, **payload: Any) -> Any:
        return self._run("list_reviews", payload, queries.list_reviews)

    @rpc
    def list_reviews_v2(self, **payload: Any) -> Any:
        return self._run("list_reviews_v2", payload, queries.list_reviews_page)

    @rpc
    def staffing_report(self, **payload: Any) -> Any:
        return self._run("staffing_report", payload, queries.staffing_report)

    @rpc
    def check_manual_review(self, **payload: Any) -> Any:
        return self._run("check_manual_review", payload, queries.check_manual_review)

    @rpc
    def opinion_document(self, **payload: Any) -> Any:
        return self._run("opinion_document", payload, queries.opinion_document)

    @rpc
    def my_reviews(self, **payload: Any) -> Any:
        return self._run("my_reviews", payload, queries.my_reviews)

    @rpc
    def access_log(self, **payload: Any) -> Any:
        return self._run("access_log", payload, queries.access_log)

    @timer(interval=600)
    def watch_clocks(self) -> dict:
        """Reminders before a review falls due and an overdue event after, each once per
        review and due date however many instances tick."""
        return usecases.check_clocks(db=self.db, outbox=self.outbox, rules=self.rules,
                                     now=now(), remind_workdays=remind_workdays(self.config))
