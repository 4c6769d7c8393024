"""bench/ helpers without a broker: the bare baseline stores the body the chain would (same
keys, same size) and hashes it the same way; tables, percentiles and profile grouping."""
from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import bare_server  # noqa: E402
import common  # noqa: E402
import profile_report  # noqa: E402
import verify_case  # noqa: E402


def test_bare_body_matches_what_the_chain_stores(tmp_path):
    from sqlalchemy import select

    from services.records.domain import chain as domain
    from services.records.models import entries
    from shared.persistence.db import make_engine, migrate, open_db

    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    migrate(engine, "services.records:migrations")
    db = open_db(engine)
    case_id = verify_case.build_case(db, 2)
    with db.read() as session:
        stored = session.execute(select(entries.c.body, entries.c.prev_hash,
                                        entries.c.entry_hash)
                                 .where(entries.c.case_id == case_id)
                                 .where(entries.c.seq == 2)).one()
    engine.dispose()
    bare = bare_server.entry_body(common.note_payload(case_id, 1), 2,
                                  datetime.now(UTC))
    chain_body, bare_body = json.loads(stored.body), json.loads(bare)
    assert set(bare_body) == set(chain_body)
    assert set(bare_body["content"]) == set(chain_body["content"])
    assert bare_body["content"]["summary"] == chain_body["content"]["summary"]
    assert abs(len(bare.encode()) - len(stored.body.encode())) < 0.05 * len(stored.body.encode())
    assert bare_server.link(stored.prev_hash, stored.body) == stored.entry_hash
    assert domain.link_hash("0" * 64, bare) == bare_server.link("0" * 64, bare)


def test_percentile_and_table():
    values = sorted(float(v) for v in range(1, 101))
    assert common.percentile(values, 50) == 50.0
    assert common.percentile(values, 99) == 99.0
    assert common.percentile(values, 100) == 100.0
    rows = [common.row("b", "rate", "10", ">= 5", True), common.row("b", "ratio", "0.1x",
                                                                     ">= 0.5x", False),
            common.row("b", "note", "x")]
    text = common.table(rows).splitlines()
    assert text[0].split() == ["metric", "value", "target", "verdict"]
    assert [line.split()[-1] for line in text[2:]] == ["PASS", "MISS", "info"]


def test_profile_groups_take_the_first_match(tmp_path, capsys, monkeypatch):
    stacks = tmp_path / "p.txt"
    stacks.write_bytes(
        b"main (x.py:1);Schema.__init__ (marshmallow/schema.py:9) 3\n"
        b"main (x.py:1);Session.execute (sqlalchemy/orm/session.py:2) 1\n"
        b"main (x.py:1);odd\rframe (y.py:3) 1\n")
    monkeypatch.setattr(sys, "argv", ["profile_report.py", str(stacks), "--top", "1"])
    profile_report.main()
    out = capsys.readouterr().out
    assert out.startswith("5 samples")
    assert " 60.0%  marshmallow schema construction" in out
    assert " 20.0%  SQL:" in out and " 20.0%  other" in out


@pytest.mark.parametrize("script", ["append_rpc", "get_case_latency", "verify_case",
                                    "idle_rss", "run_all"])
def test_every_script_documents_its_usage(script):
    text = (BENCH / f"{script}.py").read_text()
    assert f"bench/{script}.py" in text and "--quick" in text
