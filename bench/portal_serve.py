"""The portal as nginx serves it: a generated publication page against a static file of the
same size, from the same server, in the same run.

    ./scripts/bootstrap --bench        # nginx and wrk (Debian packages)
    .venv/bin/python bench/portal_serve.py [--quick] [--seconds 10] [--connections 32]
                                           [--load auto|wrk|python]

A site of 200 decisions is written by `Portal.build` into a fresh version folder that the
portal's path links to (as a rebuild leaves it, services/disclosure/portal/versions.py), and a
file of random printable bytes the size of one of its publication pages is put beside the
page. nginx is started on a free loopback port with the compose server block —
compose/portal/default.conf.template, rendered the way the nginx image renders it (envsubst of
PORTAL_LISTEN and PORTAL_ROOT) — inside a minimal main config (one worker, logs and temporary
files in the run's folder). The load is `wrk` (one thread, keep-alive connections) in its own
process, or, without wrk, a Python keep-alive loop in two processes; the page and the static
file are loaded alternately, twice each, and the better run of each kept. Target: the page at
≥ 0.8× the static file's requests/s."""
from __future__ import annotations

import multiprocessing
import os
import random
import re
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import BenchError, main, parser, row

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEMPLATE = ROOT / "compose" / "portal" / "default.conf.template"
TARGET = 0.8
SITE_SIZE = 200


def render(template: str, **values: str) -> str:
    """The template as the nginx image's envsubst renders it: each ${NAME} given replaced,
    every other $ left to nginx."""
    def sub(m: re.Match) -> str:
        return values.get(m.group(1), m.group(0))
    return re.sub(r"\$\{([A-Z_][A-Z0-9_]*)\}", sub, template)


def main_config(folder: Path, server: Path) -> str:
    """A main nginx.conf around the rendered server block, everything in `folder`."""
    temp = "\n".join(f"    {name}_temp_path {folder / name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
{temp}
    include {server};
}}
"""


def configure(folder: Path, port: int, site: Path, form_upstream: str = "127.0.0.1:9") -> Path:
    """The compose server block rendered for this port and site (the correction form passed
    to `form_upstream`), in its main config."""
    server = folder / "default.conf"
    server.write_text(render(TEMPLATE.read_text(encoding="utf-8"),
                             PORTAL_LISTEN=f"127.0.0.1:{port}", PORTAL_ROOT=str(site),
                             PORTAL_FORM_UPSTREAM=form_upstream),
                      encoding="utf-8")
    conf = folder / "nginx.conf"
    conf.write_text(main_config(folder, server), encoding="utf-8")
    return conf


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists()
                                      else None)
    if found is None:
        raise BenchError("nginx not installed (./scripts/bootstrap --bench)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _site(folder: Path) -> tuple[Path, str, str, int]:
    """The site (a path linking to its version folder), a publication page's path, a static
    file of the same size beside it, and that size."""
    from portal_publish import decision

    from services.disclosure.portal import LocalDirectory, Portal, versions
    path = folder / "portal"
    version = versions.fresh(path)
    minutes = 3 * 365 * 24 * 60 / SITE_SIZE
    Portal(LocalDirectory(version), base_url="https://gs.example.cn/").build(
        decision(n, minutes) for n in range(SITE_SIZE))
    versions.swap_in(path, version)
    page = f"p/{decision(SITE_SIZE // 2, minutes).id}.html"
    size = (path / page).stat().st_size
    rnd = random.Random(7)
    static = "bench/static.txt"
    (path / "bench").mkdir()
    (path / static).write_bytes("".join(rnd.choice(string.ascii_letters)
                                        for _ in range(size)).encode())
    return path, page, static, size


def start_nginx(conf: Path, port: int) -> subprocess.Popen:
    check = subprocess.run([nginx_binary(), "-t", "-c", str(conf), "-p", str(conf.parent)],
                           capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise BenchError(f"nginx -t refused the rendered config: {check.stderr.strip()}")
    proc = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(conf.parent)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            if proc.poll() is not None:
                said = proc.stderr.read().decode() if proc.stderr else ""
                raise BenchError(f"nginx exited: {said}") from None
            time.sleep(0.05)
    proc.kill()
    raise BenchError("nginx did not open its port within 10 s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# ---- load -------------------------------------------------------------------------------

def wrk(url: str, seconds: int, connections: int) -> float:
    done = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
                          capture_output=True, text=True, check=False)
    found = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    if done.returncode != 0 or found is None or errors:
        raise BenchError(f"wrk on {url}: {done.stdout.strip()} {done.stderr.strip()}")
    return float(found.group(1))


def _loop(port: int, path: str, seconds: float, out) -> None:
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port)
    count, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: HTTP {response.status}")
        count += 1
    out.put(count)


def python_load(port: int, path: str, seconds: int, processes: int = 2) -> float:
    out: multiprocessing.Queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_loop, args=(port, path, seconds, out))
             for _ in range(processes)]
    for p in procs:
        p.start()
    total = sum(out.get(timeout=seconds + 30) for _ in procs)
    for p in procs:
        p.join()
    return total / seconds


def run(args) -> tuple[list[dict], list[str]]:
    seconds = 3 if args.quick else args.seconds
    with tempfile.TemporaryDirectory(prefix="portal-serve-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)  # nginx's workers (another user when run as root) read the site
        site, page, static, size = _site(folder)
        port = free_port()
        proc = start_nginx(configure(folder, port, site), port)
        try:
            tool = args.load if args.load != "auto" else (
                "wrk" if shutil.which("wrk") else "python")

            def load(path: str) -> float:
                if tool == "wrk":
                    return wrk(f"http://127.0.0.1:{port}/{path}", seconds, args.connections)
                return python_load(port, f"/{path}", seconds)

            rates: dict[str, list[float]] = {page: [], static: []}
            for _ in range(2):
                for path in (page, static):
                    rates[path].append(load(path))
        finally:
            stop(proc)
    best_page, best_static = max(rates[page]), max(rates[static])
    ratio = best_page / best_static
    rows = [row("portal", f"generated page ({size:,} bytes), requests/s", f"{best_page:,.0f}"),
            row("portal", "static file of the same size, requests/s", f"{best_static:,.0f}"),
            row("portal", "page / static", f"{ratio:.2f}×", f"≥ {TARGET}×", ratio >= TARGET)]
    notes = [f"nginx {_nginx_version()}, compose/portal/default.conf.template rendered, one "
             f"worker; load: {tool}, {seconds} s a run, "
             f"{args.connections if tool == 'wrk' else 2} connections, "
             f"runs page {[round(r) for r in rates[page]]} static "
             f"{[round(r) for r in rates[static]]}; load average "
             f"{os.getloadavg()[0]:.1f}"]
    return rows, notes


def _nginx_version() -> str:
    done = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True, check=False)
    return done.stderr.strip().rsplit("/", 1)[-1]


if __name__ == "__main__":
    p = parser("the portal's generated page against a static file of the same size, served by "
               "nginx with the compose config")
    p.add_argument("--seconds", type=int, default=10, help="length of each load run")
    p.add_argument("--connections", type=int, default=32, help="keep-alive connections")
    p.add_argument("--load", choices=("auto", "wrk", "python"), default="auto",
                   help="the load generator (auto: wrk when installed)")
    sys.exit(main(run, p))
