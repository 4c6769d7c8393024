"""Review board round trips: for each of N reviews, request_review (with complete materials)
→ assign_reviewer → record_finding on every review point (陵川: 11) → issue_opinion, over RPC
(nameko ClusterRpcProxy, actor tokens in `nameko.actor_token`) against the review service run
as production runs it (`python -m nameko run`, own process, PostgreSQL, outbox relaying to
RabbitMQ) — and the same use cases called in-process on a database of the same kind, each
call validated and dumped through the contract as the entrypoint does (the baseline). The
ratio says what transport, nameko workers and the relay cost. A review is 14 calls.

No target; reported for context.

    .venv/bin/python bench/review_roundtrip.py [--quick] [--reviews 60] [--sqlite]"""
from __future__ import annotations

import copy
import sys
import time
import uuid
from pathlib import Path

import common
from common import BenchError, row

NAME = "review_roundtrip"
SERVICE = "services.review.service:ReviewService"
AGENCY = common.AGENCY        # 陵川: a 60,000 CNY fine on an organisation is major
ROLES = {"officer": "officer-bench", "legal_unit": "legal-bench", "reviewer": "reviewer-bench"}
CALLS_PER_REVIEW = None       # set from the rule set: 2 + points + 1


# ---- payloads (from the contract's own examples) ---------------------------------------

def request_payload(n: int, tag: str) -> dict:
    from contracts.review import CONTRACT
    p = copy.deepcopy(CONTRACT.rpc("request_review").example_request)
    p.update(agency=AGENCY, case_id=str(uuid.uuid4()), case_no=f"陵应急立〔2025〕{tag}{n}号",
             proposal_seq=1, handlers=["officer-bench"], participants=[])
    # 陵川 issues no opinion before the counsel's 法律意见书 is on file (001 工作方案 四(三)一)
    p["materials"] = [*p["materials"], {"code": "legal_counsel_opinion",
                                        "title": "法律顾问法律意见书", "ref": None,
                                        "sha256": None, "note": None}]
    return p


def staff_payload() -> dict:
    return {"agency": AGENCY, "person_id": ROLES["reviewer"], "name": "李某",
            "roles": ["reviewer"], "legal_qualification": True,
            "qualification_no": "A20191410000", "prior_penalty_reviews": 4, "active": True,
            "note": None}


def review_points() -> list[str]:
    from shared.rulesets.provider import Rules
    rules = Rules.from_config({"AGENCIES": common.AGENCIES})
    return [p["code"] for p in rules.agency(AGENCY).ruleset.section("review")["review_points"]]


def one_review(call, n: int, tag: str, points: list[str]) -> None:
    """`call(role, method, payload)` → the response; one review from request to opinion."""
    review = call("officer", "request_review", request_payload(n, tag))
    rid = review["id"]
    if review["state"] != "under_review":
        raise BenchError(f"review {rid} is {review['state']}, materials {review['missing']}")
    call("legal_unit", "assign_reviewer",
         {"review_id": rid, "reviewer_id": ROLES["reviewer"], "reason": "轮值"})
    for point in points:
        call("reviewer", "record_finding", {"review_id": rid, "point": point, "result": "pass",
                                            "note": None,
                                            "recorded_at": "2025-10-22T10:00:00+08:00"})
    done = call("reviewer", "issue_opinion", {
        "review_id": rid, "opinion": "approve", "reasons": "事实清楚，证据确凿，程序合法",
        "issued_at": "2025-10-22T16:00:00+08:00"})
    if done["state"] != "opinion_issued":
        raise BenchError(f"review {rid} ended {done['state']}")


def timed(label: str, run_one, reviews: int, warmup: int) -> dict:
    for n in range(warmup):
        run_one(n, f"W{label}")
    latencies = []
    t0 = time.perf_counter()
    for n in range(reviews):
        s = time.perf_counter()
        run_one(n, label)
        latencies.append(time.perf_counter() - s)
    elapsed = time.perf_counter() - t0
    return {"rate": reviews / elapsed, "elapsed": elapsed, "latencies": sorted(latencies)}


# ---- in-process baseline ---------------------------------------------------------------

def in_process(db_url: str, keys: Path, args, points) -> dict:
    from contracts.review import CONTRACT
    from services.review import models, usecases
    from shared.calendar.clock import now
    from shared.contracts.registry import dump, load
    from shared.messaging.outbox import OutboxWriter
    from shared.persistence.db import make_engine, migrate, open_db
    from shared.rulesets.provider import Rules
    from shared.trust.actor import Actor

    engine = make_engine(db_url)
    migrate(engine, "services.review:migrations")
    db = open_db(engine)
    # events are never consumed in-process: a throwaway key signs them as the service's would
    outbox = OutboxWriter(models.outbox, CONTRACT, signer=common.throwaway_key("review"))
    rules = Rules.from_config({"AGENCIES": common.AGENCIES})
    fns = {"request_review": usecases.request_review, "register_staff": usecases.register_staff,
           "assign_reviewer": usecases.assign_reviewer,
           "record_finding": usecases.record_finding, "issue_opinion": usecases.issue_opinion}
    actors = {role: Actor(id=who, role=role, agency=AGENCY, name=who)
              for role, who in ROLES.items()}

    def call(role, method, payload):
        spec = CONTRACT.rpc(method)
        request = load(spec.request, payload, what=method)
        return dump(spec.response, fns[method](request, actor=actors[role], now=now(), db=db,
                                               outbox=outbox, rules=rules))

    try:
        call("legal_unit", "register_staff", staff_payload())
        return timed("I", lambda n, tag: one_review(call, n, tag, points), args.reviews,
                     args.warmup)
    finally:
        engine.dispose()


# ---- over RPC ---------------------------------------------------------------------------

def start_review(wd: Path, *, amqp_uri: str, db_url: str, keys: Path) -> common.Proc:
    config = common.write_config(wd / "review.yml", amqp_uri=amqp_uri, db_url=db_url,
                                 keys_dir=keys)
    return common.Proc([sys.executable, "-m", "nameko", "run", "--config", str(config),
                        SERVICE], wd / "review.log", "review service")


def wait_ready(amqp_uri: str, proc: common.Proc, queue: str = "rpc-review",
               timeout: float = 60) -> None:
    """Until the service consumes its RPC queue (the management API answers 404 until the
    service has declared it, which common.wait_consumers takes for an error)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return common.wait_consumers(amqp_uri, queue, 1, [proc],
                                         timeout=max(1.0, deadline - time.monotonic()))
        except BenchError:
            proc.check_alive()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def proxies(amqp_uri: str, keys: Path):
    """One ClusterRpcProxy per role, each carrying that role's token."""
    import contextlib

    from nameko.standalone.rpc import ClusterRpcProxy
    signer = common.token_signer(keys)
    stack = contextlib.ExitStack()
    out = {}
    for role, who in ROLES.items():
        token = signer.issue(actor_id=who, role=role, agency=AGENCY, name=who)
        out[role] = stack.enter_context(ClusterRpcProxy(
            {"AMQP_URI": amqp_uri}, context_data={"actor_token": token}, timeout=30))
    return stack, out


def over_rpc(wd: Path, amqp: str, db_url: str, keys: Path, args, points) -> dict:
    proc = start_review(wd, amqp_uri=amqp, db_url=db_url, keys=keys)
    try:
        wait_ready(amqp, proc)
        stack, rpc = proxies(amqp, keys)
        with stack:
            health = rpc["officer"].review.health()
            if health["service"] != "review":
                raise BenchError(f"unexpected health answer {health}")

            def call(role, method, payload):
                return getattr(rpc[role].review, method)(**payload)

            call("legal_unit", "register_staff", staff_payload())
            return timed("R", lambda n, tag: one_review(call, n, tag, points), args.reviews,
                         args.warmup)
    finally:
        proc.stop()


def run(args) -> tuple[list[dict], list[str]]:
    if args.quick:
        args.reviews, args.warmup = min(args.reviews, 15), min(args.warmup, 2)
    points = review_points()
    calls = 2 + len(points) + 1
    with common.workdir(NAME) as wd:
        keys = wd / "keys"
        common.token_signer(keys)           # makes the keys the service will verify with
        if args.sqlite:
            db_kind = "SQLite"
            rpc_db, local_db = (f"sqlite:///{wd / 'rpc.sqlite3'}",
                                f"sqlite:///{wd / 'local.sqlite3'}")
            with common.rabbit_vhost(NAME) as amqp:
                local = in_process(local_db, keys, args, points)
                remote = over_rpc(wd, amqp, rpc_db, keys, args, points)
        else:
            db_kind = "PostgreSQL"
            with common.rabbit_vhost(NAME) as amqp, common.pg_database("review_rpc") as rpc_db, \
                    common.pg_database("review_local") as local_db:
                local = in_process(local_db, keys, args, points)
                remote = over_rpc(wd, amqp, rpc_db, keys, args, points)
    ratio = remote["rate"] / local["rate"]
    ms = lambda r, q: f"{1000 * common.percentile(r['latencies'], q):.1f}"
    notes = [f"{NAME}: {args.reviews} reviews after {args.warmup} warm-up, one caller, "
             f"{db_kind}; a review = {calls} calls (request, assign, {len(points)} findings, "
             "opinion)"]
    for what, r in (("in-process use cases", local), ("over RPC (nameko)", remote)):
        notes.append(f"  {what:<22} {r['rate']:7.2f} reviews/s  "
                     f"({r['rate'] * calls:6.0f} calls/s)  per review p50 {ms(r, 50)} ms  "
                     f"p95 {ms(r, 95)} ms")
    rows = [
        row(NAME, f"in-process, {db_kind} (reviews/s)", f"{local['rate']:.2f}"),
        row(NAME, f"over RPC, {db_kind} (reviews/s)", f"{remote['rate']:.2f}"),
        row(NAME, "RPC / in-process", f"{ratio:.2f}x"),
        row(NAME, "per review p50 in-process / RPC (ms)", f"{ms(local, 50)} / {ms(remote, 50)}"),
    ]
    return rows, notes


if __name__ == "__main__":
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--reviews", type=int, default=60, help="reviews measured per side")
    p.add_argument("--warmup", type=int, default=5, help="reviews before measuring")
    p.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    raise SystemExit(common.main(run, p))
