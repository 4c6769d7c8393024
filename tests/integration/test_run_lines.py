"""What `sanxiang run` tells the person who started it: a line when each service takes calls,
times in Beijing time with the offset shown (its own lines and the services' log lines), and a
quiet stop on Ctrl-C — the services stopped, a last line, no traceback, exit code 0."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import pytest

from shared.cli.run import ROOT


@pytest.fixture
def vhost(rabbit_api):
    name = f"sanxiang-run-{uuid.uuid4().hex[:8]}"
    rabbit_api.put(f"vhosts/{quote(name, safe='')}").raise_for_status()
    rabbit_api.put(f"permissions/{quote(name, safe='')}/guest",
                   json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    yield name
    rabbit_api.delete(f"vhosts/{quote(name, safe='')}")


def test_run_says_when_each_service_is_ready_and_stops_quietly_on_ctrl_c(vhost, tmp_path):
    env = dict(os.environ, AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}",
               SANXIANG_DATA=str(tmp_path))
    env.pop("TZ", None)
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        # a session of its own: Ctrl-C reaches the whole group, as from a terminal
        suite = subprocess.Popen([sys.executable, "-m", "shared.cli", "run", "--services",
                                  "records,review", "--shared-broker-login"], cwd=ROOT, env=env,
                                 stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while len(re.findall(r"sanxiang: \w+ ready at ", log.read_text("utf-8"))) < 2:
            assert suite.poll() is None and time.monotonic() < deadline, log.read_text("utf-8")
            time.sleep(0.3)
        os.killpg(suite.pid, signal.SIGINT)
        assert suite.wait(60) == 0
    finally:
        if suite.poll() is None:
            os.killpg(suite.pid, signal.SIGKILL)
    text = log.read_text("utf-8")
    for name in ("records", "review"):
        assert re.search(rf"^sanxiang: {name} ready at \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 "
                         rf"\(pid \d+, [\d.]+ s\), taking calls on rpc-{name}$", text, re.M), text
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0800 INFO ", text, re.M), text
    assert re.search(r"^sanxiang: stopped at \S+\+08:00$", text, re.M), text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text


def test_run_starts_the_vault_on_embedded_defaults_and_it_answers_health(vhost, tmp_path):
    """`sanxiang run --services vault`: the vault as its own broker user, on SQLite and the
    local write-once store with its replica, both in the data folder; ready like the others,
    its health naming the store, replica and retention rule sets; stopped quietly."""
    import json

    import jsonschema
    from nameko.standalone.rpc import ServiceRpcProxy

    from tests.brokers import free_port

    uri = f"pyamqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}"
    port = free_port()
    env = dict(os.environ, AMQP_URI=uri, SANXIANG_DATA=str(tmp_path / "data"),
               VAULT_HTTP_ADDRESS=f"127.0.0.1:{port}", VAULT_UPLOAD_URL=f"http://127.0.0.1:{port}")
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        suite = subprocess.Popen([sys.executable, "-m", "shared.cli", "run", "--services",
                                  "vault"], cwd=ROOT, env=env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while "sanxiang: vault ready at " not in log.read_text("utf-8"):
            assert suite.poll() is None and time.monotonic() < deadline, log.read_text("utf-8")
            time.sleep(0.3)
        with ServiceRpcProxy("vault", {"AMQP_URI": uri}, timeout=20) as rpc:
            health = rpc.health()
        os.killpg(suite.pid, signal.SIGINT)
        assert suite.wait(60) == 0
    finally:
        if suite.poll() is None:
            os.killpg(suite.pid, signal.SIGKILL)
    text = log.read_text("utf-8")
    assert re.search(r"^sanxiang: vault ready at \S+\+08:00 \(pid \d+, [\d.]+ s\), taking calls "
                     r"on rpc-vault$", text, re.M), text
    assert re.search(r"^sanxiang: stopped at \S+\+08:00$", text, re.M), text
    assert "Traceback" not in text, text
    schema = json.loads((ROOT / "contracts" / "vault" / "schemas" / "rpc.health.response.json")
                        .read_text("utf-8"))
    jsonschema.validate(health, schema)
    assert health["service"] == "vault" and health["store"] == "local"
    assert health["replica"] == "local" and health["retention_mode"] == "COMPLIANCE"
    assert health["retention"]["qinyuan-energy"]["ruleset"] in health["rulesets"]
    assert "av_permanent" in health["retention"]["qinyuan-energy"]["classes"]
    data = tmp_path / "data"
    assert (data / "vault.sqlite3").is_file()
    assert (data / "vault-store" / "objects").is_dir()
    assert (data / "vault-replica" / "objects").is_dir()
