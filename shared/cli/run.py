"""`sanxiang run`: run chosen services on embedded defaults — one `nameko run` process per
service with its compose/<service>/config.yml, SQLite files and keys under one data folder, the
local RabbitMQ. The same config files work with plain `nameko run` (and in compose).

A service whose process exits is started again after a back-off (1 s, doubling up to a
minute, afresh once it has run for a minute), each exit and restart logged; the others keep
running. (Services reconnect to a broker that comes back by themselves; this is for whatever
still kills one.)"""
from __future__ import annotations

import functools
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from shared.cli.services import (
    checkpoint_signers,
    installed,
    metrics_address,
    run_environment,
    service_callers,
)

if TYPE_CHECKING:
    from shared.messaging.broker import Management

ROOT = Path(__file__).resolve().parents[2]
# Every installed service, in start order: name -> "module:Class" (shared.cli.services).
SERVICES = installed()
DEFAULT_AMQP = "pyamqp://guest:guest@127.0.0.1:5672/"
# Restarting a service that exited: first wait, longest wait (doubling between), and how long
# it must run for the next exit to start from the first wait again (seconds).
RESTART_BACKOFF = (1.0, 60.0)
RESTART_STEADY = 60.0


def register(sub) -> None:
    p = sub.add_parser("run", help="run services on embedded defaults (SQLite, local RabbitMQ)")
    p.add_argument("--services", default=",".join(SERVICES),
                   help=f"comma-separated, of: {', '.join(SERVICES)} (default: all)")
    p.add_argument("--data", default=os.environ.get("SANXIANG_DATA", ".data"),
                   help="folder for SQLite files and keys (default .data)")
    p.add_argument("--shared-broker-login", action="store_true",
                   help="every service connects with AMQP_URI's login (default: each its own "
                        "broker user with least rights, made through the management API)")
    p.set_defaults(func=main)


def embedded_env(data: str | Path) -> dict[str, str]:
    data = Path(data).resolve()
    env = dict(os.environ)
    env.setdefault("AMQP_URI", DEFAULT_AMQP)
    # the services' log lines in Beijing time, as the people reading them live by it (POSIX
    # form: UTC+8 all year, without the time-zone database)
    env.setdefault("TZ", "CST-8")
    env.setdefault("SANXIANG_KEYS", str(data / "keys"))
    # the data folder itself, for what a service keeps there beyond its database and keys (a
    # config file names its paths under ${SANXIANG_DATA:data}); always the folder of this run
    env["SANXIANG_DATA"] = str(data)
    env.setdefault("DISCLOSURE_PORTAL_DIR", str(data / "portal"))
    for name in SERVICES:
        env.setdefault(f"{name.upper()}_DATABASE_URL", f"sqlite:///{data / name}.sqlite3")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def ensure_keys(root: str | Path) -> None:
    """Embedded defaults: make the deployment's missing keys (never overwriting one), so the
    services find theirs; `sanxiang keys init` does the same for any other key root."""
    from shared.trust.keys import init_deployment
    names = list(SERVICES)
    for path in init_deployment(root, names, checkpoint_signers=checkpoint_signers(names),
                                callers=service_callers(names)):
        print(f"sanxiang: created key {path}", flush=True)


def parse_services(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        raise SystemExit(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    return names


class ServiceProcess(subprocess.Popen[bytes]):
    """One service's nameko process, with how to start it again (`launch`) and, when the
    service connects as its own broker user, how to remove that user once it stops
    (`logout`)."""
    launch: Callable[[], ServiceProcess]
    logout: Callable[[], None] | None = None


def _launcher(cmd: list[str], env: dict[str, str],
              log: Path | None) -> Callable[[], ServiceProcess]:
    """Start the service's process, its output appended to `log` if given; each process
    started knows this launcher as its `launch`."""
    # A session of its own: Ctrl-C in the terminal reaches `sanxiang run` alone, which stops
    # each service once (SIGTERM). Reached by both, nameko stopped twice and printed the
    # tracebacks of its timers stopped again.
    def launch() -> ServiceProcess:
        if log is None:
            proc = ServiceProcess(cmd, cwd=ROOT, env=env, start_new_session=True)
        else:
            # the child keeps its own descriptor of the log; this one closes once started
            with open(log, "ab") as out:
                proc = ServiceProcess(cmd, cwd=ROOT, env=env, stdout=out, stderr=out,
                                      start_new_session=True)
        proc.launch = launch
        return proc
    return launch


def start(names: list[str], data: str | Path, log_dir: Path | None = None, *,
          own_logins: bool = True) -> list[ServiceProcess]:
    """Start one nameko process per service; output goes to log_dir/<service>.log if given.
    With `own_logins` each service connects as its own broker user (broker_logins)."""
    env = embedded_env(data)
    Path(data).mkdir(parents=True, exist_ok=True)
    ensure_keys(env["SANXIANG_KEYS"])
    logins = broker_logins(env["AMQP_URI"], names, data) if own_logins else None
    procs = []
    for name in names:
        cmd = [sys.executable, "-m", "nameko", "run", "--config",
               str(ROOT / "compose" / name / "config.yml"), SERVICES[name]]
        # what the service asks for, knowing which services run beside it (the environment
        # given wins)
        child = {**run_environment(name, names), **env}
        address = metrics_address(name, env)
        if address is not None:
            child["METRICS_ADDRESS"] = address
        if logins is not None:
            # its own broker user; the exchanges were declared by the setup, which the
            # user may bind to but not (re)declare
            child = dict(child, AMQP_URI=logins.uris[name], DECLARE_EVENT_EXCHANGES="false")
        log = Path(log_dir) / f"{name}.log" if log_dir else None
        proc = _launcher(cmd, child, log)()
        if logins is not None:
            proc.logout = functools.partial(logins.remove, name)
        procs.append(proc)
    return procs


def clock() -> str:
    """The time now as people here read it: Beijing time, its offset shown."""
    from shared.calendar.clock import CST, now
    return now().astimezone(CST).isoformat(timespec="seconds")


def answering(uri: str) -> Callable[[str], bool]:
    """Whether a service takes calls: a consumer on its queue rpc-<service>, asked quietly
    (a passive declare) on a connection of its own that tries once — a broker that is away
    must never hold up the supervision."""
    from kombu import Connection

    def probe(name: str) -> bool:
        try:
            with Connection(uri, connect_timeout=2) as conn:
                conn.ensure_connection(max_retries=1)
                channel = conn.channel()
                return bool(channel.queue_declare(f"rpc-{name}", passive=True).consumer_count)
        except Exception:  # no queue yet, or no broker: not ready, ask again
            return False
    return probe


def supervise(names: list[str], procs: list[ServiceProcess], *, poll: float = 0.5,
              ready: Callable[[str], bool] | None = None) -> None:
    """Run until interrupted, starting again (in place in `procs`) each service whose process
    exits, after its back-off (RESTART_BACKOFF); the other services are left alone. With
    `ready`, a line says when each service (started or started again) takes calls."""
    first, longest = RESTART_BACKOFF
    waits = dict.fromkeys(names, first)
    started = dict.fromkeys(names, time.monotonic())
    due: dict[str, float] = {}
    pending = set(names) if ready is not None else set()
    while True:
        now = time.monotonic()
        for i, name in enumerate(names):
            proc = procs[i]
            if name in due:
                if now >= due[name]:
                    del due[name]
                    procs[i] = _relaunch(proc)
                    started[name] = now
                    pending |= {name} if ready is not None else set()
                    print(f"sanxiang: {name} started again (pid {procs[i].pid})", flush=True)
                continue
            code = proc.poll()
            if code is None:
                if now - started[name] >= RESTART_STEADY:
                    waits[name] = first
                if name in pending and ready is not None and ready(name):
                    pending.discard(name)
                    print(f"sanxiang: {name} ready at {clock()} (pid {proc.pid}, "
                          f"{now - started[name]:.1f} s), taking calls on rpc-{name}",
                          flush=True)
                continue
            wait, waits[name] = waits[name], min(waits[name] * 2, longest)
            due[name] = now + wait
            print(f"sanxiang: {name} exited with code {code}; starting it again in {wait:g} s",
                  file=sys.stderr, flush=True)
        time.sleep(poll)


def _relaunch(proc: ServiceProcess) -> ServiceProcess:
    new = proc.launch()
    new.logout = proc.logout
    return new


@dataclass
class BrokerLogins:
    """The services' own broker users on the local broker (shared.messaging.broker's rights),
    made by `sanxiang run` as compose's rabbitmq-init makes them; removed when their service
    stops."""
    management: Management
    users: dict[str, str]
    uris: dict[str, str]

    def remove(self, service: str) -> None:
        try:
            self.management.delete_user(self.users[service])
        except Exception as exc:  # the broker went away first: nothing to clean up there
            print(f"sanxiang: could not remove broker user {self.users[service]}: {exc}",
                  file=sys.stderr)


def broker_logins(amqp_uri: str, names: list[str], data: str | Path) -> BrokerLogins | None:
    """Give each service its own broker user with least rights on the vhost of `amqp_uri`,
    whose login must be an administrator's (the local broker's guest is). Passwords are kept
    in <data>/broker/ (owner-only); user names carry a digest of the data folder and vhost, so
    two runs on one broker never share a user. None — services share `amqp_uri`'s login, and
    say so — when the management API does not answer."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    from shared.messaging import broker
    parts = urlsplit(amqp_uri)
    vhost = unquote(parts.path[1:]) or "/"
    api = os.environ.get("RABBITMQ_API") or f"http://{parts.hostname or '127.0.0.1'}:15672/api"
    mgmt = broker.Management(api, unquote(parts.username or "guest"),
                             unquote(parts.password or "guest"), timeout=5)
    try:
        mgmt.call("GET", "overview")
    except Exception as exc:
        print(f"sanxiang: the broker's management API ({api}) did not answer ({exc}); the "
              "services share one broker login", file=sys.stderr)
        return None
    folder = Path(data) / "broker"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    digest = hashlib.sha256(f"{Path(data).resolve()}|{vhost}".encode()).hexdigest()[:8]
    users, passwords, uris = {}, {}, {}
    for name in names:
        users[name] = f"sanxiang-{digest}-{name}"
        path = folder / f"{name}.password"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(24))
        passwords[name] = path.read_text().strip()
        netloc = f"{quote(users[name], safe='')}:{passwords[name]}@{parts.hostname}" + (
            f":{parts.port}" if parts.port else "")
        uris[name] = urlunsplit(parts._replace(netloc=netloc))
    broker.setup_services(mgmt, vhost, {n: (users[n], passwords[n]) for n in names})
    return BrokerLogins(mgmt, users, uris)


def stop(procs: list[ServiceProcess], timeout: float = 15) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.logout is not None:
            proc.logout()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(args) -> int:
    names = parse_services(args.services)
    # SIGTERM (docker stop, systemd, a test) must stop the children too, not orphan them
    signal.signal(signal.SIGTERM, _interrupt)
    procs: list[ServiceProcess] = []
    try:
        procs = start(names, args.data, own_logins=not args.shared_broker_login)
        print(f"sanxiang: starting {', '.join(names)} (data in {Path(args.data).resolve()}); "
              "Ctrl-C stops", flush=True)
        supervise(names, procs, ready=answering(embedded_env(args.data)["AMQP_URI"]))
    except KeyboardInterrupt:
        pass
    finally:
        # a second Ctrl-C while stopping must not leave a traceback either (nor the children)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stop(procs)
        print(f"sanxiang: stopped at {clock()}", flush=True)
    failed = [n for n, p in zip(names, procs, strict=True)
              if p.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0
