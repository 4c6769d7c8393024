"""The checkpoint timer's candidates: the heads it has not judged since they moved, read from
an index of such cases — an idle tick finds nothing whatever the deployment holds, a moved or
rewritten head is found again, and a stale note of what was judged is corrected against the
checkpoints themselves without signing twice."""
from __future__ import annotations

from sqlalchemy import func, select, text

from services.records import models, store
from services.records.usecases import checkpoints
from tests.unit.records.support import Env, actor, call, open_case


def tick(env: Env) -> dict:
    return checkpoints.checkpoint_moved_heads(db=env.db, signing_key=env.signing_key,
                                              outbox=env.outbox, now=env.now)


def candidates(env: Env) -> list[str]:
    with env.db.read() as s:
        return store.moved_heads(s, 1000)


def signed(env: Env, case_id: str) -> int:
    with env.db.read() as s:
        return s.execute(select(func.count()).select_from(models.checkpoints)
                         .where(models.checkpoints.c.case_id == case_id)).scalar_one()


def note(env: Env, case_id: str, body: str) -> None:
    call(env, "append_record", {"case_id": case_id, "record_type": "note",
                                "occurred_at": "2025-10-10T10:30:00+08:00", "situations": [],
                                "content": {"title": "记录", "summary": body}}, actor())


def test_an_idle_tick_finds_nothing_and_a_moved_head_is_found_again(env_db):
    first = open_case(env_db, "lingchuan-emergency", "陵应急立〔2025〕T1号")["id"]
    second = open_case(env_db, "lingchuan-emergency", "陵应急立〔2025〕T2号")["id"]
    assert sorted(candidates(env_db)) == sorted([first, second])
    assert tick(env_db) == {"signed": 2, "refused": 0, "failed": 0}
    assert candidates(env_db) == []
    assert tick(env_db) == {"signed": 0, "refused": 0, "failed": 0}
    note(env_db, first, "又一条记录")
    assert candidates(env_db) == [first]
    assert tick(env_db) == {"signed": 1, "refused": 0, "failed": 0}
    assert (signed(env_db, first), signed(env_db, second)) == (2, 1)


def test_a_stale_note_is_corrected_from_the_checkpoints_without_signing_twice(env_db):
    case_id = open_case(env_db, "lingchuan-emergency", "陵应急立〔2025〕T3号")["id"]
    assert tick(env_db)["signed"] == 1
    with env_db.db.transaction() as s:  # the note lost (an older row, a restore)
        s.execute(text("UPDATE cases SET checkpoint_hash = NULL WHERE id = :c"), {"c": case_id})
    assert candidates(env_db) == [case_id]
    assert tick(env_db) == {"signed": 0, "refused": 0, "failed": 0}
    assert signed(env_db, case_id) == 1
    assert candidates(env_db) == []


def test_a_head_rewritten_at_the_same_seq_is_judged_again(env_db):
    case_id = open_case(env_db, "lingchuan-emergency", "陵应急立〔2025〕T4号")["id"]
    assert tick(env_db)["signed"] == 1
    with env_db.db.transaction() as s:  # an insider moves the head's hash, not its seq
        s.execute(text("UPDATE cases SET head_hash = :h WHERE id = :c"),
                  {"h": "0" * 64, "c": case_id})
    assert candidates(env_db) == [case_id]
    assert tick(env_db) == {"signed": 0, "refused": 1, "failed": 0}
    assert candidates(env_db) == []


def test_the_migration_notes_the_heads_already_judged(db_url):
    """An existing deployment upgraded: a head its latest checkpoint signs and a head a
    refusal names are noted as judged; a head that moved after its checkpoint is not."""
    from alembic import command
    from alembic.config import Config

    from shared.persistence.db import make_engine

    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", "services.records:migrations")

    def to(revision: str) -> None:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    to("0006")
    rows = {"signed": ("a" * 64, 3), "moved": ("b" * 64, 5), "refused": ("c" * 64, 2)}
    with engine.begin() as conn:
        for name, (head, seq) in rows.items():
            conn.execute(text(
                "INSERT INTO cases (id, case_no, agency, ruleset, act_type, title, start_mode, "
                "start_state, stage, status, parties, persons, handlers, opened_at, created_by, "
                "head_seq, head_hash) VALUES (:id, :id, 'lingchuan-emergency', "
                "'lingchuan-emergency', 'penalty', 't', 'ex_officio', 'approved', 'initiation', "
                "'open', '[]', '[]', '[]', '2025-10-09 00:00:00', 'x', :seq, :head)"),
                {"id": name, "seq": seq, "head": head})
        for case_id, seq, head in (("signed", 3, "a" * 64), ("moved", 4, "d" * 64)):
            conn.execute(text(
                "INSERT INTO checkpoints (case_id, seq, head_hash, signed_at, key_id, "
                "signature, statement) VALUES (:c, :s, :h, '2025-10-09 00:00:00', 'k', 's', "
                "'x')"), {"c": case_id, "s": seq, "h": head})
        conn.execute(text(
            "INSERT INTO checkpoint_refusals (case_id, head_seq, head_hash, failure, "
            "first_bad_seq, problem, at) VALUES ('refused', 2, :h, 'hash_mismatch', 1, 'p', "
            "'2025-10-09 00:00:00')"), {"h": "c" * 64})
    to("head")
    with engine.begin() as conn:
        noted: dict[str, str | None] = dict(
            conn.execute(text("SELECT id, checkpoint_hash FROM cases")).tuples().all())
    engine.dispose()
    assert noted == {"signed": "a" * 64, "moved": None, "refused": "c" * 64}


def test_the_timer_walks_a_long_chain_a_batch_per_statement(env_db, monkeypatch):
    """Inside the timer's write transaction (where PostgreSQL's driver opens no server-side
    cursor) the chain is read a bounded batch at a time, not fetched whole; a broken chain is
    still refused at its first bad entry."""
    from services.records.store import verification
    case_id = open_case(env_db, "lingchuan-emergency", "陵应急立〔2025〕T9号")["id"]
    for n in range(10):
        note(env_db, case_id, f"第{n}条")
    monkeypatch.setattr(verification, "VERIFY_BATCH", 4)
    fetched: list[int] = []
    reader = verification._keyset_batches

    class Counted:  # the driver's cursor, its batches counted as they are fetched
        def __init__(self, cur):
            self.cur = cur

        def execute(self, *args):
            self.cur.execute(*args)

        def fetchall(self):
            rows = self.cur.fetchall()
            fetched.append(len(rows))
            return rows

    monkeypatch.setattr(verification, "_keyset_batches",
                        lambda cur, *args: reader(Counted(cur), *args))
    assert tick(env_db) == {"signed": 1, "refused": 0, "failed": 0}
    if env_db.db.dialect == "postgresql":
        assert fetched == [4, 4, 3]  # 11 entries, at most 4 a statement
    note(env_db, case_id, "又一条记录")
    with env_db.db.transaction() as s:  # an intruder edits an entry past the checkpoint
        s.execute(text("ALTER TABLE entries DISABLE TRIGGER entries_append_only")
                  if s.bind.dialect.name == "postgresql"
                  else text("DROP TRIGGER entries_no_update"))
        s.execute(text("UPDATE entries SET body = replace(body, '又一条', '又二条') "
                       "WHERE case_id = :c AND seq = 12"), {"c": case_id})
    assert tick(env_db) == {"signed": 0, "refused": 1, "failed": 0}
