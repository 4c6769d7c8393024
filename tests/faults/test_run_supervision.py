"""`sanxiang run` under faults: its services come back from a broker restart by themselves,
and a service process that dies anyway is started again (logged) while the others keep
answering. Before: the first service to exit made `sanxiang run` stop them all."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nameko.standalone.rpc import ServiceRpcProxy

from shared.cli.run import ROOT

SERVICES = ("records", "review")


def health(amqp_uri: str, service: str, timeout: float = 45) -> dict:
    with ServiceRpcProxy(service, {"AMQP_URI": amqp_uri}, timeout=timeout) as rpc:
        return rpc.health()


def children(pid: int) -> dict[str, int]:
    """The service processes `sanxiang run` started: service name -> pid."""
    found = {}
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        for name in SERVICES:
            if f"compose/{name}/config.yml" in cmdline:
                found[name] = int(child)
    return found


def wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)
    return value


def test_sanxiang_run_survives_a_broker_restart_and_restarts_a_dead_service(
        rabbit_node, tmp_path):
    env = dict(os.environ, AMQP_URI=rabbit_node.amqp_uri, SANXIANG_DATA=str(tmp_path / "data"))
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        suite = subprocess.Popen(
            [sys.executable, "-m", "shared.cli", "run", "--services", ",".join(SERVICES),
             "--shared-broker-login"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: all(rabbit_node.queues().get(f"rpc-{name}", {}).get("consumers")
                             for name in SERVICES), 60, "both services to consume")
        rabbit_node.restart()
        for name in SERVICES:
            assert health(rabbit_node.amqp_uri, name)["service"] == name
        before = wait_for(lambda: len(children(suite.pid)) == 2 and children(suite.pid), 10,
                          "the service processes")

        os.kill(before["records"], signal.SIGKILL)
        assert health(rabbit_node.amqp_uri, "review", timeout=10)["service"] == "review"
        assert health(rabbit_node.amqp_uri, "records")["service"] == "records"
        after = children(suite.pid)
        assert after["review"] == before["review"]  # never touched
        assert after["records"] != before["records"]
        assert suite.poll() is None
    finally:
        suite.send_signal(signal.SIGTERM)
        try:
            suite.wait(timeout=30)
        except subprocess.TimeoutExpired:
            suite.kill()
            suite.wait()
    output = log.read_text()
    assert "records exited with code -9; starting it again in 1 s" in output, output[-3000:]
    assert "records started again" in output
    assert suite.returncode == 0, output[-3000:]
