"""What every benchmark needs: its own RabbitMQ vhost and PostgreSQL database (made here,
removed afterwards), a temp keys folder, the records service started the way production
starts it (`python -m nameko run` in a separate process), the bare servers, the profiler
hook, payloads and the result table (the load generator is in loadgen.py). Scripts exit 0
on a MISS (they report) and 2 when they could not run."""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

# eventlet (imported with shared.trust.actor → nameko) warns that it is in maintenance mode;
# nameko 2.14 stands on it, so the warning says nothing actionable here
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

_TEST_PG = os.environ.get("SANXIANG_TEST_PG",
                          "postgresql://sanxiang:sanxiang@127.0.0.1:5432/postgres")
PG_ADMIN = os.environ.get("SANXIANG_BENCH_PG") or _TEST_PG
AMQP_BASE = os.environ.get("SANXIANG_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
RABBIT_API = os.environ.get("SANXIANG_BENCH_RABBIT_API", "http://guest:guest@127.0.0.1:15672")
AGENCY = "lingchuan-emergency"
AGENCIES = {AGENCY: {"name": "陵川县应急管理局", "ruleset": "lingchuan-emergency"}}
SERVICE = "services.records.service:RecordsService"
RPC_EXCHANGE = "nameko-rpc"


class BenchError(RuntimeError):
    """The benchmark could not run (not a MISS)."""


# ---- command line and output ----------------------------------------------------------

def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="smaller run (a smoke check)")
    p.add_argument("--json", metavar="PATH", help="also write the result rows as JSON here")
    return p


def verdict(ok: bool | None) -> str:
    return "info" if ok is None else ("PASS" if ok else "MISS")


def row(bench: str, metric: str, value: str, target: str = "", ok: bool | None = None) -> dict:
    return {"bench": bench, "metric": metric, "value": value, "target": target,
            "verdict": verdict(ok)}


def table(rows: list[dict], columns=("metric", "value", "target", "verdict")) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns),
             "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def main(run: Callable[[argparse.Namespace], tuple[list[dict], list[str]]],
         p: argparse.ArgumentParser) -> int:
    """Run a benchmark: print its notes and table; 0 on PASS or MISS, 2 if it could not run."""
    args = p.parse_args()
    try:
        rows, notes = run(args)
    except BenchError as exc:
        print(f"{p.prog}: could not run: {exc}", file=sys.stderr)
        return 2
    except Exception:  # a bug or an unexpected failure: still "could not run", with the trace
        import traceback
        traceback.print_exc()
        print(f"{p.prog}: could not run (unexpected error above)", file=sys.stderr)
        return 2
    for note in notes:
        print(note)
    print(table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    import math
    k = min(len(sorted_values), max(1, math.ceil(q / 100 * len(sorted_values))))
    return sorted_values[k - 1]


# ---- RabbitMQ vhost, PostgreSQL database, keys -----------------------------------------

def _rabbit_api(method: str, path: str, body: dict | None = None):
    parts = urllib.parse.urlsplit(RABBIT_API)
    url = f"{parts.scheme}://{parts.hostname}:{parts.port or 15672}/api/{path}"
    req = urllib.request.Request(url, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"content-type": "application/json"})
    import base64
    auth = f"{parts.username or 'guest'}:{parts.password or 'guest'}".encode()
    req.add_header("authorization", "Basic " + base64.b64encode(auth).decode())
    try:
        text = urllib.request.urlopen(req, timeout=10).read()
    except (urllib.error.URLError, OSError) as exc:
        raise BenchError(f"RabbitMQ management API {method} {path}: {exc}") from None
    return json.loads(text) if text else None


def wait_consumers(amqp_uri: str, queue: str, count: int, procs: list, timeout: float = 60):
    """Until `queue` in the vhost of `amqp_uri` has `count` consumers (the management API's
    figures lag a few seconds)."""
    vhost = urllib.parse.urlsplit(amqp_uri).path.lstrip("/")  # still quoted
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc in procs:
            proc.check_alive()
        info = _rabbit_api("GET", f"queues/{vhost}/{urllib.parse.quote(queue, safe='')}")
        if info and info.get("consumers", 0) >= count:
            return
        time.sleep(0.5)
    raise BenchError(f"{queue} did not get {count} consumers within {timeout:.0f}s")


@contextlib.contextmanager
def rabbit_vhost(prefix: str) -> Iterator[str]:
    """A vhost of our own for the run; yields its AMQP URI."""
    name = f"bench-{prefix}-{uuid.uuid4().hex[:8]}"
    quoted = urllib.parse.quote(name, safe="")
    _rabbit_api("PUT", f"vhosts/{quoted}", {})
    try:
        user = urllib.parse.urlsplit(AMQP_BASE).username or "guest"
        _rabbit_api("PUT", f"permissions/{quoted}/{user}",
                    {"configure": ".*", "write": ".*", "read": ".*"})
        yield AMQP_BASE.rstrip("/") + "/" + quoted
    finally:
        with contextlib.suppress(BenchError):
            _rabbit_api("DELETE", f"vhosts/{quoted}")


def _pg_admin(sql: str) -> None:
    import psycopg2
    from sqlalchemy.engine import make_url
    u = make_url(PG_ADMIN)
    try:
        conn = psycopg2.connect(host=u.host, port=u.port, user=u.username, password=u.password,
                                dbname=u.database, connect_timeout=5)
    except psycopg2.Error as exc:
        raise BenchError(f"PostgreSQL at {u.render_as_string(hide_password=True)}: {exc}") \
            from None
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@contextlib.contextmanager
def pg_database(prefix: str) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards; yields its SQLAlchemy URL."""
    from sqlalchemy.engine import make_url
    name = f"bench_{prefix}_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def token_signer(keys_dir: str | Path):
    from shared.cli.services import installed, service_callers
    from shared.trust.actor import TokenIssuer
    from shared.trust.keys import KeyStore, init_deployment
    # the caller keys too: the record keeper calls its peers as itself (officer checks)
    init_deployment(keys_dir, ["records", "review"], checkpoint_signers=["records"],
                    callers=[s for s in service_callers(list(installed()))
                             if s in ("records", "review")])
    return TokenIssuer(KeyStore(keys_dir).token_issuer_key())


# ---- processes --------------------------------------------------------------------------

def throwaway_key(service: str):
    """An event key for events nobody verifies (in-process runs): signed as the service's are."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from shared.trust.keys import SigningKey, key_id
    key = Ed25519PrivateKey.generate()
    return SigningKey(key, key_id(key.public_key()), service)


def officer_headers(keys_dir: str | Path) -> dict:
    """AMQP headers carrying a fresh officer token of the bench agency."""
    token = token_signer(keys_dir).issue(actor_id="officer-bench", role="officer",
                                         agency=AGENCY)
    return {"nameko.actor_token": token}


def write_config(path: Path, *, amqp_uri: str, db_url: str, keys_dir: Path,
                 max_workers: int = 10) -> Path:
    import yaml
    logging = {"version": 1, "disable_existing_loggers": False,
               "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: "
                                                  "%(message)s"}},
               "handlers": {"console": {"class": "logging.StreamHandler",
                                        "formatter": "plain"}},
               "root": {"level": "WARNING", "handlers": ["console"]}}
    config = {"AMQP_URI": amqp_uri, "max_workers": max_workers, "DATABASE_URL": db_url,
              "KEYS_DIR": str(keys_dir), "AGENCIES": AGENCIES, "LOGGING": logging}
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return path


def child_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


class Proc:
    """A child process with its output in a log file; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, cmd: list[str], log_path: Path, what: str):
        self.what = what
        self.log_path = log_path
        # the child keeps its own descriptor of the log; this one closes once it started
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=log,
                                          stderr=subprocess.STDOUT)
        self.pid = self.popen.pid

    def log_tail(self, lines: int = 25) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise BenchError(f"{self.what} exited with {self.popen.returncode}:\n"
                             f"{self.log_tail()}")

    def wait_for_line(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if text in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.05)
        raise BenchError(f"{self.what} not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self, timeout: float = 15) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_service(workdir: Path, *, amqp_uri: str, db_url: str, keys_dir: Path,
                  max_workers: int = 10) -> Proc:
    """The records service in its own process, as production runs it: `python -m nameko run`
    (which monkey-patches with eventlet, psycopg2 included)."""
    from shared.cli.services import installed, service_callers
    from shared.trust.keys import init_deployment

    # the deployment's keys, as `sanxiang keys init` makes them (none is overwritten), the
    # caller keys too: the record keeper calls its peers as itself (officer checks)
    init_deployment(keys_dir, ["records", "review"], checkpoint_signers=["records"],
                    callers=[s for s in service_callers(list(installed()))
                             if s in ("records", "review")])
    config = write_config(workdir / "config.yml", amqp_uri=amqp_uri, db_url=db_url,
                          keys_dir=keys_dir, max_workers=max_workers)
    # SANXIANG_BENCH_LAUNCHER: a Python file to start instead of `-m nameko` (it must end by
    # calling nameko.cli.main.main()), to A/B a candidate patch without editing the service.
    launcher = os.environ.get("SANXIANG_BENCH_LAUNCHER")
    cmd = [sys.executable, *([launcher] if launcher else ["-m", "nameko"]), "run", "--config",
           str(config), SERVICE]
    return Proc(cmd, workdir / "records.log", "records service")


def start_bare(workdir: Path, mode: str, *, amqp_uri: str, dsn: str = "") -> Proc:
    """A bare kombu request/reply consumer (bench/bare_server.py), no nameko."""
    cmd = [sys.executable, str(BENCH / "bare_server.py"), mode, "--amqp", amqp_uri]
    if dsn:
        cmd += ["--dsn", dsn]
    proc = Proc(cmd, workdir / f"bare-{mode}.log", f"bare {mode} server")
    proc.wait_for_line("READY", 30)
    return proc


def wait_health(client, proc: Proc, timeout: float = 60) -> dict:
    """Ask records.health through `client` (a loadgen.RpcClient) until it answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.check_alive()
        try:
            reply = client.call("records.health", {}, timeout=1)
        except TimeoutError:
            continue
        if reply.get("error") is None:
            return reply["result"]
        raise BenchError(f"records.health failed: {reply['error']}")
    raise BenchError(f"records service did not answer health within {timeout:.0f}s:\n"
                     f"{proc.log_tail()}")


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=f"sanxiang-bench-{prefix}-") as tmp:
        yield Path(tmp)


@contextlib.contextmanager
def profiler(pid: int, out_dir: str | None, name: str) -> Iterator[None]:
    """py-spy samples `pid` while the block runs (nothing when out_dir is None); writes
    DIR/NAME.txt, collapsed stacks for bench/profile_report.py (or any flamegraph tool)."""
    if not out_dir:
        yield
        return
    import shutil
    import signal
    exe = os.environ.get("PYSPY") or shutil.which("py-spy")
    if not exe:
        raise BenchError("--profile needs py-spy on PATH or in $PYSPY")
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    extra = os.environ.get("PYSPY_ARGS", "").split()  # e.g. --native (then blocking), --idle
    if "--native" not in extra:
        extra.append("--nonblocking")
    with open(Path(out_dir) / f"{name}.log", "wb") as log:
        proc = subprocess.Popen([exe, "record", "-p", str(pid), "-r", "200", *extra,
                                 "-f", "raw", "-o", str(Path(out_dir) / f"{name}.txt")],
                                stdout=log, stderr=subprocess.STDOUT)
    time.sleep(0.5)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


# ---- payloads ---------------------------------------------------------------------------

OFFICERS = [{"name": "李明", "certificate_no": "14052100017", "certificate_shown": True},
            {"name": "张华", "certificate_no": "14052100021", "certificate_shown": True}]


def open_case_payload(case_no: str) -> dict:
    """The demo's opening of a case (demo.case), with a case number of our own."""
    from demo import case as demo
    payload = demo.step("case_opened", case_no).payload({})
    if not isinstance(payload, dict):  # a list would be one call per item
        raise BenchError("the demo opens its case with more than one call")
    return payload


def note_payload(case_id: str, n: int) -> dict:
    """An `append_record` of type note, about the size of the demo's interview record."""
    return {"case_id": case_id, "record_type": "note",
            "occurred_at": "2025-10-10T10:30:00+08:00", "situations": [], "content": {
                "title": "询问情况记录", "document_no": f"陵应急询〔2025〕{n}号",
                "officers": OFFICERS,
                "summary": f"第{n}次记录：安全科长承认未组织特种作业人员参加培训取证，"
                           "举报人反映属实，现场调取培训台账三册并拍照留存。"}}
