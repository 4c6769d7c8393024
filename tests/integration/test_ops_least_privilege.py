"""`sanxiang ops` as an operator's own broker user (`sanxiang broker add-operator`, the rights
shared.messaging.broker.operator_grant derives), beside services each running as its own user:
the operator sees the services' health, queues and dead letters, sends one back and drops one;
no service's user may read another's dead letters nor those an operator dropped, and the
operator may call no RPC but health."""
from __future__ import annotations

import json
import secrets
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange
from kombu.exceptions import OperationalError

from services.review.service import ReviewService
from shared.cli import main as sanxiang
from shared.messaging import broker
from shared.messaging import dead_letters as dl
from tests.agencies import LINGCHUAN, QINYUAN, agencies
from tests.events import proposed, publish_event

pytestmark = pytest.mark.rabbit


def _uri(rabbit_config, user: str, password: str) -> str:
    parts = urlsplit(rabbit_config["AMQP_URI"])
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.hostname}:"
                                            f"{parts.port or 5672}"))


@pytest.fixture
def logins(request, rabbit_config, monkeypatch):
    """Users on the test's vhost: records and review (their service rights) and an operator
    made as README says; deleted after. Users are broker-wide: their names carry a prefix."""
    api = urlsplit(request.config.getoption("RABBIT_API_URI"))
    mgmt = broker.Management(f"{api.scheme}://{api.hostname}:{api.port or 15672}/api",
                             api.username or "guest", api.password or "guest")
    vhost, tag = rabbit_config["vhost"], f"t{uuid.uuid4().hex[:10]}"
    creds = {s: (f"{tag}-{s}", secrets.token_hex(12)) for s in ("records", "review")}
    broker.setup_services(mgmt, vhost, creds)
    operator, password = f"{tag}-operator", secrets.token_hex(12)
    monkeypatch.setenv("OPERATOR_PASSWORD", password)
    monkeypatch.setenv("RABBITMQ_ADMIN_USER", api.username or "guest")
    monkeypatch.setenv("RABBITMQ_ADMIN_PASSWORD", api.password or "guest")
    assert sanxiang(["broker", "add-operator", operator, "--api", mgmt.api, "--vhost", vhost,
                     "--services", "records,review", "--password-env", "OPERATOR_PASSWORD"]) == 0
    # from here on the operator's own login reaches the management API too (monitoring tag)
    monkeypatch.delenv("RABBITMQ_ADMIN_USER")
    monkeypatch.delenv("RABBITMQ_ADMIN_PASSWORD")
    uris = {s: _uri(rabbit_config, *creds[s]) for s in creds}
    uris["operator"] = _uri(rabbit_config, operator, password)
    yield uris, mgmt.api
    for user in [*(u for u, _ in creds.values()), operator]:
        mgmt.delete_user(user)


def run_json(capsys, *argv: str):
    capsys.readouterr()
    code = sanxiang([*argv, "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def refused(uri: str, action) -> bool:
    with Connection(uri) as conn:
        try:
            action(conn.channel())
        except (AccessRefused, OperationalError) as exc:
            return isinstance(exc, AccessRefused) or "ACCESS_REFUSED" in repr(exc)
    return False


def test_the_operator_handles_dead_letters_a_service_cannot_read(
        logins, container_factory, rabbit_config, keys_dir, tmp_path, capsys):
    uris, api = logins
    op = uris["operator"]
    container_factory(ReviewService, dict(
        rabbit_config, AMQP_URI=uris["review"], KEYS_DIR=keys_dir, AGENCIES=agencies(QINYUAN),
        DECLARE_EVENT_EXCHANGES=False,
        DATABASE_URL=f"sqlite:///{tmp_path / 'review.sqlite3'}")).start()
    publish_event(uris["records"], proposed(keys_dir, str(uuid.uuid4()), agency=LINGCHUAN))
    assert dl.wait_for(op, "dlq.review", 1) == 1

    code, status, err = run_json(capsys, "ops", "status", "--amqp", op, "--api", api,
                                 "--keys", keys_dir, "--timeout", "20")
    assert code == 0, err
    review = {s["service"]: s for s in status["services"]}["review"]
    assert review["up"] and review["health"]["dead_letters"]["count"] == 1
    assert status["queues"]["error"] is None
    assert "dlq.review" in {q["name"] for q in status["queues"]["items"]}
    assert status["dead_letters"]["review"]["kinds"] == {"event_agency_not_served": 1}

    code, letters, err = run_json(capsys, "ops", "dead-letters", "list", "--amqp", op)
    assert code == 0, err
    [letter] = letters
    code, sent, err = run_json(capsys, "ops", "dead-letters", "requeue", letter["id"],
                               "--amqp", op)
    assert code == 0, err
    assert sent["requeued"][0]["exchange"] == "records.events"
    assert dl.wait_for(op, "dlq.review", 1) == 1          # the cause stands: back, once
    [again] = dl.peek(op, "dlq.review")
    code, dropped, err = run_json(capsys, "ops", "dead-letters", "drop", again.id,
                                  "--reason", "agency not served here", "--amqp", op)
    assert code == 0, err
    assert dl.count(op, "dlq.review") == 0 and dl.count(op, "dlq.review.dropped") == 1

    # no service reads what was dropped, nor another service's dead letters
    assert refused(uris["review"], lambda ch: ch.basic_get("dlq.review.dropped"))
    assert refused(uris["records"], lambda ch: ch.basic_get("dlq.review"))
    # the operator calls no RPC but health
    assert refused(op, lambda ch: (ch.confirm_select(), ch.basic_publish_confirm(
        _message(), exchange="nameko-rpc", routing_key="review.get_review")))
    assert refused(op, lambda ch: Exchange("records.events", type="topic")(ch).delete())


def _message():
    from amqp import Message
    return Message(b"{}", content_type="application/json")
