"""What the review board's tests build with: the agencies under their shipped rule sets, a
use-case environment on SQLite with no broker (events stay in the outbox table, where the
tests read them back), the people who act, requests, staff, findings and whole reviews up to
an opinion, and records' decision_proposed event."""
from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from contracts.records import CONTRACT as RECORDS
from contracts.records import DECISION, PARTY
from contracts.review import CONTRACT
from services.review import domain, models, queries, usecases
from services.review.domain import Reviewer
from shared.contracts.registry import envelope, load
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor
from shared.trust.keys import SigningKey, key_id
from shared.trust.signatures import sign
from tests import agencies
from tests.agencies import AGENCIES

# ---- the rule sets, for the rules that need no database ------------------------------------------

RULES = Rules.from_config({"AGENCIES": AGENCIES})
QINYUAN: RuleSet = RULES.ruleset(agencies.QINYUAN)
ANZE: RuleSet = RULES.ruleset(agencies.ANZE)
LINGCHUAN: RuleSet = RULES.ruleset(agencies.LINGCHUAN)
ZHOUCUN: RuleSet = RULES.ruleset(agencies.ZHOUCUN)
CHANGZHI: RuleSet = RULES.ruleset(agencies.CHANGZHI)
ALWAYS = ("proposal", "investigation_report", "draft_decision", "basis_and_evidence")
QINYUAN_POINTS = ["lawful_subject", "officer_qualified", "facts_evidence", "lawful_procedure",
                  "law_applied", "discretion", "documents", "other"]


def codes(items: list[dict]) -> list[str]:
    return [i["code"] for i in items]


def reviewer(qualified: bool = False, done: int = 0,
             roles: tuple[str, ...] = ("reviewer",)) -> Reviewer:
    return Reviewer(person_id="r", name="王某", roles=roles, legal_qualification=qualified,
                    qualification_no="A1" if qualified else None, penalty_reviews_done=done)


def all_points(rs: RuleSet, result: str = "pass", **override: str) -> dict:
    return {p: {"result": override.get(p, result)} for p in domain.review_points(rs)}


# ---- the use cases on SQLite -------------------------------------------------------------------

def event_key(service: str) -> SigningKey:
    """A fresh event key of `service` (no key folder: nothing here verifies against it)."""
    key = Ed25519PrivateKey.generate()
    return SigningKey(key, key_id(key.public_key()), service)


class Env:
    def __init__(self, db: Db, rules: Rules):
        self.db = db
        self.rules = rules
        self.outbox = OutboxWriter(models.outbox, CONTRACT, signer=event_key("review"))
        self.now = datetime(2025, 10, 20, 1, 0, tzinfo=UTC)   # 09:00 CST, a Monday

    def deps(self) -> dict:
        return dict(db=self.db, outbox=self.outbox, rules=self.rules, now=self.now)

    def call(self, fn: Callable[..., Any], method: str, payload: dict, who: Actor) -> Any:
        """Validate the payload with the contract (as the entrypoint does), run the use case."""
        request = load(CONTRACT.rpc(method).request, payload, what=method)
        return fn(request, actor=who, **self.deps())

    def events(self, event_type: str | None = None) -> list[dict]:
        with self.db.read() as s:
            rows = s.execute(select(models.outbox.c.event_type, models.outbox.c.body)
                             .order_by(models.outbox.c.id)).all()
        return [json.loads(b) if isinstance(b, str) else b
                for t, b in rows if event_type in (None, t)]


@contextlib.contextmanager
def statements(env: Env) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements the database is sent inside the block, in order, each with its
    parameters."""
    sent: list[tuple[str, Any]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        sent.append((statement, parameters))
    event.listen(env.db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(env.db.engine, "before_cursor_execute", note)


def plan(env: Env, sent: tuple[str, Any]) -> str:
    """PostgreSQL's plan of a statement sent (statements()) where the planner may not scan a
    table whole: it names the index the statement can be answered from (on a table of a few
    rows a scan would win)."""
    statement, parameters = sent
    with env.db.engine.begin() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).scalars().all()
    return "\n".join(rows)


def actor(role: str = "officer", agency: str = agencies.QINYUAN,
          id: str | None = None) -> Actor:
    return Actor(id=id or f"{role}-1", role=role, agency=agency, name=role)


OFFICER = actor("officer", id="officer-1")
HEAD = actor("head", id="head-1")
LEGAL = actor("legal_unit", id="legal-1")
REVIEWER = actor("reviewer", id="reviewer-1")
REVIEWER2 = actor("reviewer", id="reviewer-2")


def request_payload(agency: str = agencies.QINYUAN, *, case_no: str = "沁能立〔2025〕7号",
                    seq: int = 3,
                    materials: tuple[str, ...] = (),
                    grounds: tuple[str, ...] = ("public_interest",), hearing: bool = False,
                    handlers: tuple[str, ...] = ("officer-1", "officer-2"),
                    participants: tuple[str, ...] = ("head-1",),
                    requested_at: str = "2025-10-20T09:00:00+08:00") -> dict:
    decision = copy.deepcopy(DECISION)
    decision.update(grounds=list(grounds), hearing_held=hearing)
    return {"agency": agency, "case_id": f"case-{case_no}", "case_no": case_no,
            "proposal_seq": seq, "decision": decision, "party": copy.deepcopy(PARTY),
            "handlers": list(handlers), "participants": list(participants),
            "requested_at": requested_at, "materials": [material(c) for c in materials],
            "applicable": []}


def material(code: str) -> dict:
    return {"code": code, "title": f"{code} 材料", "ref": None, "sha256": None, "note": None}


def staff(env: Env, person_id: str, *, agency: str = agencies.QINYUAN,
          roles: tuple[str, ...] = ("reviewer",), qualified: bool = True, prior: int = 0,
          who: Actor | None = None) -> dict:
    return env.call(usecases.register_staff, "register_staff", {
        "agency": agency, "person_id": person_id, "name": f"{person_id} 姓名",
        "roles": list(roles), "legal_qualification": qualified,
        "qualification_no": "A2019" if qualified else None, "prior_penalty_reviews": prior,
        "active": True, "note": None}, who or actor("legal_unit", agency=agency, id="legal-1"))


def history(env: Env, review_id: str, agency: str = agencies.QINYUAN) -> list[dict]:
    return queries.get_review({"review_id": review_id}, actor=actor("head", agency=agency),
                              db=env.db, rules=env.rules, now=env.now)["history"]


def at(day_time: str) -> datetime:
    """A CST wall-clock time as the use cases' `now`."""
    return datetime.fromisoformat(day_time + "+08:00").astimezone(UTC)


def findings(env: Env, review_id: str, points: Iterable[str], who: Actor = REVIEWER,
             **results: str) -> dict:
    for point in points:
        view = env.call(usecases.record_finding, "record_finding", {
            "review_id": review_id, "point": point, "result": results.get(point, "pass"),
            "note": "文书编号不规范" if results.get(point) == "flaw" else None,
            "recorded_at": "2025-10-30T10:00:00+08:00"}, who)
    return view


def counsel_material(rs: RuleSet) -> tuple[str, ...]:
    """The material carrying the legal counsel's 法律意见书, where the rule set requires one
    before the opinion (陵川 001 工作方案 四(三)一)."""
    code = rs.section("review").get("legal_counsel", {}).get("opinion_material")
    required = rs.section("review").get("legal_counsel", {}).get("value") == "required"
    return (code,) if code and required else ()


def complete_review(env: Env, agency: str = agencies.QINYUAN, *, counsel: bool = True,
                    **kw: Any) -> str:
    """A review of `agency` with its materials complete (and, unless `counsel` is False, the
    counsel's 法律意见书 where the rule set requires it) and reviewer-1 assigned."""
    who = actor("officer", agency=agency, id="officer-1")
    owed = counsel_material(env.rules.agency(agency).ruleset) if counsel else ()
    view = env.call(usecases.request_review, "request_review",
                    request_payload(agency, materials=ALWAYS + owed, **kw), who)
    staff(env, "reviewer-1", agency=agency)
    env.call(usecases.assign_reviewer, "assign_reviewer",
             {"review_id": view["id"], "reviewer_id": "reviewer-1", "reason": "轮值"},
             actor("legal_unit", agency=agency, id="legal-1"))
    return view["id"]


def issue(env: Env, rid: str, agency: str = agencies.QINYUAN,
          opinion: str = "approve") -> dict:
    who = actor("reviewer", agency=agency, id="reviewer-1")
    points = domain.review_points(env.rules.agency(agency).ruleset)
    findings(env, rid, points, who=who)
    return env.call(usecases.issue_opinion, "issue_opinion", {
        "review_id": rid, "opinion": opinion, "reasons": "事实清楚",
        "issued_at": "2025-10-30T16:00:00+08:00"}, who)


# ---- records' decision_proposed.v1 ---------------------------------------------------------------

RECORDS_KEY = event_key("records")


def proposed(major: bool = True, seq: int = 9) -> dict:
    # records' own example, so fields records adds to its event keep the test honest
    data = copy.deepcopy(RECORDS.event("decision_proposed.v1").example)
    data.update(proposal_seq=seq, major=major, handlers=["officer-lc-017"],
                participants=["head-lc-001"])
    if not major:
        data["fired"] = []
    body = envelope(RECORDS, "decision_proposed.v1", data, agency=agencies.LINGCHUAN,
                    actor={"id": "officer-lc-017", "role": "officer"},
                    ruleset="lingchuan-emergency@1")
    sign(body, RECORDS_KEY)   # as records' outbox does; the handler verified it before
    return body


# ---- the tables as an earlier revision holds them ------------------------------------------

def migrate_to(engine: Engine, revision: str) -> None:
    """The review board's tables upgraded to `revision` (an existing deployment's)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "services.review:migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


# a reviews row as revision 0002 holds it (legacy_review's parameters)
LEGACY_REVIEW = (
    "INSERT INTO reviews (id, agency, ruleset, case_id, case_no, proposal_seq, decision, "
    "classification, handlers, participants, state, requested_at, requested_by, materials, "
    "applicable, stops, deadline, reminded_for, overdue_for, assignments, interests, findings, "
    "opinion, updated_at) VALUES (:id, 'qinyuan-energy', 'qinyuan-energy@1', :id, :id, :seq, "
    ":decision, '{}', '[]', '[]', :state, '2025-10-20 01:00:00', 'officer-1', '[]', '[]', "
    "'[]', :deadline, :reminded_for, :overdue_for, :assignments, '[]', '{}', :opinion, "
    "'2025-10-20 01:00:00')")


def legacy_review(review_id: str, seq: int, *, state: str, deadline: dict | None = None,
                  reminded_for: date | None = None, overdue_for: date | None = None,
                  act_type: str = "penalty", assignments: tuple = (),
                  opinion: dict | None = None) -> dict:
    return {"id": review_id, "seq": seq, "state": state,
            "decision": json.dumps({"act_type": act_type}),
            "deadline": None if deadline is None else json.dumps(deadline),
            "reminded_for": reminded_for, "overdue_for": overdue_for,
            "assignments": json.dumps(list(assignments)),
            "opinion": None if opinion is None else json.dumps(opinion)}
