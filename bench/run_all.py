"""Run every benchmark (each in its own process, one after another so they do not share
the 2 cores) and print one summary table. Exits 0 when all ran — PASS or MISS — and 2
when any could not run.

    .venv/bin/python bench/run_all.py [--quick] [--only append_rpc,idle_rss]"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

BENCHES = ("append_rpc", "get_case_latency", "verify_case", "idle_rss")


def machine_probe() -> list[dict]:
    """Two small fixed workloads timed on the spot, so runs on a machine that was slower
    (a busy host, other people's tests) can be told apart: Python CPU (canonical JSON +
    sha256 of a note, as the chain does) and kernel round trips (a socketpair ping-pong)."""
    import hashlib
    import socket
    body = common.note_payload("00000000-0000-0000-0000-000000000000", 1)
    t0 = time.perf_counter()
    for _ in range(20000):
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        hashlib.sha256(text.encode()).hexdigest()
    cpu_us = (time.perf_counter() - t0) / 20000 * 1e6
    a, b = socket.socketpair()
    t0 = time.perf_counter()
    for _ in range(20000):
        a.send(b"x")
        b.recv(1)
        b.send(b"y")
        a.recv(1)
    rtt_us = (time.perf_counter() - t0) / 20000 * 1e6
    a.close()
    b.close()
    return [common.row("machine", "probe: canonical JSON + sha256 of a note (us)",
                       f"{cpu_us:.1f}"),
            common.row("machine", "probe: socketpair ping-pong round trip (us)",
                       f"{rtt_us:.1f}")]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", help=f"comma-separated, of: {', '.join(BENCHES)}")
    args = p.parse_args()
    names = [n.strip() for n in args.only.split(",")] if args.only else list(BENCHES)
    unknown = set(names) - set(BENCHES)
    if unknown:
        p.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    rows, failed = machine_probe(), []
    with tempfile.TemporaryDirectory(prefix="sanxiang-bench-all-") as tmp:
        for name in names:
            out = Path(tmp) / f"{name}.json"
            cmd = [sys.executable, str(common.BENCH / f"{name}.py"), "--json", str(out)]
            cmd += ["--quick"] if args.quick else []
            print(f"== {name}", flush=True)
            t0 = time.perf_counter()
            rc = subprocess.run(cmd, cwd=common.ROOT).returncode
            print(f"   ({time.perf_counter() - t0:.0f}s)\n", flush=True)
            if rc != 0 or not out.exists():
                failed.append(name)
                rows.append(common.row(name, "could not run", f"exit {rc}", ok=None))
                rows[-1]["verdict"] = "ERROR"
                continue
            rows += json.loads(out.read_text())
    print("== summary" + (" (--quick)" if args.quick else ""))
    print(common.table(rows, columns=("bench", "metric", "value", "target", "verdict")))
    if failed:
        print(f"could not run: {', '.join(failed)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
