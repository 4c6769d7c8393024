"""What the record keeper's tests share: the environment the use cases run in (a real
database and the shipped rule sets, no broker: events stay in the outbox table, where the
tests read them back), actors, a use case called as its RPC runs it, and the cases the tests
build — the demo case up to a step, a case at its decision, and the cases of the findings."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from contracts.records import CONTRACT
from contracts.review import CONTRACT as REVIEW
from demo.case import COUNSEL_OPINION
from services.records import models, queries, store
from services.records.domain.chain import CheckpointKeys
from services.records.usecases import cases, decisions, records, secrets
from shared.calendar.clock import local_date
from shared.contracts.registry import envelope, load
from shared.errors import SanxiangError
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db, make_engine, migrate, open_db
from shared.rulesets.provider import Rules
from shared.service.entrypoint import handle
from shared.trust.actor import Actor
from shared.trust.keys import KeyStore, SigningKey, init_deployment, key_id
from shared.trust.signatures import sign
from tests.agencies import AGENCIES
from tests.builders import (
    OFFICERS,
    demo_decision,
    demo_plan,
    open_case_request,
    remember,
    request_of,
    step_request,
)


class NoReviewBoard:
    """The peer directory of a deployment with only the record keeper."""

    def deployed(self, service: str) -> bool:
        return service == "records"


class NoBoard:
    """The review board as the record keeper sees it in a deployment without it."""

    def deployed(self) -> bool:
        return False


class Env:
    def __init__(self, db: Db, rules: Rules, keys: KeyStore) -> None:
        self.db = db
        self.rules = rules
        self.outbox = OutboxWriter(models.outbox, CONTRACT,
                                   signer=keys.event_signing_key("records"))
        self.signing_key = CheckpointKeys.of(keys.checkpoint_key("records").key)
        self.peers = NoReviewBoard()
        self.board = NoBoard()
        self.now = datetime(2025, 10, 9, 8, 0, tzinfo=UTC)

    def deps(self, **extra: Any) -> dict:
        return dict(db=self.db, outbox=self.outbox, rules=self.rules, now=self.now, **extra)

    def events(self, event_type: str | None = None) -> list[dict]:
        with self.db.read() as s:
            rows = s.execute(select(models.outbox.c.event_type, models.outbox.c.body)
                             .order_by(models.outbox.c.id)).all()
        return [json.loads(b) for t, b in rows if event_type in (None, t)]


def keys_dir(tmp_path: Path) -> Path:
    """A deployment's keys: the record keeper's event and checkpoint keys."""
    root = tmp_path / "keys"
    init_deployment(root, ["records"], checkpoint_signers=["records"], issuer=False)
    return root


def open_env(url: str, tmp_path: Path) -> Iterator[Env]:
    """The record keeper's tables migrated on the database at `url`, the agencies of
    tests.agencies served; the engine disposed of after."""
    engine = make_engine(url)
    migrate(engine, "services.records:migrations")
    yield Env(open_db(engine), Rules.from_config({"AGENCIES": AGENCIES}),
              KeyStore(keys_dir(tmp_path)))
    engine.dispose()


def actor(role: str = "officer", agency: str = "lingchuan-emergency", id: str | None = None,
          party_id: str | None = None, case_id: str | None = None) -> Actor:
    return Actor(id=id or f"{role}-1", role=role, agency=agency, name=role, party_id=party_id,
                 case_id=case_id)


WRITES = {"open_case", "approve_emergency_start", "decide_source", "advance_stage",
          "append_record", "record_av", "propose_decision", "enter_legal_review",
          "issue_decision", "close_case", "archive_case", "correct_entry", "classify_entry",
          "append_record_v2"}


def use_case(method: str) -> Callable:
    """The function an RPC of the record keeper runs: a command of usecases, or a read."""
    if method == "append_record_v2":  # one use case for both; v1 carries no classification
        return records.append_record
    if method in WRITES:
        return next(getattr(module, method) for module in (cases, records, decisions, secrets)
                    if hasattr(module, method))
    return getattr(queries, method)


def call(env: Env, method: str, payload: dict, who: Actor) -> Any:
    """A use case as its RPC runs it: the caller's role checked against the contract and the
    request loaded by it first (as shared.service.entrypoint.handle does)."""
    spec = CONTRACT.rpc(method)
    who = spec.admit(who)
    request = load(spec.request, payload, what=method)
    deps = env.deps() if method in WRITES else dict(db=env.db, now=env.now)
    if method == "issue_decision":
        deps["peers"] = env.peers
    if method == "enter_legal_review":
        deps["board"] = env.board
    if method == "due_deadlines":
        deps["rules"] = env.rules
    return use_case(method)(request, actor=who, **deps)


def recorded_refusal(env: Env) -> Callable:
    """The service's `_refused`: a refusal recorded in the access log."""
    return lambda a, m, request, exc: store.record_refusal(env.db, a, m, request, exc, env.now)


def as_service(env: Env, method: str, payload: dict, who: Actor, fn: Callable,
               **deps: Any) -> Any:
    """A use case through the entrypoint's shape (shared.service.entrypoint.handle): validated,
    and a refusal recorded as the service records it (`missing=queries.missing_case` answers
    as the service does)."""
    return handle(CONTRACT, method, payload, fn, actor=who, refused=recorded_refusal(env),
                  db=env.db, now=env.now, **deps)


def access_log_rows(env: Env, *columns: str) -> list[tuple]:
    """The access log's rows in order, as tuples of the named columns."""
    with env.db.read() as s:
        return [tuple(r) for r in s.execute(select(
            *(models.access_log.c[c] for c in columns)).order_by(models.access_log.c.id))]


def outbox_states(env: Env) -> dict[tuple[str, str], set[str]]:
    """The outbox's states per (agency, event type)."""
    out: dict[tuple[str, str], set[str]] = {}
    with env.db.read() as s:
        for body, state in s.execute(select(models.outbox.c.body, models.outbox.c.state)):
            event = json.loads(body)
            out.setdefault((event["agency"], event["event_type"]), set()).add(state)
    return out


# The review board's event key in these tests: its opinions reach the record keeper's handler
# already verified (the handler's gate, shared.messaging.consumer), so any key of "review" will do.
_review_key = Ed25519PrivateKey.generate()
REVIEW_KEY = SigningKey(_review_key, key_id(_review_key.public_key()), "review")


def review_opinion(ctx: dict, **changes: Any) -> dict:
    """review.opinion_issued.v1 on the proposal of `ctx`, signed as the board's outbox signs
    it; `changes` replace fields of the contract's example data."""
    data = dict(REVIEW.event("opinion_issued.v1").example, case_id=ctx["case_id"],
                proposal_seq=ctx["proposal_seq"], **changes)
    body = envelope(REVIEW, "opinion_issued.v1", data, agency="lingchuan-emergency",
                    actor={"id": "reviewer-lc-003", "role": "reviewer", "name": "李某"},
                    ruleset="lingchuan-emergency@1")
    sign(body, REVIEW_KEY)
    return body


@contextlib.contextmanager
def insider(env: Env) -> Iterator[Session]:
    """A transaction of someone who may switch the append-only triggers off."""
    with env.db.transaction() as s:
        if s.get_bind().dialect.name == "postgresql":
            for table in ("entries", "checkpoints"):
                s.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"))
        else:
            for table in ("entries", "checkpoints"):
                for action in ("update", "delete"):
                    s.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{action}"))
        yield s


# ---- the demo case ------------------------------------------------------------------------

def demo_until(env: Env, until: str) -> str:
    """The demo case up to (not including) the first step calling `until`, the steps the
    demo expects refused left out; its case id."""
    ctx: dict = {"decision_no": "陵应急罚〔2025〕31号"}
    for step in demo_plan("陵应急立〔2025〕31号", with_review=False):
        if step.method == until:
            break
        if not step.expect_error:
            remember(ctx, step, call(env, step.method, request_of(step, ctx),
                                     actor(step.role)))
    return ctx["case_id"]


def run_demo(env: Env, until: str | None = None) -> dict:
    """The demo case up to (not including) the first step calling `until` — every step, the
    refusals the demo expects checked — and what it remembered of it."""
    ctx = {"decision_no": "陵应急罚〔2025〕31号"}
    for step in demo_plan("陵应急立〔2025〕31号", with_review=False):
        if until and step.method == until:
            return ctx
        who = actor(step.role)
        if step.expect_error:
            with pytest.raises(SanxiangError) as err:
                call(env, step.method, request_of(step, ctx), who)
            assert err.value.code == step.expect_error
            continue
        remember(ctx, step, call(env, step.method, request_of(step, ctx), who))
    return ctx


def run_demo_all(env: Env) -> dict:
    """The whole demo case (a second one: 32号), on 2025-12-01."""
    env.now = datetime(2025, 12, 1, tzinfo=UTC)
    ctx = {"decision_no": "陵应急罚〔2025〕32号"}
    for step in demo_plan("陵应急立〔2025〕32号", with_review=False):
        if not step.expect_error:
            remember(ctx, step, call(env, step.method, request_of(step, ctx),
                                     actor(step.role)))
    return ctx


# ---- a case at its decision -----------------------------------------------------------------

def case_at_decision(env: Env, agency: str, case_no: str) -> dict:
    """A case of `agency` in stage decision with a major proposal (heard: 004 第五十一条
    第二款（四）; 陵川's 60,000 CNY on a company: 001 附件3 第二条)."""
    who = lambda role: actor(role, agency=agency)
    opening = step_request("case_opened", case_no=case_no, with_review=False)
    opening["agency"] = agency
    ctx = {"case_id": call(env, "open_case", opening, who("officer"))["id"]}
    for stage, at in (("investigation", "2025-10-10T08:30:00+08:00"),
                      ("decision", "2025-10-17T09:00:00+08:00")):
        call(env, "advance_stage", {"case_id": ctx["case_id"], "to_stage": stage,
                                    "occurred_at": at, "reason": None}, who("officer"))
    proposed = call(env, "propose_decision", {
        "case_id": ctx["case_id"], "occurred_at": "2025-10-20T09:00:00+08:00",
        "decision": demo_decision(hearing_held=True)}, who("officer"))
    assert proposed["classification"]["major"] is True
    ctx["proposal_seq"] = proposed["seq"]
    return ctx


def enter_approval(env: Env, ctx: dict, agency: str) -> dict:
    return call(env, "enter_legal_review", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"], "opinion": "approve",
        "reasons": "主体合法，事实清楚，证据确凿，适用依据正确，程序合法，裁量适当",
        "reviewers": ["陈静", "刘洋"], "reviewed_at": "2025-10-24T15:00:00+08:00",
        "counsel_opinion": COUNSEL_OPINION}, actor("legal_unit", agency=agency))


def issue(env: Env, ctx: dict, agency: str, decision_no: str = "周罚〔2025〕7号") -> dict:
    return call(env, "issue_decision", {
        "case_id": ctx["case_id"], "proposal_seq": ctx["proposal_seq"],
        "decision_no": decision_no, "issued_at": "2025-10-27T10:00:00+08:00",
        "signed_by": "王建军"}, actor("head", agency=agency))


# ---- the cases of the findings -------------------------------------------------------------

def t(day: str, hm: str = "10:00") -> str:
    return f"{day}T{hm}:00+08:00"


OPENED_AT = t("2025-09-01")  # when a case of the findings is opened, unless a test says


def open_case(env, agency, case_no, opened=OPENED_AT, **changes) -> dict:
    payload = open_case_request(case_no)
    payload.update(agency=agency, occurred_at=opened, **changes)
    return call(env, "open_case", payload, actor(agency=agency))


def advance(env, case, to_stage, at):
    return call(env, "advance_stage", {"case_id": case["id"], "to_stage": to_stage,
                                       "occurred_at": at}, actor(agency=case["agency"]))


def record(env, case, record_type, at, content):
    return call(env, "append_record", {"case_id": case["id"], "record_type": record_type,
                                       "occurred_at": at, "content": content},
                actor(agency=case["agency"]))


def case_findings(env, case):
    return queries.case_findings({"case_id": case["id"]}, actor=actor("head", case["agency"]),
                             db=env.db, rules=env.rules, now=env.now)


def finding(case, code, article, message, *, seq=None, due=None, at=None) -> dict:
    return {"code": code, "article": article, "case_id": case["id"], "case_no": case["case_no"],
            "seq": seq, "message": message, "due": due, "at": at}


CREDENTIALS = {"officers": OFFICERS}


RIGHTS_NOTICE = {"rights": ["statement", "defence"], "notified_on": "2025-09-10",
                 "document_no": "告〔2025〕1号"}


# The article of credentials_not_recorded in each agency's rule set: its own seed's, or base's
# (national law and the State Council guidance) where its seed is silent.
CREDENTIALS_ARTICLE = {
    "lingchuan-emergency": "行政处罚法 第五十五条第一款（主动出示执法证件）；"
                           "国办发〔2018〕118号（执法全过程记录制度）",
    "qinyuan-energy": "000《全过程记录办法》第十四条",
    "anze-county": "002《公示办法》第十一条",
    "changzhi-energy": "003 二(一)3(1)",
    "zhoucun-district": "004 第三十一条；第五十七条（五）",
}


def credentials_missing(agency: str) -> tuple[str, str, str]:
    return ("credentials_not_recorded", CREDENTIALS_ARTICLE[agency],
            "调查取证未记录执法人员姓名、证件编号及出示情况")


ARCHIVE_LATE_MESSAGE = "案卷未在行政执法行为终结之日起规定期限内立卷归档"


# --- archive_late (000《全过程记录办法》第三十二条第一款; 004 第四十三条第二款) -------------

CLOSED_AT = t("2025-09-05")


def closed_case(env, agency, case_no):
    case = open_case(env, agency, case_no)
    result = call(env, "close_case", {"case_id": case["id"], "closed_at": CLOSED_AT,
                                      "reason": "撤销立案"}, actor(agency=agency))
    return case, result


def expected_archive_due(env, agency):
    """What the seed sets — 30 natural days from the act's end — counted by the shared
    calendar: from 2025-09-05 they end on 2025-10-05, inside the National Day holiday, so the
    period rolls on to the next working day."""
    period = env.rules.agency(agency).ruleset.period("case_archive")
    assert (period.amount, period.unit) == (30, "natural_days")
    due = env.rules.calendar.due(local_date(datetime.fromisoformat(CLOSED_AT)), period.amount,
                                 period.unit, rule=period.name, basis=period.basis,
                                 agency=agency)
    assert due.rolled_from is not None and due.rolled_from < due.due  # the roll is exercised
    return period, due


# --- credentials_not_recorded (000 第十四条; 004 第三十一条) ------------------------------

def investigated_case(env, agency, case_no, *, credentials=True, rights_notice=True,
                      act_type="penalty", opened=OPENED_AT):
    case = open_case(env, agency, case_no, act_type=act_type, opened=opened)
    advance(env, case, "investigation", t("2025-09-08"))
    if credentials:
        record(env, case, "credentials_shown", t("2025-09-08", "10:30"), CREDENTIALS)
    if rights_notice:
        record(env, case, "rights_notice", t("2025-09-10"), RIGHTS_NOTICE)
    return case
