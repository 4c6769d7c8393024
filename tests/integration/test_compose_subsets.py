"""Each compose subset started here from its compose profile, since no Docker engine runs:
exactly the Sanxiang services the profile starts, each through the image's entrypoint
(compose/entrypoint.py) as `nameko run` with its compose/<service>/config.yml and the
environment compose gives its container in that subset — pointed at this test's own vhost on
the machine's RabbitMQ (each service its own least-privilege broker user, as rabbitmq-init
makes them), its own PostgreSQL databases and, for the vault, a moto S3 server standing in for
MinIO with the buckets minio-init makes. Passwords come from secret files through `*_FILE`, as
in the containers. Each service answers `health` and one real call; a call needing a peer the
subset does not deploy is answered with an error (or a gap) naming that peer."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy.engine import make_url

from shared.cli.run import answering
from shared.errors import ServiceNotDeployed
from tests.agencies import LINGCHUAN
from tests.builders import ACTORS, av_media, av_request, open_case_request
from tests.compose import FULL, SUBSETS, compose_env, image_env, load, started
from tests.unit.vault.support import client, free_port, moto_server

pytestmark = pytest.mark.postgres   # each service on its own PostgreSQL database, as in compose

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 90
STOP_SECONDS = 20


def _secret(folder: Path, name: str, value: str) -> None:
    (folder / name).write_text(value + "\n", encoding="utf-8")


def _container_env(name: str, subset: str, *, secrets: Path, user: str, vhost: str,
                   db: str, s3: str | None, data: Path, keys: str) -> dict[str, str]:
    """What compose gives `name`'s container in `subset` (before the entrypoint), with the
    hosts of compose's network replaced by this machine's: the broker, the database, MinIO.
    Nothing else is changed but the ports a service listens on (free ones here) and PDF
    conversion (no unoserver here)."""
    env = {**image_env(), **compose_env(FULL, name, subset)}
    env = {k: v.replace("/run/secrets/", f"{secrets}/") for k, v in env.items()}
    assert env["AMQP_URI"] == f"pyamqp://{name}:${{AMQP_PASSWORD}}@rabbitmq:5672/sanxiang"
    env["AMQP_URI"] = f"pyamqp://{user}:${{AMQP_PASSWORD}}@127.0.0.1:5672/{quote(vhost, safe='')}"
    url_key = f"{name.upper()}_DATABASE_URL"
    assert env[url_key] == f"postgresql://{name}:${{DATABASE_PASSWORD}}@postgres:5432/{name}"
    env[url_key] = f"postgresql://sanxiang:${{DATABASE_PASSWORD}}@127.0.0.1:5432/{db}"
    if s3 is not None and env.get("S3_ENDPOINT") == "minio:9000":
        env.update(S3_ENDPOINT=s3, S3_PUBLIC_ENDPOINT=s3, S3_REGION="us-east-1")
    for key in ("WEB_SERVER_ADDRESS", "METRICS_ADDRESS"):
        if key in env:
            env[key] = f"127.0.0.1:{free_port()}"
    if name == "vault":
        env["VAULT_HTTP_ADDRESS"] = f"127.0.0.1:{free_port()}"
    if name == "renderer":
        env.update(UNOSERVER_HOST="", SANXIANG_PDF="off")
    if name == "disclosure":
        env["DISCLOSURE_PORTAL_DIR"] = str(data / "portal")
    env.update(SANXIANG_KEYS=keys, PATH=os.environ["PATH"], PYTHONPATH=str(ROOT),
               SANXIANG_DATA=str(data))
    return env


def _start(name: str, env: dict[str, str], data: Path) -> subprocess.Popen:
    data.mkdir(parents=True, exist_ok=True)
    # the image's default command: the entrypoint runs the service's class with its config
    command = [sys.executable, str(ROOT / "compose" / "entrypoint.py")]
    env = dict(env, SANXIANG_CONFIG=str(ROOT / "compose" / name / "config.yml"))
    with open(data / "service.log", "wb") as log:
        return subprocess.Popen(command, cwd=data, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def vhost(rabbit_api):
    name = f"sanxiang-compose-{uuid.uuid4().hex[:8]}"
    rabbit_api.put(f"vhosts/{quote(name, safe='')}").raise_for_status()
    rabbit_api.put(f"permissions/{quote(name, safe='')}/guest",
                   json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    yield name
    rabbit_api.delete(f"vhosts/{quote(name, safe='')}")


@pytest.fixture
def deploy(vhost, rabbit_api, make_pg_database, keys_dir, tmp_path):
    """deploy(subset) -> the guest URI of the vhost, once every service of the subset consumes
    its RPC queue; stops them (and removes their broker users) afterwards."""
    from shared.messaging import broker

    stack = ExitStack()
    procs: dict[str, subprocess.Popen] = {}
    envs: dict[str, dict[str, str]] = {}
    users: list[str] = []
    api = rabbit_api.base.rstrip("/")   # http://host:15672/api

    def run(subset: str) -> str:
        names = sorted(started(load(FULL), [subset]) & set(SUBSETS["all"]),
                       key=SUBSETS["all"].index)
        assert names == SUBSETS[subset]
        secrets = tmp_path / "secrets"
        secrets.mkdir()
        tag = uuid.uuid4().hex[:8]
        logins = {}
        for name in names:
            password = uuid.uuid4().hex
            _secret(secrets, f"rabbitmq-{name}-password", password)
            _secret(secrets, f"{name}-db-password", "sanxiang")   # the test role's
            logins[name] = (f"compose-{tag}-{name}", password)
        _secret(secrets, "s3-secret-key", "testing")
        # what rabbitmq-init does: the exchanges, and each service's own user with its rights
        broker.setup_services(broker.Management(api, "guest", "guest"), vhost, logins)
        users.extend(user for user, _ in logins.values())
        s3 = None
        if "vault" in names:
            s3 = stack.enter_context(moto_server())
            init = compose_env(FULL, "minio-init", subset)
            s3_client = client(s3)
            for bucket in init["BUCKETS"].split():       # what minio-init makes
                s3_client.make_bucket(bucket, object_lock=True)
            for bucket in init["STAGING_BUCKETS"].split():
                s3_client.make_bucket(bucket)
        for name in names:
            data = tmp_path / name
            db = str(make_url(make_pg_database(f"compose_{name}")).database)
            env = _container_env(name, subset, secrets=secrets, user=logins[name][0],
                                 vhost=vhost, db=db, s3=s3, data=data, keys=keys_dir)
            procs[name] = _start(name, env, data)
            envs[name] = env
        uri = f"pyamqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"
        ready, deadline = answering(uri), time.monotonic() + START_SECONDS
        waiting = list(names)
        while waiting:
            for name in list(waiting):
                assert procs[name].poll() is None, (tmp_path / name / "service.log").read_text()
                if ready(name):
                    waiting.remove(name)
            assert time.monotonic() < deadline, f"not taking calls: {waiting}"
            time.sleep(0.3)
        # the container's healthcheck, run beside each service with its environment (the
        # broker login from its secret file, as the entrypoint reads it): healthy
        for name in names:
            check = subprocess.run([sys.executable, str(ROOT / "compose" / "healthcheck.py")],
                                   env=envs[name], capture_output=True, text=True, timeout=60)
            assert check.returncode == 0, (name, check.stderr)
        return uri

    yield run
    _stop(procs)
    stack.close()
    for user in users:
        rabbit_api.delete(f"users/{quote(user, safe='')}")


def _proxy(uri: str, token_issuer, role: str):
    token = token_issuer.issue(actor_id=ACTORS.get(role, f"{role}-1"), role=role,
                               agency=LINGCHUAN, name=ACTORS.get(role, role))
    return ClusterRpcProxy({"AMQP_URI": uri}, context_data={"actor_token": token}, timeout=120)


def _health(uri: str, token_issuer, names: list[str]) -> dict[str, dict]:
    with _proxy(uri, token_issuer, "officer") as rpc:
        answers = {name: getattr(rpc, name).health() for name in names}
    for name, answer in answers.items():
        assert answer["service"] == name, answer
    return answers


def _records_without_the_vault(uri: str, token_issuer) -> None:
    """A real write, and the AV record that needs the vault refused naming it."""
    with _proxy(uri, token_issuer, "officer") as officer:
        case = officer.records.open_case(**open_case_request("陵应急立〔2025〕901号"))
        assert officer.records.get_case(case_id=case["id"])["id"] == case["id"]
        with pytest.raises(ServiceNotDeployed) as err:
            stored = {"id": str(uuid.uuid4()), "sha256": "ab" * 32, "size": 10}
            officer.records.record_av(**av_request(
                {"case_id": case["id"], "footage": {"ZFJLY-0031-20251009-1400.mp4": stored}},
                media=av_media(stored)))
    assert err.value.details["service"] == "vault" and "vault" in str(err.value)


def test_records_only(deploy, token_issuer):
    uri = deploy("records-only")
    health = _health(uri, token_issuer, ["records"])
    # the review board is not deployed (the legal unit enters reviews), and health says so
    assert health["records"]["missing_peers"] == ["review"], health
    _records_without_the_vault(uri, token_issuer)


def test_records_review(deploy, token_issuer):
    uri = deploy("records-review")
    health = _health(uri, token_issuer, ["records", "review"])
    assert health["records"]["missing_peers"] == [], health
    _records_without_the_vault(uri, token_issuer)
    with _proxy(uri, token_issuer, "legal_unit") as legal:
        assert legal.review.list_reviews(agency=LINGCHUAN) == []


def _disclosure_renderer_vault(uri: str, token_issuer) -> None:
    with _proxy(uri, token_issuer, "officer") as officer:
        target = officer.vault.begin_upload(
            agency=LINGCHUAN, subject="av", sha256="ab" * 32, size=10, name="执法记录仪视频.mp4",
            media_type="video/mp4", case_id=str(uuid.uuid4()), facts=["penalty_evidence"])
        assert target["url"].startswith("http://127.0.0.1:"), target   # presigned, into S3
        assert officer.renderer.list_templates()
    with _proxy(uri, token_issuer, "publisher") as publisher:
        assert publisher.disclosure.list_publications(agency=LINGCHUAN)["items"] == []


def test_disclosure_renderer(deploy, token_issuer):
    uri = deploy("disclosure-renderer")
    _health(uri, token_issuer, ["disclosure", "renderer", "vault"])
    _disclosure_renderer_vault(uri, token_issuer)
    # the annual report's figures come from the record keeper, which this subset does not
    # deploy: the report names each figure missing and why, naming it (never zeros)
    with _proxy(uri, token_issuer, "publisher") as publisher:
        report = publisher.disclosure.compile_annual_report(agency=LINGCHUAN, year=2025)
    assert report["gaps"] and all("记录保管服务" in g["reason"] for g in report["gaps"]
                                  if g["figure"] != "inspection_plan.planned"), report["gaps"]


def test_all(deploy, token_issuer):
    uri = deploy("all")
    health = _health(uri, token_issuer, SUBSETS["all"])
    assert health["records"]["missing_peers"] == [], health
    with _proxy(uri, token_issuer, "officer") as officer:
        case = officer.records.open_case(**open_case_request("陵应急立〔2025〕902号"))
        assert officer.records.get_case(case_id=case["id"])["id"] == case["id"]
    with _proxy(uri, token_issuer, "legal_unit") as legal:
        assert legal.review.list_reviews(agency=LINGCHUAN) == []
    _disclosure_renderer_vault(uri, token_issuer)
