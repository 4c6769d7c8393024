"""Idle resident memory of the records service: started as production starts it
(`python -m nameko run`, here on SQLite, its own vhost), asked for health until it answers,
left idle a few seconds, then VmRSS read from /proc/<pid>/status (children added, if any).

Target: ≤ 120 MiB.

    .venv/bin/python bench/idle_rss.py [--quick] [--idle 5]"""
from __future__ import annotations

import time
from pathlib import Path

import common
from common import row
from loadgen import RpcClient

NAME = "idle_rss"
TARGET_MIB = 120


def status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise common.BenchError(f"/proc/{pid}/status has no {key}")


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int(Path(entry, "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


FLOOR = """
import eventlet; eventlet.monkey_patch()
import nameko.cli.run, nameko.rpc, nameko.timer, kombu, sqlalchemy, alembic, psycopg2, yaml
import marshmallow, cryptography.hazmat.primitives.asymmetric.ed25519
print([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1])
"""


def framework_floor_mib() -> float:
    """RSS of an interpreter that only imported the libraries a service stands on."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", FLOOR], capture_output=True,
                         text=True, env=common.child_env(), timeout=60)
    if out.returncode != 0:
        raise common.BenchError(f"framework floor probe failed: {out.stderr[-500:]}")
    return int(out.stdout.split()[-1]) / 1024


def run(args) -> tuple[list[dict], list[str]]:
    if args.quick:
        args.idle = min(args.idle, 2.0)
    with common.workdir(NAME) as wd, common.rabbit_vhost(NAME) as amqp, \
            RpcClient(amqp) as client:
        t0 = time.perf_counter()
        svc = common.start_service(wd, amqp_uri=amqp,
                                   db_url=f"sqlite:///{wd / 'records.sqlite3'}",
                                   keys_dir=wd / "keys")
        try:
            common.wait_health(client, svc)
            ready_s = time.perf_counter() - t0
            time.sleep(args.idle)
            svc.check_alive()
            pids = [svc.pid] + descendants(svc.pid)
            rss = sum(status_kib(p, "VmRSS") for p in pids) / 1024
            hwm = sum(status_kib(p, "VmHWM") for p in pids) / 1024
            threads = status_kib(svc.pid, "Threads")
        finally:
            svc.stop()
    floor = framework_floor_mib()
    notes = [f"{NAME}: records service on SQLite answered health {ready_s:.1f}s after start; "
             f"idle {args.idle:.0f}s; processes {len(pids)}, threads {threads}"]
    rows = [row(NAME, "idle VmRSS (MiB)", f"{rss:.1f}", f"<= {TARGET_MIB}", rss <= TARGET_MIB),
            row(NAME, "peak VmHWM (MiB)", f"{hwm:.1f}"),
            row(NAME, "floor: libraries imported, no service (MiB)", f"{floor:.1f}"),
            row(NAME, "start to first health reply (s)", f"{ready_s:.1f}")]
    return rows, notes


if __name__ == "__main__":
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--idle", type=float, default=5.0, help="seconds idle before reading")
    raise SystemExit(common.main(run, p))
