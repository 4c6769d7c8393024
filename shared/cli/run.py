"""`sanxiang run`: run chosen services on embedded defaults — one `nameko run` process per
service with its compose/<service>/config.yml, SQLite files and keys under one data folder, the
local RabbitMQ. The same config files work with plain `nameko run` (and in compose)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Every service the suite knows, in start order; only those whose package is installed run.
_ALL_SERVICES = {
    "records": "services.records.service:RecordsService",
    "review": "services.review.service:ReviewService",
    "renderer": "services.renderer.service:RendererService",
    "vault": "services.vault.service:VaultService",
    "disclosure": "services.disclosure.service:DisclosureService",
}
SERVICES = {name: path for name, path in _ALL_SERVICES.items()
            if find_spec(path.split(":")[0].rsplit(".", 1)[0]) is not None}
DEFAULT_AMQP = "pyamqp://guest:guest@127.0.0.1:5672/"


def register(sub) -> None:
    p = sub.add_parser("run", help="run services on embedded defaults (SQLite, local RabbitMQ)")
    p.add_argument("--services", default=",".join(SERVICES),
                   help=f"comma-separated, of: {', '.join(SERVICES)} (default: all)")
    p.add_argument("--data", default=os.environ.get("SANXIANG_DATA", ".data"),
                   help="folder for SQLite files and keys (default .data)")
    p.set_defaults(func=main)


def embedded_env(data: str | Path) -> dict:
    data = Path(data).resolve()
    env = dict(os.environ)
    env.setdefault("AMQP_URI", DEFAULT_AMQP)
    env.setdefault("SANXIANG_KEYS", str(data / "keys"))
    for name in SERVICES:
        env.setdefault(f"{name.upper()}_DATABASE_URL", f"sqlite:///{data / name}.sqlite3")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def ensure_keys(root: str | Path) -> None:
    """Embedded defaults: make the deployment's missing keys (never overwriting one), so the
    services find theirs; `sanxiang keys init` does the same for any other key root."""
    from shared.cli.keys import CHECKPOINT_SIGNERS
    from shared.keys import init_deployment
    for path in init_deployment(root, list(SERVICES), checkpoint_signers=CHECKPOINT_SIGNERS):
        print(f"sanxiang: created key {path}", flush=True)


def parse_services(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in SERVICES]
    if unknown:
        raise SystemExit(f"unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICES)}")
    return names


def start(names: list[str], data: str | Path, log_dir: Path | None = None) -> list[subprocess.Popen]:
    """Start one nameko process per service; output goes to log_dir/<service>.log if given."""
    env = embedded_env(data)
    # the record keeper knows whether the review board is part of what runs here, so a
    # board restarting for a moment never lets a legal unit's entry by hand slip in
    env.setdefault("REVIEW_BOARD", "required" if "review" in names else "absent")
    Path(data).mkdir(parents=True, exist_ok=True)
    ensure_keys(env["SANXIANG_KEYS"])
    procs = []
    for name in names:
        cmd = [sys.executable, "-m", "nameko", "run", "--config",
               str(ROOT / "compose" / name / "config.yml"), SERVICES[name]]
        out = open(Path(log_dir) / f"{name}.log", "ab") if log_dir else None
        procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out))
    return procs


def stop(procs: list[subprocess.Popen], timeout: float = 15) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main(args) -> int:
    names = parse_services(args.services)
    # SIGTERM (docker stop, systemd, a test) must stop the children too, not orphan them
    signal.signal(signal.SIGTERM, _interrupt)
    procs = start(names, args.data)
    print(f"sanxiang: running {', '.join(names)} (data in {Path(args.data).resolve()}); "
          "Ctrl-C stops", flush=True)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop(procs)
    failed = [n for n, p in zip(names, procs) if p.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0
