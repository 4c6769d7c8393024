"""Broker users with least privilege (shared.messaging.broker) on real RabbitMQ, a vhost per test: a
service's user cannot forge another service's events, an outside caller can only call and
read its own replies, and the records + review loop runs with each service as its own user."""
from __future__ import annotations

import secrets
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from amqp.exceptions import AccessRefused
from kombu import Connection, Exchange, Queue
from kombu.exceptions import OperationalError

from services.records.service import RecordsService
from services.review.service import ReviewService
from shared.cli import main as cli_main
from shared.messaging import broker
from tests import suite
from tests.agencies import LINGCHUAN, QINYUAN, agencies
from tests.builders import ACTORS, AGENCY, demo_plan, open_case_request
from tests.plans import run_case, start_vault

pytestmark = pytest.mark.rabbit

AGENCIES = agencies(LINGCHUAN, QINYUAN)
# every installed service (the sanxiang.services entry points): the next one gets a user too
SERVICES = suite.NAMES


def _uri(rabbit_config, user: str, password: str) -> str:
    parts = urlsplit(rabbit_config["AMQP_URI"])
    netloc = f"{user}:{password}@{parts.hostname}:{parts.port or 5672}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def users(request, rabbit_config, monkeypatch):
    """Per-service users (and outside callers on demand) on the test's vhost; deleted after.
    Users are broker-wide, so their names carry a unique prefix."""
    api = urlsplit(request.config.getoption("RABBIT_API_URI"))
    mgmt = broker.Management(f"{api.scheme}://{api.hostname}:{api.port or 15672}/api",
                             api.username or "guest", api.password or "guest")
    vhost = rabbit_config["vhost"]
    tag = f"t{uuid.uuid4().hex[:10]}"
    made: list[str] = []
    creds = {s: (f"{tag}-{s}", secrets.token_hex(12)) for s in SERVICES}
    made += [user for user, _ in creds.values()]
    broker.setup_services(mgmt, vhost, creds)

    def caller(name: str) -> tuple[str, str]:
        """The outside system's user, made as README says: `sanxiang broker add-caller`."""
        user, password = f"{tag}-{name}", secrets.token_hex(12)
        made.append(user)
        monkeypatch.setenv("CALLER_PASSWORD", password)
        monkeypatch.setenv("RABBITMQ_ADMIN_USER", api.username or "guest")
        monkeypatch.setenv("RABBITMQ_ADMIN_PASSWORD", api.password or "guest")
        assert cli_main(["broker", "add-caller", user, "--api", mgmt.api, "--vhost", vhost,
                         "--password-env", "CALLER_PASSWORD"]) == 0
        return user, _uri(rabbit_config, user, password)

    uris = {s: _uri(rabbit_config, *creds[s]) for s in SERVICES}
    yield uris, caller
    for user in made:
        mgmt.delete_user(user)


def _publish(uri: str, exchange: str, routing_key: str, body: bytes = b"{}", **props):
    """Publish with confirms, so a refusal comes back here rather than on a later call."""
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        producer.publish(body, exchange=Exchange(exchange, type="topic", no_declare=True),
                         routing_key=routing_key, **props)


def _refused(exc_info) -> bool:
    exc = exc_info.value
    text = f"{exc!r} {getattr(exc, '__cause__', '')!r}"
    return isinstance(exc, AccessRefused) or "ACCESS_REFUSED" in text


def test_a_service_user_cannot_publish_another_services_events(users):
    uris, _ = users
    _publish(uris["records"], "records.events", "case_opened.v1")     # its own: allowed
    with pytest.raises((AccessRefused, OperationalError)) as err:
        _publish(uris["records"], "review.events", "opinion_issued.v1")
    assert _refused(err), err.value


def test_a_service_reads_and_writes_only_its_own_dead_letters(users):
    """Dead letters hold the refused events' bodies: records may neither bind its queue to
    review's dead letters nor put one into review's dead-letter queue."""
    from shared.messaging.consumer import DEAD_LETTER_EXCHANGE
    uris, _ = users
    dead = Exchange(DEAD_LETTER_EXCHANGE, type="topic", no_declare=True)
    with Connection(uris["records"]) as conn:
        Queue("dlq.records", dead, routing_key="records", durable=True)(
            conn.default_channel).declare()                              # its own: allowed
    with Connection(uris["records"]) as conn:
        with pytest.raises(AccessRefused):
            Queue("dlq.records", dead, routing_key="review", durable=True)(
                conn.default_channel).declare()
    _publish(uris["records"], DEAD_LETTER_EXCHANGE, "records")           # its own: allowed
    with pytest.raises((AccessRefused, OperationalError)) as err:
        _publish(uris["records"], DEAD_LETTER_EXCHANGE, "review")
    assert _refused(err), err.value


def test_a_service_that_consumes_no_events_still_dead_letters(users):
    """Every service dead-letters the RPC requests it cannot read (shared.messaging.rpc), the
    renderer too, which handles no events: its user declares and feeds its own dead-letter queue
    the way shared.messaging.consumer.DeadLetters does (declare the exchange and the queue,
    publish)."""
    from shared.messaging.consumer import DEAD_LETTER_EXCHANGE
    uris, _ = users
    dead = Exchange(DEAD_LETTER_EXCHANGE, type="topic", durable=True)
    with Connection(uris["renderer"]) as conn:
        Queue("dlq.renderer", dead, routing_key="renderer", durable=True)(
            conn.default_channel).declare()
    _publish(uris["renderer"], DEAD_LETTER_EXCHANGE, "renderer")
    with pytest.raises((AccessRefused, OperationalError)) as err:
        _publish(uris["renderer"], DEAD_LETTER_EXCHANGE, "records")
    assert _refused(err), err.value


def test_a_service_user_cannot_delete_another_services_exchange_or_tap_all_calls(users):
    uris, _ = users
    with Connection(uris["records"]) as conn:
        with pytest.raises(AccessRefused):
            conn.default_channel.exchange_delete("review.events")
    with Connection(uris["records"]) as conn:
        # its own RPC queue, bound with '#' instead of 'records.*', would see every call and
        # its actor token: the topic permission refuses the binding
        q = Queue("rpc-records", Exchange("nameko-rpc", type="topic", no_declare=True),
                  routing_key="#", durable=True)
        with pytest.raises(AccessRefused):
            q(conn.default_channel).declare()


def test_an_outside_caller_calls_and_reads_its_reply_and_nothing_else(
        users, container_factory, rabbit_config, tmp_path, db_url, keys_dir,
        token_issuer, raw_rpc):
    uris, caller = users
    keys = keys_dir
    config = dict(rabbit_config, AMQP_URI=uris["records"], DATABASE_URL=db_url, KEYS_DIR=keys,
                  AGENCIES=AGENCIES, DECLARE_EVENT_EXCHANGES=False)
    container_factory(RecordsService, config).start()
    user, uri = caller("case-system")

    with pytest.raises((AccessRefused, OperationalError)) as err:
        _publish(uri, "records.events", "decision_issued.v1")
    assert _refused(err), err.value
    with Connection(uri) as conn:
        with pytest.raises(AccessRefused):   # another service's requests
            conn.default_channel.basic_get("rpc-records")
    with Connection(uri) as conn:
        with pytest.raises(AccessRefused):   # a queue outside its own prefix
            conn.default_channel.queue_declare("rpc-records", durable=True)
    with Connection(uri) as conn:
        # its own reply queue bound to every request key: refused by the topic permission
        tap = Queue(f"{broker.caller_prefix(user)}{uuid.uuid4()}",
                    Exchange("nameko-rpc", type="topic", no_declare=True),
                    routing_key="records.*", exclusive=True, auto_delete=True)
        with pytest.raises(AccessRefused):
            tap(conn.default_channel).declare()

    # what it may do: the call README's "Calling the RPC API" describes
    token = token_issuer.issue(
        actor_id="case-system", role="officer", agency="lingchuan-emergency")
    answer = raw_rpc(uri, "records", "open_case",
                     open_case_request("陵应急立〔2025〕90号"), token,
                     reply_prefix=broker.caller_prefix(user))
    assert answer["error"] is None, answer["error"]
    assert answer["result"]["head_seq"] == 1


def test_records_and_review_loop_with_each_service_as_its_own_user(
        users, container_factory, rabbit_config, tmp_path, db_url, keys_dir,
        token_issuer):
    from nameko.standalone.rpc import ClusterRpcProxy

    uris, _ = users
    keys = keys_dir
    base = dict(rabbit_config, KEYS_DIR=keys, AGENCIES=AGENCIES, DECLARE_EVENT_EXCHANGES=False)
    dbs = {"records": db_url, "review": f"sqlite:///{tmp_path / 'review.sqlite3'}"}
    for name, cls in (("records", RecordsService), ("review", ReviewService)):
        container_factory(cls, dict(base, AMQP_URI=uris[name], DATABASE_URL=dbs[name])).start()
    # the vault as its own user too: the case's AV records name its objects
    start_vault(container_factory, dict(base, AMQP_URI=uris["vault"]), tmp_path)
    signer = token_issuer

    def rpc(role="officer"):
        token = signer.issue(actor_id=ACTORS[role], role=role,
                             agency=AGENCY, name=ACTORS[role])
        # the test's own caller is the vhost's administrator; the services are not
        return ClusterRpcProxy(rabbit_config, context_data={"actor_token": token}, timeout=20)

    with rpc("head") as head:
        assert head.records.health()["missing_peers"] == []
    ctx = run_case(rpc, demo_plan("陵应急立〔2025〕503号", with_review=True))
    with rpc("head") as head:
        entries = head.records.get_entries(case_id=ctx["case_id"])
        assert head.records.verify_case(case_id=ctx["case_id"])["ok"]
    kinds = [e["kind"] for e in entries]
    # the opinion came back through review.events -> records' handler, before the decision
    assert kinds.index("decision_proposed") < kinds.index("legal_review") < kinds.index(
        "decision_issued")


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_runs_as_its_own_user_and_publishes_only_its_own_events(
        service, users, container_factory, rabbit_config, tmp_path, keys_dir):
    """Each installed service started as its own broker user, as compose and `sanxiang run`
    start it (the exchanges declared beforehand, DECLARE_EVENT_EXCHANGES false): it takes
    calls, and its user writes its own events exchange and no other service's."""
    from nameko.standalone.rpc import ClusterRpcProxy

    uris, _ = users
    config = dict(rabbit_config, AMQP_URI=uris[service], KEYS_DIR=keys_dir, AGENCIES=AGENCIES,
                  DECLARE_EVENT_EXCHANGES=False,
                  DATABASE_URL=f"sqlite:///{tmp_path / service}.sqlite3",
                  **suite.settings(service, tmp_path))
    container_factory(suite.classes()[service], config).start()
    with ClusterRpcProxy(rabbit_config, timeout=20) as rpc:
        assert getattr(rpc, service).health()["service"] == service
    _publish(uris[service], f"{service}.events", "anything.v1")           # its own: allowed
    other = next(s for s in SERVICES if s != service)
    with pytest.raises((AccessRefused, OperationalError)) as err:
        _publish(uris[service], f"{other}.events", "anything.v1")
    assert _refused(err), err.value
    with Connection(uris[service]) as conn:
        with pytest.raises(AccessRefused):   # another service's requests
            conn.default_channel.basic_get(f"rpc-{other}")


def test_the_vault_stores_a_file_and_publishes_its_event_as_its_own_user(
        users, container_factory, rabbit_config, tmp_path, keys_dir, token_issuer):
    """The vault's whole ingest under its own user: the announcement and completion over RPC,
    object_stored.v1 relayed from its outbox to vault.events — which a tap of the test's own
    sees."""
    import hashlib
    import json
    import time

    import requests
    from nameko.standalone.rpc import ClusterRpcProxy

    uris, _ = users
    config = dict(rabbit_config, AMQP_URI=uris["vault"], KEYS_DIR=keys_dir, AGENCIES=AGENCIES,
                  DECLARE_EVENT_EXCHANGES=False,
                  DATABASE_URL=f"sqlite:///{tmp_path / 'vault'}.sqlite3",
                  **suite.settings("vault", tmp_path))
    container_factory(suite.classes()["vault"], config).start()
    tap = Queue(f"tap-{uuid.uuid4().hex[:8]}",
                Exchange("vault.events", type="topic", no_declare=True), routing_key="#",
                auto_delete=True)
    data = b"body camera footage " * 5000
    token = token_issuer.issue(actor_id="officer-qy-007", role="officer", agency=QINYUAN)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        tap(conn.default_channel).declare()
        with ClusterRpcProxy(rabbit_config, context_data={"actor_token": token},
                             timeout=30) as rpc:
            target = rpc.vault.begin_upload(
                agency=QINYUAN, subject="av", sha256=hashlib.sha256(data).hexdigest(),
                size=len(data), name="执法记录仪.mp4", media_type="video/mp4",
                facts=["penalty_evidence"])
            assert requests.put(target["url"], data=data, timeout=30).status_code == 200
            stored = rpc.vault.complete_upload(upload_id=target["upload_id"])
        deadline = time.monotonic() + 15
        message = None
        while message is None and time.monotonic() < deadline:
            message = tap(conn.default_channel).get(no_ack=True)
            time.sleep(0.1)
    assert message is not None, "object_stored.v1 never reached vault.events"
    event = json.loads(message.body)
    assert event["event_type"] == "object_stored.v1"
    assert event["data"]["object_id"] == stored["id"]
