"""The portal written by two disclosure instances at once, over real RabbitMQ (a vhost per
test) on one database (a PostgreSQL database: the advisory lock; a SQLite file: the file lock)
and one portal folder: a burst of publications, published over RPC, ends in a portal identical
to a rebuild from the tables — no list entry lost, no file torn. An instance killed in the
middle of a portal write leaves the event unacknowledged; redelivered to the other instance,
the write is completed, again as a rebuild would write it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import eventlet
import pytest
import yaml
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import func, select

from services.disclosure import models
from services.disclosure.dependencies import PortalSite
from services.disclosure.domain.log import LogKeys
from services.disclosure.service import DisclosureService
from services.disclosure.usecases import portal as portal_usecases
from shared.persistence.db import make_engine, open_db
from shared.rulesets.provider import Rules
from shared.trust.keys import KeyStore
from tests.agencies import QINYUAN, agencies
from tests.unit.disclosure.support import draft_request
from tests.unit.disclosure.test_portal_rebuild import served

ROOT = Path(__file__).resolve().parents[2]
AGENCIES = agencies(QINYUAN)
BURST = 12


@pytest.fixture
def deployment(rabbit_config, db_url, tmp_path, keys_dir, token_issuer):
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=AGENCIES, DATABASE_URL=db_url,
                  DISCLOSURE_PORTAL_DIR=str(tmp_path / "portal"))
    token = token_issuer.issue(actor_id="publisher-qy-1", role="publisher", agency=QINYUAN,
                               name="publisher-qy-1")

    def publish(n: int) -> str:
        with ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=30) as rpc:
            pub = rpc.disclosure.create_draft(**_json(draft_request(
                decision_no=f"沁能罚〔2025〕{n}号", case_name=f"某煤业公司安全培训案（{n}）")))
            rpc.disclosure.review_publication(publication_id=pub["id"], outcome="publish")
            return str(pub["id"])
    return config, publish


def _json(request: dict) -> dict:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in request.items()}


def handled(url: str, count: int, seconds: float = 90) -> None:
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        deadline = time.monotonic() + seconds
        while True:
            with engine.connect() as conn:
                done = conn.execute(select(func.count()).select_from(models.inbox)).scalar_one()
            if done >= count:
                return
            assert time.monotonic() < deadline, f"{done} of {count} portal events handled"
            time.sleep(0.3)
    finally:
        engine.dispose()


def rebuilt(config: dict, tmp_path: Path) -> dict[str, bytes]:
    keys = KeyStore(config["KEYS_DIR"])
    own = LogKeys.of(keys.checkpoint_key("disclosure").key,
                     keys.checkpoint_verification_keys("disclosure"))
    engine = make_engine(config["DATABASE_URL"], pool_size=1, max_overflow=1)
    try:
        portal_usecases.rebuild(db=open_db(engine), rules=Rules.from_config(config),
                                directory=tmp_path / "rebuilt", log_keys=own.verifying,
                                records_keys=keys.checkpoint_verification_keys("records"))
    finally:
        engine.dispose()
    return served(tmp_path / "rebuilt")


class Instance:
    """A disclosure instance in a process of its own (`python -m nameko run`), as production
    runs each container: writers in two processes race for real, where two containers of one
    eventlet process would only meet at their green yields."""

    def __init__(self, workdir: Path, config: dict, n: int):
        self.config = workdir / f"disclosure-{n}.yml"
        self.config.write_text(yaml.safe_dump(
            {k: v for k, v in config.items() if isinstance(v, str | int | bool)}
            | {"WEB_SERVER_ADDRESS": "127.0.0.1:0", "max_workers": 4}, allow_unicode=True))
        self.log = workdir / f"disclosure-{n}.log"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nameko", "run", "--config", str(self.config),
                 "services.disclosure.service:DisclosureService"], cwd=ROOT,
                env=dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore"),
                stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def consumers(rabbit_api, vhost: str, count: int, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        queues = rabbit_api.queues(vhost)
        portal = [q for name, q in queues.items() if "portal_on_published" in name]
        rpc = queues.get("rpc-disclosure", {})
        if portal and portal[0].get("consumers", 0) >= count \
                and rpc.get("consumers", 0) >= count:
            return
        assert time.monotonic() < deadline, f"{count} disclosure instances not up: {queues}"
        time.sleep(0.3)


def test_two_instances_writing_one_portal_end_as_a_rebuild_would_write_it(
        deployment, tmp_path, rabbit_api):
    config, publish = deployment
    instances = [Instance(tmp_path, config, n) for n in (1, 2)]
    try:
        consumers(rabbit_api, config["vhost"] if "vhost" in config else
                  config["AMQP_URI"].rsplit("/", 1)[1], 2)
        # all at once: the events reach both instances together
        ids = [t.wait() for t in [eventlet.spawn(publish, n) for n in range(1, BURST + 1)]]
        handled(config["DATABASE_URL"], BURST)
    finally:
        for instance in instances:
            instance.stop()
    got = served(tmp_path / "portal")
    want = rebuilt(config, tmp_path)
    assert [n for n in sorted(set(got) | set(want)) if got.get(n) != want.get(n)] == []
    listed = [i["id"] for i in json.loads(got["list/page/1.json"])["items"]]
    assert sorted(listed) == sorted(ids)


def test_an_instance_killed_mid_write_leaves_the_write_to_the_redelivery(
        container_factory, deployment, tmp_path):
    config, publish = deployment
    first = container_factory(DisclosureService, config)
    first.start()
    stuck = eventlet.event.Event()
    site = next(d for d in first.extensions if isinstance(d, PortalSite)).site
    write, calls = site.target.write, []

    def hangs_midway(path: str, data: bytes) -> None:
        calls.append(path)
        if len(calls) == 6:          # a few files written, the rest not: the process "dies"
            stuck.send(path)
            eventlet.sleep(3600)
        write(path, data)

    site.target.write = hangs_midway  # type: ignore[method-assign]
    publish(1)
    stuck.wait()
    second = container_factory(DisclosureService, config)
    second.start()
    first.kill()                       # unacknowledged: the broker hands it to `second`
    handled(config["DATABASE_URL"], 1)
    got = served(tmp_path / "portal")
    want = rebuilt(config, tmp_path)
    assert [n for n in sorted(set(got) | set(want)) if got.get(n) != want.get(n)] == []
