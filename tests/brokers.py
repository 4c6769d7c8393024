"""A RabbitMQ node of the test's own, for the fault tests: stopped, restarted, killed and
frozen without touching the machine's broker (which every other test uses).

It runs beside the system node with its own node name, ports, data and log directories and
config (no listener of the system config, no plugins but the management API on a port of
its own), as the broker's own OS user when the suite runs as root. Starting takes about
five seconds; `restart()` keeps the data (durable queues and their messages survive).

    node = RabbitNode(tmp_dir); node.start()
    node.amqp_uri            # pyamqp://guest:guest@127.0.0.1:<port>/
    node.stop(); node.start() / node.restart() / node.kill() / node.freeze() / node.thaw()
    node.queues()            # {name: {"messages_ready": …, "consumers": …}} via its API

and three of them as one cluster (RabbitCluster): each node as above, the second and third
joined to the first (`rabbitmqctl join_cluster`). The nodes share an Erlang cookie because
they run as one OS user (the broker's, under root) and read that user's ~/.erlang.cookie,
as rabbitmqctl does.

    cluster = RabbitCluster(3); cluster.start()
    cluster.add_vhost("sanxiang")   # quorum by default; the redelivery bound per service
    cluster.amqp_uri("sanxiang")    # pyamqp://…@127.0.0.1:<a>/sanxiang;pyamqp://…:<b>/…;…
    cluster.nodes[0].stop()         # the others carry on: quorum queues elect a new leader
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import requests

SERVER = shutil.which("rabbitmq-server") or "/usr/sbin/rabbitmq-server"
CTL = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RabbitNode:
    def __init__(self, base: Path | None = None, *, boot_timeout: float = 60.0):
        # its own directory under the system temp dir: pytest's tmp_path is private to
        # root, and the node runs as the broker's OS user
        self.base = Path(base or tempfile.mkdtemp(prefix="sanxiang-rabbit-"))
        self._owns_base = base is None
        self.name = f"sxtest{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.api_port = free_port()
        self.boot_timeout = boot_timeout
        self.process: subprocess.Popen | None = None
        self.base.mkdir(parents=True, exist_ok=True)
        (self.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
            f"management.tcp.ip = 127.0.0.1\nmanagement.tcp.port = {self.api_port}\n"
            # heartbeats every 10 s: a frozen client is noticed in tens of seconds
            "heartbeat = 10\n")
        (self.base / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self.base / "rabbitmq-env.conf").write_text("")
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("rabbitmq")
            except KeyError:
                owner = None
            if owner is not None:
                for path in [self.base, *self.base.rglob("*")]:
                    os.chown(path, owner.pw_uid, owner.pw_gid)

    @property
    def amqp_uri(self) -> str:
        return f"pyamqp://guest:guest@127.0.0.1:{self.port}/"

    def vhost_uri(self, vhost: str) -> str:
        return f"{self.amqp_uri}{quote(vhost, safe='')}"

    @property
    def api_uri(self) -> str:
        return f"http://127.0.0.1:{self.api_port}/api/"

    def _env(self) -> dict:
        env = dict(os.environ)
        env.update(
            RABBITMQ_NODENAME=self.name, RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.base / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.base / "log"),
            RABBITMQ_CONFIG_FILE=str(self.base / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.base / "enabled_plugins"),
            RABBITMQ_CONF_ENV_FILE=str(self.base / "rabbitmq-env.conf"),
            RABBITMQ_PID_FILE=str(self.base / "pid"), ERL_EPMD_ADDRESS="127.0.0.1")
        return env

    def _ctl(self, *args: str, timeout: float = 30.0) -> subprocess.CompletedProcess:
        return subprocess.run([CTL, "-n", self.name, *args], env=self._env(),
                              capture_output=True, text=True, timeout=timeout)

    def start(self) -> None:
        """Boot the node (or start it again after stop/kill) and wait until AMQP answers."""
        if self.process is not None and self.process.poll() is None:
            return
        pid_file = self.base / "pid"
        if pid_file.exists():
            pid_file.unlink()
        with open(self.base / "server.out", "ab") as log:  # the node keeps its own descriptor
            self.process = subprocess.Popen([SERVER], env=self._env(), stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.boot_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"RabbitMQ node {self.name} exited while booting; see "
                                   f"{self.base / 'server.out'}")
            if self._amqp_answers() and self._api_answers():
                return
            time.sleep(0.2)
        raise RuntimeError(f"RabbitMQ node {self.name} did not boot in {self.boot_timeout} s")

    def _amqp_answers(self) -> bool:
        from kombu import Connection

        try:
            with Connection(self.amqp_uri, connect_timeout=1) as conn:
                conn.connect()
            return True
        except Exception:
            return False

    def _api_answers(self) -> bool:
        try:
            return requests.get(self.api_uri + "overview", auth=("guest", "guest"),
                                timeout=1).ok
        except requests.RequestException:
            return False

    def stop(self) -> None:
        """A clean shutdown: clients see their connections closed."""
        if self.process is None or self.process.poll() is not None:
            return
        self._ctl("stop", timeout=60)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def _beam(self) -> int | None:
        """The Erlang VM's pid (the server script hands over to it, possibly through `su`,
        so it is not always our child): from the node's pid file."""
        try:
            return int((self.base / "pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def kill(self) -> None:
        """The node dies at once: SIGKILL to the Erlang VM and what started it."""
        if self.process is None:
            return
        for pid in (self._beam(), self.process.pid):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 10
        while self._amqp_answers() and time.monotonic() < deadline:
            time.sleep(0.1)

    def _running_beam(self) -> int:
        pid = self._beam()
        if pid is None:
            raise RuntimeError(f"RabbitMQ node {self.name} has no pid file: is it running?")
        return pid

    def freeze(self) -> None:
        """The VM stops (SIGSTOP): connections stay open and nothing answers."""
        os.kill(self._running_beam(), signal.SIGSTOP)

    def thaw(self) -> None:
        os.kill(self._running_beam(), signal.SIGCONT)

    def restart(self) -> None:
        self.stop()
        self.start()

    def queues(self, vhost: str = "/") -> dict[str, dict]:
        resp = requests.get(self.api_uri + f"queues/{quote(vhost, safe='')}",
                            auth=("guest", "guest"), timeout=10,
                            params={"columns": "name,type,messages_ready,"
                                               "messages_unacknowledged,messages,consumers,"
                                               "arguments,policy,durable,exclusive,auto_delete"})
        resp.raise_for_status()
        return {q["name"]: q for q in resp.json()}

    def close(self) -> None:
        self.kill()
        if self._owns_base:
            shutil.rmtree(self.base, ignore_errors=True)


class RabbitCluster:
    """`size` RabbitNodes joined into one cluster (module docstring)."""

    def __init__(self, size: int = 3, *, boot_timeout: float = 90.0):
        self.nodes = [RabbitNode(boot_timeout=boot_timeout) for _ in range(size)]

    def start(self) -> None:
        first, *others = self.nodes
        first.start()
        for node in others:
            node.start()
            for step in (("stop_app",), ("join_cluster", first.name), ("start_app",),
                         ("await_startup",)):
                done = node._ctl(*step, timeout=120)
                if done.returncode != 0:
                    raise RuntimeError(f"rabbitmqctl {' '.join(step)} on {node.name} failed: "
                                       f"{done.stderr or done.stdout}")
        deadline = time.monotonic() + 60
        while self.running() != {n.name for n in self.nodes}:
            if time.monotonic() > deadline:
                raise RuntimeError(f"cluster not formed: running {sorted(self.running())}")
            time.sleep(0.5)
        for node in others:  # the AMQP listener is back after start_app
            while not node._amqp_answers():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{node.name} does not answer AMQP after joining")
                time.sleep(0.2)

    def api(self) -> RabbitNode:
        """A running node, whose management API speaks for the whole cluster."""
        for node in self.nodes:
            if node.process is not None and node.process.poll() is None and node._api_answers():
                return node
        raise RuntimeError("no node of the cluster is running")

    def running(self) -> set[str]:
        try:
            resp = requests.get(self.api().api_uri + "nodes", auth=("guest", "guest"),
                                timeout=10, params={"columns": "name,running"})
            resp.raise_for_status()
        except (requests.RequestException, RuntimeError):
            return set()
        return {n["name"] for n in resp.json() if n.get("running")}

    def add_vhost(self, vhost: str) -> None:
        """The services' vhost as `sanxiang broker setup` makes it: quorum as its default
        queue type, and each service's redeliveries bounded (broker.poison_policy)."""
        from shared.messaging.broker import Management
        add_vhost(Management(self.api().api_uri, "guest", "guest"), vhost)

    def amqp_uri(self, vhost: str) -> str:
        """Every node, for kombu's failover: the first that answers is used."""
        return ";".join(node.vhost_uri(vhost) for node in self.nodes)

    def queues(self, vhost: str) -> dict[str, dict]:
        return self.api().queues(vhost)

    def close(self) -> None:
        for node in reversed(self.nodes):
            node.close()


SERVICES = ("records", "review", "renderer", "vault", "disclosure")


def add_vhost(mgmt, vhost: str, services=SERVICES) -> None:
    """A quorum vhost with the guest login (an administrator on a test node) and the
    redelivery bound of each service, through the management API `mgmt`."""
    from shared.messaging.broker import poison_policy
    mgmt.ensure_vhost(vhost, "quorum")
    mgmt.call("PUT", f"permissions/{quote(vhost, safe='')}/guest",
              json={"configure": ".*", "write": ".*", "read": ".*"})
    mgmt.declare_exchanges(vhost, services)
    for service in services:
        mgmt.declare_dead_letter_queue(vhost, service)
        mgmt.put_policy(vhost, *poison_policy(service))
