"""`sanxiang ops` against real services on a vhost of their own: status tells a running service
from a missing one (with its health: peers, outbox backlog, dead letters) and flags a certificate
about to expire; a dead-lettered event is listed with its reason, shown, sent back to its
original routing key — dead-lettered again while the cause stands, with no duplicate, then
handled once by the fixed consumer —, and another dropped with its reason kept; a replay
re-sends a time range of the record keeper's outbox and the review board's inbox deduplicates
it; errors name what is wrong; --json parses everywhere."""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text, update

from services.records.service import RecordsService
from services.review.service import ReviewService
from shared.cli import main as sanxiang
from shared.messaging import dead_letters as dl
from shared.messaging.broker import service_grant
from tests.agencies import LINGCHUAN, QINYUAN, agencies
from tests.events import proposed, publish_event, publish_raw

EVENT_QUEUE = "evt-records-decision_proposed.v1--review.on_decision_proposed"


def ops(capsys, config, rabbit_api, *argv: str) -> tuple[int, Any, str]:
    """Run `sanxiang ops ARGV --json` on the test's vhost: (exit code, parsed stdout, stderr)."""
    capsys.readouterr()
    extra = ["--amqp", config["AMQP_URI"]]
    if argv[0] == "status":
        extra += ["--api", rabbit_api.base.rstrip("/")]
    code = sanxiang(["ops", *argv, *extra, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def human(capsys, config, *argv: str) -> str:
    """Run `sanxiang ops ARGV` for a person: its text, after checking it succeeded."""
    capsys.readouterr()
    code = sanxiang(["ops", *argv, "--amqp", config["AMQP_URI"]])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def start_review(container_factory, config, url, served):
    container = container_factory(ReviewService, dict(config, DATABASE_URL=url,
                                                      AGENCIES=agencies(*served)))
    container.start()
    return container


def reviews_of(url: str, message_id: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(text("SELECT count(*) FROM reviews WHERE source_message_id = :m"),
                             {"m": message_id}).scalar_one()
    finally:
        engine.dispose()


def drained(rabbit_api, vhost: str, queue: str, timeout: float = 20) -> None:
    """Wait until `queue` holds nothing ready or unacknowledged (its consumer is done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        q = rabbit_api.queues(vhost).get(queue, {})
        if ("messages_ready" in q and q.get("messages_ready", 0) == 0
                and q.get("messages_unacknowledged", 0) == 0):
            return
        time.sleep(0.2)
    raise AssertionError(f"{queue} still holds messages")


def self_signed(days: int) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rabbitmq.sanxiang.test")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def test_status_shows_a_running_and_a_missing_service(container_factory, rabbit_config,
                                                      rabbit_api, keys_dir, tmp_path, capsys):
    config = dict(rabbit_config, KEYS_DIR=keys_dir)
    start_review(container_factory, config, f"sqlite:///{tmp_path / 'review.sqlite3'}",
                 [LINGCHUAN])
    certs = tmp_path / "tls"
    certs.mkdir()
    (certs / "broker.pem").write_bytes(self_signed(days=10))
    (certs / "portal.pem").write_bytes(self_signed(days=400))
    # the management API's figures lag the broker by its statistics interval
    deadline = time.monotonic() + 20
    while (rabbit_api.queues(_vhost(config["AMQP_URI"])).get("rpc-review", {})
           .get("consumers", 0) < 1 and time.monotonic() < deadline):
        time.sleep(0.2)

    code, status, err = ops(capsys, config, rabbit_api, "status", "--keys", keys_dir,
                            "--certs", str(certs), "--timeout", "20")
    assert code == 0, err
    by_name = {s["service"]: s for s in status["services"]}
    review, records = by_name["review"], by_name["records"]
    assert review["up"] and review["rpc_consumers"] == 1
    health = review["health"]
    assert health["version"] == ReviewService.version
    assert health["contracts"]["contract"] == ReviewService.contract.version
    assert health["peers"] == {"records": False} and health["missing_peers"] == ["records"]
    assert health["outbox"] == {"pending": 0, "unrouted": 0, "oldest_pending_at": None,
                                "oldest_pending_seconds": None, "error": None}
    assert health["dead_letters"] == {"queue": "dlq.review", "count": 0, "error": None}
    assert health["calendar"]["covered_until"]
    assert not records["up"] and "not deployed" in records["error"]
    queues = {q["name"]: q for q in status["queues"]["items"]}
    assert queues["rpc-review"]["consumers"] == 1 and queues["rpc-review"]["service"] == "review"
    assert status["dead_letters"]["review"]["count"] == 0
    # keys: Ed25519, no expiry, none due for rotation; the certificates with their expiry
    kinds = {k["kind"] for k in status["keys"]["items"]}
    assert {"public events", "private events", "private token"} <= kinds
    assert not any(k["rotation_due"] for k in status["keys"]["items"])
    expiring = {c["path"].rsplit("/", 1)[1]: c["expiring"] for c in status["certificates"]}
    assert expiring == {"broker.pem": True, "portal.pem": False}

    # the same for a person: a compact table
    capsys.readouterr()
    assert sanxiang(["ops", "status", "--amqp", config["AMQP_URI"], "--api",
                     rabbit_api.base.rstrip("/"), "--keys", keys_dir, "--certs", str(certs),
                     "--timeout", "20"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()
            if line.split() and line.split()[0] in ("review", "records")}
    assert rows == {"review": "up", "records": "DOWN"}
    assert "EXPIRING" in out


def test_a_dead_letter_is_listed_shown_requeued_and_handled_once(
        container_factory, rabbit_config, rabbit_api, keys_dir, tmp_path, capsys):
    config = dict(rabbit_config, KEYS_DIR=keys_dir)
    uri = config["AMQP_URI"]
    url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    # the review board misconfigured: it does not serve the agency the event is for
    board = start_review(container_factory, config, url, [QINYUAN])
    event = proposed(keys_dir, str(uuid.uuid4()), agency=LINGCHUAN)
    publish_event(uri, event)
    assert dl.wait_for(uri, "dlq.review", 1) == 1

    code, letters, err = ops(capsys, config, rabbit_api, "dead-letters", "list",
                             "--service", "review")
    assert code == 0, err
    [letter] = letters
    assert letter["message_id"] == event["message_id"]
    assert letter["kind"] == "event_agency_not_served"
    assert letter["exchange"] == "records.events"
    assert letter["routing_key"] == "decision_proposed.v1"
    assert letter["handler"] == "review.on_decision_proposed"
    code, status, err = ops(capsys, config, rabbit_api, "status", "--keys", keys_dir)
    assert status["dead_letters"]["review"]["kinds"] == {"event_agency_not_served": 1}
    assert {s["service"]: s for s in status["services"]}["review"]["health"][
        "dead_letters"]["count"] == 1

    listed = human(capsys, config, "dead-letters", "list")
    assert letter["id"] in listed and "event_agency_not_served" in listed
    text = human(capsys, config, "dead-letters", "show", letter["id"])
    assert f"message_id:    {event['message_id']}" in text and '"case_id"' in text
    code, shown, err = ops(capsys, config, rabbit_api, "dead-letters", "show", letter["id"])
    assert code == 0, err
    assert json.loads(shown["body"]) == event
    assert shown["headers"]["x-dead-error"] == "EventRefused"
    assert "lingchuan-emergency" in shown["headers"]["x-dead-reason"]

    # sent back while the cause stands: dead-lettered again, once — no duplicate
    code, sent, err = ops(capsys, config, rabbit_api, "dead-letters", "requeue", letter["id"])
    assert code == 0, err
    assert [(s["message_id"], s["exchange"], s["routing_key"]) for s in sent["requeued"]] == [
        (event["message_id"], "records.events", "decision_proposed.v1")]
    drained(rabbit_api, _vhost(uri), EVENT_QUEUE)
    assert dl.wait_for(uri, "dlq.review", 1) == 1
    drained(rabbit_api, _vhost(uri), EVENT_QUEUE)
    assert dl.count(uri, "dlq.review") == 1
    assert reviews_of(url, event["message_id"]) == 0

    # the cause fixed (the agency served), sent back: handled once
    board.stop()
    start_review(container_factory, config, url, [QINYUAN, LINGCHUAN])
    code, sent, err = ops(capsys, config, rabbit_api, "dead-letters", "requeue", "--all",
                          "--service", "review")
    assert code == 0, err
    assert [s["message_id"] for s in sent["requeued"]] == [event["message_id"]]
    deadline = time.monotonic() + 20
    while reviews_of(url, event["message_id"]) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    drained(rabbit_api, _vhost(uri), EVENT_QUEUE)
    assert reviews_of(url, event["message_id"]) == 1
    assert dl.count(uri, "dlq.review") == 0

    # an id that is not there: said, nothing touched
    code, _, err = ops(capsys, config, rabbit_api, "dead-letters", "requeue", letter["id"],
                       "--service", "review")
    assert code == 1 and f"no dead letter with id {letter['id']!r}" in err

    # garbage dropped: never silently — kept with the reason, who and when
    publish_raw(uri, b"not json at all", message_id="garbage-1")
    assert dl.wait_for(uri, "dlq.review", 1) == 1
    code, letters, err = ops(capsys, config, rabbit_api, "dead-letters", "list")
    [garbage] = letters
    assert garbage["kind"] == "event_undecodable" and garbage["service"] == "review"
    code, dropped, err = ops(capsys, config, rabbit_api, "dead-letters", "drop", garbage["id"],
                             "--reason", "a test publisher's garbage", "--by", "operator-7")
    assert code == 0, err
    assert dropped["dropped"]["queue"] == "dlq.review.dropped"
    assert dl.count(uri, "dlq.review") == 0
    code, kept, err = ops(capsys, config, rabbit_api, "dead-letters", "list", "--dropped")
    [kept_one] = kept
    assert kept_one["id"] == garbage["id"] and kept_one["message_id"] == "garbage-1"
    assert kept_one["dropped_reason"] == "a test publisher's garbage"
    assert kept_one["dropped_by"] == "operator-7" and kept_one["dropped_at"]
    assert kept_one["reason"].startswith("event_undecodable")   # why it was dead-lettered
    listed = human(capsys, config, "dead-letters", "list", "--dropped")
    assert "a test publisher's garbage" in listed and "operator-7" in listed
    # a drop needs a reason; and no service's broker user may read the kept queue
    with pytest.raises(SystemExit) as refused:
        sanxiang(["ops", "dead-letters", "drop", garbage["id"], "--amqp", uri])
    assert refused.value.code == 2 and "--reason" in capsys.readouterr().err
    assert dl.count(uri, "dlq.review.dropped") == 1
    grant = service_grant("review", ReviewService.contract.consumes)
    assert grant.allows("read", "dlq.review")
    assert not grant.allows("read", "dlq.review.dropped")
    assert not grant.allows("configure", "dlq.review.dropped")


def _vhost(uri: str) -> str:
    from kombu import Connection
    return Connection(uri).virtual_host


def test_replay_resends_a_range_and_the_inbox_deduplicates(
        container_factory, rabbit_config, rabbit_api, keys_dir, tmp_path, capsys):
    from contracts.records import CONTRACT
    from services.records.models import outbox as records_outbox
    from shared.messaging.outbox import OutboxWriter
    from shared.persistence.db import make_engine, migrate, open_db
    from shared.trust.keys import KeyStore

    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=agencies(LINGCHUAN))
    uri = config["AMQP_URI"]
    records_url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    review_url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    start_review(container_factory, config, review_url, [LINGCHUAN])

    # three proposals in the record keeper's outbox, written on two days in November
    engine = make_engine(records_url)
    migrate(engine, "services.records:migrations")
    db = open_db(engine)
    writer = OutboxWriter(records_outbox, CONTRACT,
                          signer=KeyStore(keys_dir).event_signing_key("records"))
    written: dict[str, list[str]] = {"2026-11-02T10:00:00+08:00": [],
                                     "2026-11-20T10:00:00+08:00": []}
    example = CONTRACT.event("decision_proposed.v1").example
    with db.transaction() as session:
        for day, ids in written.items():
            for _ in range(2 if day.startswith("2026-11-02") else 1):
                body = writer.stage(session, "decision_proposed.v1",
                                    dict(example, case_id=str(uuid.uuid4())), agency=LINGCHUAN,
                                    actor={"id": "officer-lc-017", "role": "officer"},
                                    ruleset="lingchuan-emergency@1")
                ids.append(body["message_id"])
                session.execute(update(records_outbox)
                                .where(records_outbox.c.message_id == body["message_id"])
                                .values(created_at=datetime.fromisoformat(day)))
    engine.dispose()
    # the record keeper relays them: the board handles each once
    container_factory(RecordsService, dict(config, DATABASE_URL=records_url)).start()
    every = [m for ids in written.values() for m in ids]
    deadline = time.monotonic() + 30
    while (sum(reviews_of(review_url, m) for m in every) < 3
           and time.monotonic() < deadline):
        time.sleep(0.1)
    assert [reviews_of(review_url, m) for m in every] == [1, 1, 1]

    cfg = tmp_path / "records.yml"
    cfg.write_text(f"AMQP_URI: {uri}\nDATABASE_URL: {records_url}\n", encoding="utf-8")
    code, answer, err = ops(capsys, config, rabbit_api, "replay", "--service", "records",
                            "--config", str(cfg), "--from", "2026-11-01", "--to", "2026-11-10",
                            "--event-type", "decision_proposed.v1")
    assert code == 0, err
    first_day = written["2026-11-02T10:00:00+08:00"]
    assert sorted(s["message_id"] for s in answer["sent"]) == sorted(first_day)
    assert answer["found"] == 2 and answer["unrouted"] == []
    said = human(capsys, config, "replay", "--service", "records", "--config", str(cfg),
                 "--from", "2026-11-01", "--to", "2026-11-10", "--dry-run")
    assert "dry run: 2 records events" in said and first_day[0] in said
    drained(rabbit_api, _vhost(uri), EVENT_QUEUE)
    # delivered again, deduplicated by the inbox: no second review
    assert [reviews_of(review_url, m) for m in every] == [1, 1, 1]
    engine = create_engine(review_url)
    with engine.connect() as c:
        assert c.execute(select(func.count()).select_from(text("inbox"))).scalar_one() == 3
    engine.dispose()

    # a bad range and an unreachable broker are named
    code, _, err = ops(capsys, config, rabbit_api, "replay", "--service", "records",
                       "--config", str(cfg), "--from", "2026-11-10", "--to", "2026-11-01")
    assert code == 2 and "bad time range" in json.loads(err)["error"]["message"]
    code, _, err = ops(capsys, config, rabbit_api, "replay", "--service", "records",
                       "--config", str(cfg), "--from", "yesterday", "--to", "2026-11-01")
    assert code == 2 and "--from 'yesterday'" in json.loads(err)["error"]["message"]
    capsys.readouterr()
    assert sanxiang(["ops", "dead-letters", "list", "--amqp",
                     "pyamqp://guest:guest@127.0.0.1:1/", "--json"]) == 3
    err = json.loads(capsys.readouterr().err)["error"]["message"]
    assert "broker unreachable at pyamqp://guest:***@127.0.0.1:1/" in err
