"""The review board's benches without a broker: the in-process baseline of
bench/review_roundtrip.py runs whole reviews (request → assign → every finding → opinion) on
SQLite, so the payloads the RPC side sends stay valid as the contract changes."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench"
sys.path.insert(0, str(BENCH))

import growth_review  # noqa: E402
import review_roundtrip  # noqa: E402


def test_in_process_baseline_runs_whole_reviews(tmp_path):
    from sqlalchemy import create_engine, text
    points = review_roundtrip.review_points()
    assert len(points) == 11                      # 陵川 001 附件3 第五条 + 工作方案
    url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    args = argparse.Namespace(reviews=3, warmup=1)
    result = review_roundtrip.in_process(url, tmp_path / "keys", args, points)
    assert result["rate"] > 0 and len(result["latencies"]) == 3
    engine = create_engine(url)
    with engine.connect() as c:
        states = c.execute(text("select state, count(*) from reviews group by state")
                           ).tuples().all()
        events = dict(c.execute(text("select event_type, count(*) from outbox "
                                     "group by event_type")).tuples().all())
    engine.dispose()
    assert states == [("opinion_issued", 4)]
    assert events == {"review_requested.v1": 4, "materials_completed.v1": 4,
                      "opinion_issued.v1": 4}


def test_the_growth_bench_builds_an_agency_and_runs_each_call_it_measures(tmp_path):
    board = growth_review.Board(f"sqlite:///{tmp_path / 'growth.sqlite3'}")
    try:
        board.fill(8)
        assert (len(board.open), len(board.due)) == (8 - growth_review.DUE_NOW,
                                                     growth_review.DUE_NOW)
        board.rearm()
        board.tick(growth_review.DUE_NOW)()     # raises unless exactly those are reminded
        board.tick(0)()
        assert board.assign()()["assignments"][0]["reviewer_id"] == "reviewer-bench"
        assert board.get_review(True)()["history_next"] is None
        assert len(board.list_last_page_v2()()["items"]) <= growth_review.PAGE
    finally:
        board.close()


@pytest.mark.parametrize("script", ["review_roundtrip", "review_latency", "growth_review"])
def test_every_review_bench_documents_its_usage(script):
    text = (BENCH / f"{script}.py").read_text()
    assert f"bench/{script}.py" in text and "--quick" in text
