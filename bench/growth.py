"""What the record keeper's calls and timers that read an agency's history cost as that history
grows: each at a small and a large size in one run, side by side, with the large/small ratio.
In-process on PostgreSQL (the use cases and queries the RPCs run, without the broker), each
size in a database of its own, planner statistics taken as autovacuum would.

- list_cases (v1) last page: `limit` 20 at the largest offset the agency has;
- list_cases_v2 last page: the same page reached by its cursor;
- agency_findings_v2: the findings of one page of 50 cases;
- checkpoint tick with nothing to sign: every head already signed;
- case_findings and verify_case: one case of `--entries-small` vs `--entries-large` entries,
  in time per entry and in peak memory (tracemalloc's peak of the Python heap over one call).

Target: large/small ≤ 1.5× for per-call work and for a timer tick with nothing due; for the
reads of a whole chain, ≤ 1.5× per entry and in peak memory.

    .venv/bin/python bench/growth.py [--quick] [--small 100] [--large 5000]
                                     [--entries-small 1000] [--entries-large 20000] [--repeat 7]
"""
from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import common
from common import row
from verify_case import BatchDb, build_case

NAME = "growth"
TARGET_RATIO = 1.5
PAGE = 20
FINDINGS_PAGE = 50


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of `repeat` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_bytes(fn: Callable[[], object]) -> int:
    """The Python heap's peak over one call, above what it held before."""
    fn()  # warm: caches filled before the count
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        fn()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def open_cases(db: Any, count: int, batch: int = 500) -> None:
    """`count` cases of the bench agency, opened through the use case, committed in batches."""
    from contracts.records import CONTRACT
    from services.records.models import outbox as outbox_table
    from services.records.usecases import cases
    from shared.calendar.clock import now
    from shared.contracts.registry import load
    from shared.messaging.outbox import OutboxWriter
    from shared.rulesets.provider import Rules
    from shared.trust.actor import Actor

    rules = Rules.from_config({"AGENCIES": common.AGENCIES})
    outbox = OutboxWriter(outbox_table, CONTRACT, signer=common.throwaway_key("records"))
    actor = Actor(id="officer-bench", role="officer", agency=common.AGENCY)
    request = CONTRACT.rpc("open_case").request
    done = 0
    while done < count:
        with db.transaction() as session:
            batch_db = BatchDb(session)
            for _ in range(min(batch, count - done)):
                payload = common.open_case_payload(f"陵应急立〔2025〕G{done}号")
                cases.open_case(load(request, payload), db=batch_db, now=now(), actor=actor,
                                outbox=outbox, rules=rules)
                done += 1


class Agency:
    """One database holding one agency's history, and the calls measured on it."""

    def __init__(self, db_url: str, keys_dir: Path) -> None:
        from services.records.domain.chain import CheckpointKeys
        from shared.persistence.db import make_engine, migrate, open_db
        from shared.rulesets.provider import Rules
        from shared.trust.actor import Actor
        from shared.trust.keys import KeyStore

        self.engine = make_engine(db_url)
        migrate(self.engine, "services.records:migrations")
        self.db = open_db(self.engine)
        self.rules = Rules.from_config({"AGENCIES": common.AGENCIES})
        self.head = Actor(id="head-bench", role="head", agency=common.AGENCY)
        self.key = CheckpointKeys.of(KeyStore(keys_dir).checkpoint_key("records").key)
        from contracts.records import CONTRACT
        from services.records.models import outbox as outbox_table
        from shared.messaging.outbox import OutboxWriter
        self.outbox = OutboxWriter(outbox_table, CONTRACT,
                                   signer=common.throwaway_key("records"))

    def analyze(self) -> None:
        with self.engine.begin() as conn:
            for table in ("cases", "entries", "checkpoints", "checkpoint_refusals", "access_log"):
                conn.exec_driver_sql(f"ANALYZE {table}")

    def count(self) -> int:
        from sqlalchemy import func, select

        from services.records.models import cases
        with self.db.read() as session:
            return int(session.execute(select(func.count()).select_from(cases)).scalar_one())

    def list_last_page(self) -> Callable[[], object]:
        from services.records import queries
        from shared.calendar.clock import now
        offset = min(max(self.count() - PAGE, 0), 10_000)
        payload = {"agency": common.AGENCY, "stage": None, "limit": PAGE, "offset": offset}
        return lambda: queries.list_cases(payload, actor=self.head, db=self.db, now=now())

    def list_last_page_v2(self) -> Callable[[], object]:
        from services.records import queries
        from shared.calendar.clock import now
        payload: dict[str, Any] = {"agency": common.AGENCY, "stage": None, "limit": PAGE,
                                   "cursor": None}
        total = self.count()
        seen = 0
        while seen + PAGE < total:  # walk to the cursor of the last page
            page = queries.list_cases_page(payload, actor=self.head, db=self.db, now=now())
            seen += len(page["items"])
            payload = dict(payload, cursor=page["next"])
        return lambda: queries.list_cases_page(payload, actor=self.head, db=self.db, now=now())

    def findings_page(self) -> Callable[[], object]:
        from services.records import queries
        from shared.calendar.clock import now
        payload = {"agency": common.AGENCY, "limit": FINDINGS_PAGE, "cursor": None}
        return lambda: queries.agency_findings_page(payload, actor=self.head, db=self.db,
                                                    rules=self.rules, now=now())

    def idle_checkpoint_tick(self) -> Callable[[], object]:
        from services.records.usecases import checkpoints
        from shared.calendar.clock import now
        while checkpoints.checkpoint_moved_heads(db=self.db, signing_key=self.key,
                                                 outbox=self.outbox, now=now())["signed"]:
            pass  # sign every head first: the tick measured has nothing to do
        return lambda: checkpoints.checkpoint_moved_heads(db=self.db, signing_key=self.key,
                                                          outbox=self.outbox, now=now())

    def case_findings(self, case_id: str) -> Callable[[], object]:
        from services.records import queries
        from shared.calendar.clock import now
        return lambda: queries.case_findings({"case_id": case_id}, actor=self.head, db=self.db,
                                             rules=self.rules, now=now())

    def verify_case(self, case_id: str) -> Callable[[], object]:
        from services.records import queries
        from shared.calendar.clock import now
        return lambda: queries.verify_case({"case_id": case_id}, actor=self.head, db=self.db,
                                           signing_key=self.key, now=now())

    def close(self) -> None:
        self.engine.dispose()


# the v1 listing pages by offset, as its contract says: shown beside v2's cursor, not judged
BY_OFFSET = ("list_cases last page",)

# the reads of one whole chain: judged per entry, in time and in memory
CHAIN_READS = ("case_findings", "verify_case")


# what a full-chain read holds at once: verify_case hashes a batch while the next is fetched
# and a third is in the fetching thread's hands (services.records.store.verification)
def read_window() -> int:
    from services.records.store.verification import VERIFY_BATCH
    return 3 * VERIFY_BATCH


def measure(size_cases: int, entries: int, keys_dir: Path, repeat: int,
            window: int = 0) -> dict[str, float]:
    with common.pg_database(NAME) as db_url:
        agency = Agency(db_url, keys_dir)
        try:
            open_cases(agency.db, size_cases - 1)
            case_id = build_case(agency.db, entries)
            agency.analyze()
            out = {"list_cases last page": timed(agency.list_last_page(), repeat),
                   "list_cases_v2 last page": timed(agency.list_last_page_v2(), repeat),
                   "agency_findings_v2 one page": timed(agency.findings_page(), repeat),
                   "checkpoint tick, nothing to sign": timed(agency.idle_checkpoint_tick(),
                                                            repeat),
                   "case_findings": timed(agency.case_findings(case_id), repeat),
                   "verify_case": timed(agency.verify_case(case_id), repeat)}
            for name in CHAIN_READS:
                call = getattr(agency, name)(case_id)
                out[f"{name} peak memory"] = float(peak_bytes(call))
            if window:
                # a chain just past what the reads hold at once: the bound memory stays at
                window_case = build_case(agency.db, window, case_no="陵应急立〔2025〕W1号")
                for name in CHAIN_READS:
                    call = getattr(agency, name)(window_case)
                    out[f"{name} peak memory, window"] = float(peak_bytes(call))
        finally:
            agency.close()
    return out


def run(args: argparse.Namespace) -> tuple[list[dict], list[str]]:
    from shared.trust.keys import init_deployment
    if args.quick:
        args.large, args.entries_large, args.repeat = (min(args.large, 1000),
                                                       min(args.entries_large, 5000), 5)
    with common.workdir(NAME) as wd:
        keys = wd / "keys"
        init_deployment(keys, ["records"], checkpoint_signers=["records"], issuer=False)
        small = measure(args.small, args.entries_small, keys, args.repeat)
        window = read_window()
        large = measure(args.large, args.entries_large, keys, args.repeat,
                        window if args.entries_large > window else 0)
    rows = []
    entry_growth = args.entries_large / args.entries_small
    for metric, s in small.items():
        ratio = large[metric] / s
        if metric.endswith("peak memory"):
            # constant memory: the large chain holds no more than one just past the window
            # (the small chain may be shorter than the window; it is shown beside it)
            w = large.get(f"{metric}, window")
            bound = w if w else s
            shown = (f"{s / 1024:,.0f} → {large[metric] / 1024:,.0f}  ({ratio:.2f}×)"
                     + (f"; {window:,} → {args.entries_large:,}: {w / 1024:,.0f} → "
                        f"{large[metric] / 1024:,.0f}  ({large[metric] / w:.2f}×)" if w else ""))
            rows.append(row(NAME, f"{metric} ({args.entries_small:,} → "
                                  f"{args.entries_large:,} entries), KiB", shown,
                            f"≤ {TARGET_RATIO}× past {window:,}",
                            large[metric] / bound <= TARGET_RATIO))
        elif metric in CHAIN_READS:
            per_entry = ratio / entry_growth
            rows.append(row(NAME, f"{metric} ({args.entries_small:,} → "
                                  f"{args.entries_large:,} entries), ms",
                            f"{s * 1000:.1f} → {large[metric] * 1000:.1f}  ({ratio:.2f}×; "
                            f"per entry {s / args.entries_small * 1e6:.1f} → "
                            f"{large[metric] / args.entries_large * 1e6:.1f} µs, "
                            f"{per_entry:.2f}×)",
                            f"per entry ≤ {TARGET_RATIO}×", per_entry <= TARGET_RATIO))
        elif metric in BY_OFFSET:
            # v1 pages by offset by contract (kept for its callers, its offset bounded by
            # MAX_OFFSET); the flat page is v2's, by cursor, the row below it
            rows.append(row(NAME, f"{metric} ({args.small:,} → {args.large:,} cases), ms",
                            f"{s * 1000:.1f} → {large[metric] * 1000:.1f}  ({ratio:.2f}×)",
                            "context: v1 by offset", None))
        else:
            rows.append(row(NAME, f"{metric} ({args.small:,} → {args.large:,} cases), ms",
                            f"{s * 1000:.1f} → {large[metric] * 1000:.1f}  ({ratio:.2f}×)",
                            f"≤ {TARGET_RATIO}×", ratio <= TARGET_RATIO))
    notes = [f"{NAME}: median of {args.repeat} calls after a warm-up, in-process on PostgreSQL; "
             "peak memory: tracemalloc's peak of the Python heap over one call (the driver's "
             "own buffers are not in it; they hold one batch of rows at a time)"]
    import growth_review  # the review board's rows, at the same sizes
    review_rows, review_notes = growth_review.run(args)
    return rows + review_rows, notes + review_notes


if __name__ == "__main__":
    p = common.parser((__doc__ or NAME).splitlines()[0])
    p.add_argument("--small", type=int, default=100)
    p.add_argument("--large", type=int, default=5000)
    p.add_argument("--entries-small", type=int, default=1000)
    p.add_argument("--entries-large", type=int, default=20000)
    p.add_argument("--repeat", type=int, default=7)
    raise SystemExit(common.main(run, p))
