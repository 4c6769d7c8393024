"""The fuzz suite's deployment: every installed service (tests/suite.py) in-process over real
RabbitMQ, on SQLite and on PostgreSQL, called over raw AMQP (tests/fuzz/harness.py), with an
actor token for every role and a real case, review and vault object to aim at.

Each service runs on a vhost of its own, so no event of one (a decision proposed, an opinion
issued) writes into another's database while that one is being fuzzed: a refused call must
leave every row count as it was, and only the call itself may change it."""
from __future__ import annotations

import copy
import hashlib
import uuid
from urllib.parse import quote, urlsplit

import pytest
import requests

from contracts.review import CONTRACT as REVIEW
from contracts.vault import CONTRACT as VAULT
from shared.contracts.registry import ROLES
from tests import suite
from tests.agencies import LINGCHUAN, QINYUAN, agencies
from tests.builders import ACTORS, AGENCY, PARTY, open_case_request
from tests.fuzz.harness import CALL_SECONDS, Judge, RawRpc, RowCounter, encode

AGENCIES = agencies(LINGCHUAN, QINYUAN)
# every installed service (the sanxiang.services entry points): the next one is fuzzed too
SERVICES = suite.classes()
# the bytes of the vault object the fuzz aims at
FOOTAGE = b"fuzz footage " * 1000

# every outcome of this test run's fuzz calls, for the summary line
ALL_CALLS = Judge()


class Deployment:
    def __init__(self, configs: dict, urls: dict, tokens: dict):
        self.configs, self.urls, self.tokens = configs, urls, tokens
        self.rpcs = {name: RawRpc(config["AMQP_URI"]) for name, config in configs.items()}
        self.counters = {name: RowCounter(name, url) for name, url in urls.items()}
        self.judge = Judge()
        self.ids: dict[str, str] = {}

    def call(self, service: str, method: str, body: bytes, role: str | None, *,
             what: str = "", limit: float = CALL_SECONDS) -> dict | None:
        """One raw call, judged (harness.Judge); the reply."""
        counter = self.counters[service]
        before = counter.counts()
        reply, seconds = self.rpcs[service].call(service, method, body, self.tokens.get(role),
                                                 limit)
        refused = reply is None or reply.get("error") is not None
        after = counter.counts() if refused else None
        label = f"{service}.{method} as {role or 'nobody'}{': ' + what if what else ''}"
        for judge in (self.judge, ALL_CALLS):
            judge.judge(label, reply, seconds, limit, before if refused else None, after)
        return reply

    def ok(self, service: str, method: str, kwargs: dict, role: str) -> dict:
        """A call that must succeed (setting the scene); its result."""
        reply, _ = self.rpcs[service].call(service, method, encode(kwargs), self.tokens[role],
                                           CALL_SECONDS)
        assert reply is not None and reply["error"] is None, (method, reply)
        return reply["result"]

    def close(self):
        for rpc in self.rpcs.values():
            rpc.close()
        for counter in self.counters.values():
            counter.close()


@pytest.fixture
def service_vhosts(rabbit_api, rabbit_config):
    """An AMQP URI on a vhost of its own per service, removed after the test (this fixture
    is set up before the containers, so it is torn down after they stop)."""
    parts = urlsplit(rabbit_config["AMQP_URI"])
    made, uris = [], {}
    for name in SERVICES:
        vhost = f"fuzz-{name}-{uuid.uuid4().hex[:8]}"
        quoted = quote(vhost, safe="")
        rabbit_api.put(f"vhosts/{quoted}").raise_for_status()
        made.append(quoted)
        rabbit_api.put(f"permissions/{quoted}/{quote(parts.username or 'guest', safe='')}",
                       json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
        uris[name] = f"{parts.scheme}://{parts.netloc}/{quoted}"
    yield uris
    for quoted in made:
        rabbit_api.delete(f"vhosts/{quoted}")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def deployment(request, service_vhosts, container_factory, rabbit_config, tmp_path, keys_dir,
               token_issuer):
    if request.param == "sqlite":
        urls = {name: f"sqlite:///{tmp_path / name}.sqlite3" for name in SERVICES}
    else:
        make = request.getfixturevalue("make_pg_database")
        urls = {name: make(f"sanxiang_fuzz_{name}") for name in SERVICES}
    common = dict(KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    configs = {name: dict(common, AMQP_URI=service_vhosts[name], DATABASE_URL=urls[name],
                          **suite.settings(name, tmp_path))
               for name in SERVICES}
    for name, cls in SERVICES.items():
        container_factory(cls, configs[name]).start()

    # a real case to aim at (opened as the demo opens it), and a real review of it
    officer = token_issuer.issue(actor_id=ACTORS["officer"], role="officer",
                                 agency=AGENCY)
    tokens = {"officer": officer}
    deployment = Deployment(configs, urls, tokens)
    opened = deployment.ok("records", "open_case",
                           open_case_request("陵应急立〔2025〕900号"), "officer")
    case_id = opened["id"]
    for role in ROLES:
        bound = {"party_id": PARTY["id"], "case_id": case_id} if role == "party" else {}
        tokens[role] = token_issuer.issue(actor_id=ACTORS.get(role, f"{role}-1"),
                                          role=role, agency=AGENCY, **bound)
    review = copy.deepcopy(REVIEW.rpc("request_review").example_request)
    review.update(agency=AGENCY, case_id=case_id)
    reviewed = deployment.ok("review", "request_review", review,
                             REVIEW.rpc("request_review").roles[0])
    deployment.ids = {"case_id": case_id, "review_id": reviewed["id"], "agency": AGENCY,
                      "object_id": _stored_object(deployment, case_id)}
    try:
        yield deployment
    finally:
        deployment.close()


def _stored_object(deployment: Deployment, case_id: str) -> str:
    """A real vault object of the case (announced, its bytes sent, stored), as the fuzz aims
    at: its id."""
    announce = dict(copy.deepcopy(VAULT.rpc("begin_upload").example_request), agency=AGENCY,
                    case_id=case_id, sha256=hashlib.sha256(FOOTAGE).hexdigest(),
                    size=len(FOOTAGE))
    target = deployment.ok("vault", "begin_upload", announce, "officer")
    sent = requests.put(target["url"], data=FOOTAGE, timeout=CALL_SECONDS)
    assert sent.status_code == 200, sent.text
    stored = deployment.ok("vault", "complete_upload", {"upload_id": target["upload_id"]},
                           "officer")
    return stored["id"]


def pytest_terminal_summary(terminalreporter):
    if ALL_CALLS.calls:
        terminalreporter.write_line(f"fuzz: {ALL_CALLS.summary()}")
