"""What the metrics endpoint costs the append: bench/append_rpc.py's records.append_record run
(8 concurrent callers, PostgreSQL) in this one process against one database and vhost, the
service started without a metrics endpoint (METRICS_ADDRESS empty: the baseline) and with one
(METRICS_ADDRESS on a free loopback port, scraped every --scrape-every seconds by this process
throughout the window, as Prometheus would — its default is every 15 s), alternating, --rounds
times each; then the same with the per-call access lines written (LOG_LEVEL INFO, as the
shipped config files run; the bench's own config logs at WARNING). Prints entries/s of each,
and the ratio with / without metrics (the mean of each side).

The counters and the histogram are kept whether or not the endpoint is served (they are part of
every call's path in both runs); an in-process loop beside the runs measures what they and the
access line cost one call, in microseconds.

    .venv/bin/python bench/metrics_overhead.py [--quick] [--rounds 2] [--seconds 10]"""
from __future__ import annotations

import contextlib
import threading
import time

import append_rpc
import common
from common import BenchError, row
from loadgen import RpcClient, noise_warning

NAME = "metrics_overhead"
TARGET_RATIO = 0.95


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _scraper(url: str, every: float, seen: dict):
    """A context manager factory: GET `url` every `every` seconds while the window runs,
    noting how many scrapes answered and the last body."""
    import requests

    @contextlib.contextmanager
    def scraping():
        stop = threading.Event()

        def loop():
            while not stop.is_set():
                reply = requests.get(url, timeout=5)
                if reply.status_code == 200:
                    seen["scrapes"] = seen.get("scrapes", 0) + 1
                    seen["last"] = reply.text
                stop.wait(every)

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(10)
    return scraping


def _counted(text: str) -> float:
    """append_record calls the last scrape counted (the endpoint was really on)."""
    from prometheus_client.parser import text_string_to_metric_families
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (sample.name == "sanxiang_rpc_calls_total"
                    and sample.labels.get("method") == "append_record"):
                return sample.value
    return 0.0


def _per_call_us(n: int = 20000) -> tuple[float, float]:
    """In this process: µs per call of counting one call (CallMetrics.call around nothing),
    with the access line filtered out (WARNING) and written to a discarded stream (INFO)."""
    import io
    import logging

    from shared.observability import logs
    from shared.observability.metrics import CallMetrics, ServiceMetrics
    from shared.trust.actor import Actor
    calls = CallMetrics(ServiceMetrics("bench"), "bench.append_record.1")
    actor = Actor(id="x", role="officer", agency="lingchuan-emergency")
    access = logging.getLogger(logs.ACCESS_LOGGER)
    out = []
    handler = logging.StreamHandler(io.StringIO())
    for level in (logging.WARNING, logging.INFO):
        access.setLevel(level)
        access.addHandler(handler)
        access.propagate = False
        t0 = time.perf_counter()
        for _ in range(n):
            with calls.call("append_record", actor):
                pass
        out.append((time.perf_counter() - t0) / n * 1e6)
        access.removeHandler(handler)
        handler.stream = io.StringIO()
    access.setLevel(logging.NOTSET)
    access.propagate = True
    return out[0], out[1]


def _cpu_ms(result: dict) -> float:
    """Milliseconds of the service process's CPU per entry in the window."""
    return result["cpu"].get("server", 0.0) / 100 / result["rate"] * 1000


def run(args) -> tuple[list[dict], list[str]]:
    if args.quick:
        args.seconds, args.warmup, args.rounds = min(args.seconds, 3.0), min(args.warmup, 1.0), 1
    args.processes, args.profile = 1, None
    results: dict[str, list[dict]] = {"off": [], "on": [], "on+access": []}
    scrapes: list[tuple[int, float]] = []
    tags = iter("CDEFGHJKLMNPQRSTUVWXYZ")
    with common.workdir(NAME) as wd, common.rabbit_vhost(NAME) as amqp, \
            common.pg_database(NAME) as db_url, RpcClient(amqp) as client:
        keys = wd / "keys"
        headers = common.officer_headers(keys)
        for _ in range(args.rounds):
            for kind in results:
                extra: dict = {"METRICS_ADDRESS": ""}
                during = None
                if kind != "off":
                    port = _free_port()
                    seen: dict = {}
                    extra = {"METRICS_ADDRESS": f"127.0.0.1:{port}"}
                    during = _scraper(f"http://127.0.0.1:{port}/metrics", args.scrape_every,
                                      seen)
                if kind == "on+access":
                    extra["LOGGING"] = {
                        "version": 1, "disable_existing_loggers": False,
                        "handlers": {"console": {"class": "logging.StreamHandler"}},
                        "root": {"level": "WARNING", "handlers": ["console"]},
                        "loggers": {"sanxiang.access": {"level": "INFO"}}}
                result = append_rpc._service_run(client, wd, amqp, db_url, keys, headers, args,
                                                 next(tags), extra=extra, during=during)
                if kind != "off":
                    if not seen.get("scrapes") or _counted(seen["last"]) <= 0:
                        raise BenchError(f"{kind}: the metrics endpoint was not scraped")
                    scrapes.append((seen["scrapes"], _counted(seen["last"])))
                results[kind].append(result)
    mean = {k: sum(r["rate"] for r in v) / len(v) for k, v in results.items()}
    ratio, ratio_access = mean["on"] / mean["off"], mean["on+access"] / mean["off"]
    rounds = [on["rate"] / off["rate"] for off, on in zip(results["off"], results["on"],
                                                           strict=True)]
    # the service's own CPU per entry: what the endpoint costs it, whatever else ran
    cpu = {k: sum(_cpu_ms(r) for r in v) / len(v) for k, v in results.items()}
    quiet, logged = _per_call_us()
    notes = [f"{NAME}: {args.callers} callers, {args.seconds:.0f}s windows after "
             f"{args.warmup:.0f}s warm-up, {args.rounds} round(s) of off / on / on+access, "
             f"scraped every {args.scrape_every:g}s ({', '.join(str(n) for n, _ in scrapes)} "
             "scrapes per window)"]
    for kind, runs in results.items():
        notes.append(f"  {kind:<10} " + "  ".join(f"{r['rate']:6.0f}/s" for r in runs)
                     + f"   [{runs[-1]['cpu_summary']}]")
    notes.append("  with / without, round by round: "
                 + "  ".join(f"{r:.3f}x" for r in rounds))
    notes.append("  service CPU per entry (ms): "
                 + "  ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    notes += noise_warning([r for runs in results.values() for r in runs])
    rows = [
        row(NAME, "append_record, no metrics endpoint (entries/s)", f"{mean['off']:.0f}"),
        row(NAME, "append_record, endpoint scraped (entries/s)", f"{mean['on']:.0f}"),
        row(NAME, "with / without metrics", f"{ratio:.3f}x", f">= {TARGET_RATIO}x",
            ratio >= TARGET_RATIO),
        row(NAME, "with metrics and access lines / without", f"{ratio_access:.3f}x"),
        row(NAME, "service CPU per entry, with / without metrics",
            f"{cpu['on'] / cpu['off']:.3f}x"),
        row(NAME, "service CPU per entry, with metrics and access lines / without",
            f"{cpu['on+access'] / cpu['off']:.3f}x"),
        row(NAME, "counting one call, in process (µs)", f"{quiet:.1f}"),
        row(NAME, "counting one call with its access line (µs)", f"{logged:.1f}"),
    ]
    return rows, notes


if __name__ == "__main__":
    p = common.parser(__doc__.split("\n")[0])
    p.add_argument("--callers", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--scrape-every", type=float, default=1.0,
                   help="seconds between scrapes during the window (default 1)")
    raise SystemExit(common.main(run, p))
