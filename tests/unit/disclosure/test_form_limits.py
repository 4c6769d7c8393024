"""The correction form's limits: fixed windows (their start, when to retry), the settings read
and refused when broken, the client known by a keyed hash of its address only; and the window
counter in the database (SQLite and PostgreSQL) — the limit holds however the submissions come,
a new window starts afresh, old windows are dropped."""
from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from services.disclosure import models, store
from services.disclosure.domain import limits
from services.disclosure.usecases import submissions
from shared.errors import ConfigurationError, DomainRuleViolated, ValidationFailed
from tests.unit.disclosure.support import Env

HOUR = limits.Rate(5, 3600)
T0 = datetime(2025, 10, 28, 1, 0, tzinfo=UTC)   # on an hour's turn


def test_a_window_starts_on_its_turn_and_says_when_to_retry():
    assert limits.window(T0, HOUR) == int(T0.timestamp())
    later = T0 + timedelta(minutes=59, seconds=59)
    assert limits.window(later, HOUR) == int(T0.timestamp())
    assert limits.retry_after(later, HOUR) == 1
    assert limits.retry_after(T0 + timedelta(minutes=20), HOUR) == 2400
    assert limits.window(T0 + timedelta(hours=1), HOUR) == int(T0.timestamp()) + 3600
    assert limits.admitted(4, HOUR) and not limits.admitted(5, HOUR)


def test_a_refusal_over_the_limit_names_the_scope_and_the_wait():
    exc = limits.rate_limited("client", T0 + timedelta(minutes=20), HOUR)
    assert exc.details["rule"] == "rate_limited" and exc.details["field"] == "client"
    assert exc.details["retry_after"] == 2400 and "2400" in exc.message_zh


def test_settings_are_read_and_broken_ones_refused():
    got = limits.FormLimits.from_config({"DISCLOSURE_FORM_MAX_BYTES": "1000",
                                         "DISCLOSURE_FORM_MAX_FILES": "2",
                                         "DISCLOSURE_FORM_CLIENT_RATE": "3/60"})
    assert (got.max_bytes, got.max_files, got.per_client) == (1000, 2, limits.Rate(3, 60))
    assert got.max_file_bytes == limits.FormLimits().max_file_bytes
    assert limits.FormLimits.from_config({}) == limits.FormLimits()
    for key, value in (("DISCLOSURE_FORM_MAX_BYTES", "-1"), ("DISCLOSURE_FORM_MAX_FILES", "x"),
                       ("DISCLOSURE_FORM_CLIENT_RATE", "5"),
                       ("DISCLOSURE_FORM_AGENCY_RATE", "0/60")):
        with pytest.raises(ConfigurationError) as err:
            limits.FormLimits.from_config({key: value})
        assert key in err.value.message


def test_the_client_is_known_by_a_keyed_hash_never_its_address():
    one = limits.client_key("203.0.113.7", b"secret-a")
    assert one == limits.client_key("203.0.113.7", b"secret-a") and len(one) == 64
    assert "203.0.113.7" not in one
    assert one != limits.client_key("203.0.113.8", b"secret-a")
    assert one != limits.client_key("203.0.113.7", b"secret-b")


def test_the_counter_holds_the_limit_and_a_new_window_starts_afresh(env_db: Env):
    outcomes = []
    for _ in range(7):
        try:
            submissions.admit(env_db.db, "client", "k" * 64, HOUR, T0)
            outcomes.append("ok")
        except DomainRuleViolated as exc:
            outcomes.append(exc.details["rule"])
    assert outcomes == ["ok"] * 5 + ["rate_limited"] * 2
    submissions.admit(env_db.db, "client", "j" * 64, HOUR, T0)          # another client
    submissions.admit(env_db.db, "client", "k" * 64, HOUR, T0 + timedelta(hours=1))
    rows = {(r["key"][0], r["window"]): r["count"] for r in env_db.rows(models.form_windows)}
    start = int(T0.timestamp())
    assert rows == {("k", start): 5, ("j", start): 1, ("k", start + 3600): 1}
    # two windows on, the old ones are dropped
    submissions.admit(env_db.db, "client", "k" * 64, HOUR, T0 + timedelta(hours=3))
    assert {r["window"] for r in env_db.rows(models.form_windows)} == {start + 3 * 3600}


def test_concurrent_submissions_never_pass_the_limit(env_db: Env):
    admitted, lock = [], threading.Lock()

    def one() -> None:
        try:
            submissions.admit(env_db.db, "agency", "qinyuan-energy", HOUR, T0)
        except DomainRuleViolated:
            return
        with lock:
            admitted.append(1)

    threads = [threading.Thread(target=one) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(admitted) == 5
    [row] = env_db.rows(models.form_windows)
    assert row["count"] == 5


def test_count_submission_refuses_a_full_window_without_change(env):
    with env.db.transaction() as session:
        assert store.count_submission(session, "client", "a", 100, 1, keep_after=0)
        assert not store.count_submission(session, "client", "a", 100, 1, keep_after=0)
    [row] = env.rows(models.form_windows)
    assert row["count"] == 1


def test_the_form_is_read_as_file_corrections_request_each_field_named():
    good = {"publication_id": "8C1D2E3F-4A5B-4C6D-8E7F-9A0B1C2D3E4F",
            "requester_kind": "person", "requester_name": "张某某",
            "requester_contact": "13912345678", "problem": "罚款金额有误",
            "requested": "应为陆千元"}
    request = submissions.read_form(good)
    assert request["publication_id"] == "8c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    assert request["requester"] == {"kind": "person", "name": "张某某",
                                    "contact": "13912345678"}
    assert request["problem"] == "存在的问题：罚款金额有误\n请求更正为：应为陆千元"
    with pytest.raises(ValidationFailed) as err:
        submissions.read_form(dict(good, requester_kind="robot", problem="",
                                   requested="x" * 901, publication_id="1"))
    details = err.value.details
    assert {"requester_kind", "problem", "requested", "publication_id"} <= set(details)
    assert details["field"] in details and details["rule"]
