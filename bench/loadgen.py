"""The measuring side: a raw kombu request/reply client that drives the records service and
the bare servers alike (one call, or N callers in a closed loop), and CPU accounting per
process group over each measured window."""
from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import RPC_EXCHANGE, BenchError

# ---- CPU accounting ---------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _pids_named(*names: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def _machine_busy() -> float:
    """CPU seconds all cores spent busy since boot (from /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / _TICK


class CpuMeter:
    """CPU seconds used per process group over a window: the bench client, the server under
    test, PostgreSQL backends, RabbitMQ (beam.smp) and everything else on the machine. Shows
    which of the 2 cores' users is saturated, that the client is not the bottleneck, and
    when something else was competing for the cores."""

    def __init__(self, server_pids: int | list[int] | None):
        if not isinstance(server_pids, list):
            server_pids = [server_pids] if server_pids else []
        self.groups = {"client": [os.getpid()], "server": server_pids,
                       "postgres": _pids_named("postgres"), "rabbitmq": _pids_named("beam.smp")}

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.before = {g: {p: _proc_cpu(p) for p in pids} for g, pids in self.groups.items()}
        self.busy0 = _machine_busy()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        # postgres backends opened during the window count from zero
        self.groups["postgres"] = _pids_named("postgres")
        self.used = {g: sum(_proc_cpu(p) - self.before[g].get(p, 0.0) for p in pids)
                     for g, pids in self.groups.items()}
        # everything else on the machine (other people's tests, the kernel): a noisy run
        # shows here
        self.used["other"] = max(0.0, _machine_busy() - self.busy0 - sum(self.used.values()))
        return False

    def percent(self) -> dict[str, float]:
        return {g: 100 * used / self.wall for g, used in self.used.items()}

    def summary(self) -> str:
        return "  ".join(f"{g} {pct:.0f}%" for g, pct in self.percent().items())


def noise_warning(results: list[dict], limit: float = 25.0) -> list[str]:
    """A note when something outside the benchmark took more than `limit`% of a core
    during a measured window (other people's test runs on a shared machine)."""
    worst = max((r["cpu"].get("other", 0.0) for r in results), default=0.0)
    if worst <= limit:
        return []
    return [f"WARNING: other processes used up to {worst:.0f}% of a core during a measured "
            "window; these figures are depressed — rerun on a quiet machine"]


# ---- raw kombu request/reply client -----------------------------------------------------

@dataclass(slots=True)
class _LoopState:
    """Where a closed loop is: calls done and measured, the error replies, the measured
    window's start and end (perf_counter seconds; None until they happen), whether to stop
    sending, and when the last reply came."""
    last: float
    done: int = 0
    measured: int = 0
    errors: list[object] = field(default_factory=list)
    window_start: float | None = None
    window_end: float | None = None
    stop: bool = False


class RpcClient:
    """Speaks nameko's RPC wire protocol with plain kombu, as a non-Python caller would:
    JSON to exchange `nameko-rpc` with reply_to and correlation_id, context in `nameko.*`
    headers; replies come back on our own queue bound under its name. The same code drives
    the records service and the bare servers, so only the server side differs."""

    def __init__(self, amqp_uri: str):
        from kombu import Connection, Consumer, Exchange, Producer, Queue
        self.conn = Connection(amqp_uri)
        self.conn.connect()
        self.exchange = Exchange(RPC_EXCHANGE, type="topic", durable=True)
        self.reply_to = f"bench-reply-{uuid.uuid4().hex}"
        queue = Queue(self.reply_to, self.exchange, routing_key=self.reply_to, exclusive=True,
                      auto_delete=True)
        self.consumer = Consumer(self.conn.channel(), queues=[queue], no_ack=True,
                                 on_message=self._on_message)
        self.consumer.consume()
        self.producer = Producer(self.conn.channel(), exchange=self.exchange)
        self._handler: Callable | None = None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def publish(self, routing_key: str, kwargs: dict, headers: dict | None,
                correlation_id: str) -> None:
        body = json.dumps({"args": [], "kwargs": kwargs}, ensure_ascii=False).encode()
        self.producer.publish(body, routing_key=routing_key, reply_to=self.reply_to,
                              correlation_id=correlation_id, content_type="application/json",
                              content_encoding="utf-8", headers=headers or {},
                              delivery_mode=2, serializer=None)

    def _on_message(self, message) -> None:
        if self._handler is not None:
            self._handler(message.properties.get("correlation_id"), message.body)

    def call(self, routing_key: str, kwargs: dict, headers: dict | None = None,
             timeout: float = 30) -> dict:
        """One call, waiting for its reply; returns the reply body ({result, error})."""
        corr = uuid.uuid4().hex
        got: dict[str, bytes | str] = {}
        self._handler = lambda c, body: got.setdefault(c, body)
        self.publish(routing_key, kwargs, headers, corr)
        deadline = time.monotonic() + timeout
        while corr not in got:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply to {routing_key} within {timeout}s")
            with contextlib.suppress(TimeoutError, OSError):
                self.conn.drain_events(timeout=min(left, 1))
        self._handler = None
        return json.loads(got[corr])

    def closed_loop(self, routing_key: str, make_call: Callable[[int, int], tuple[dict, dict]],
                    *, callers: int, warmup: float, duration: float | None = None,
                    count: int | None = None, warmup_count: int = 0,
                    server_pid: int | list[int] | None = None) -> dict:
        """`callers` logical callers, each with one call in flight, sending its next call as
        soon as the previous reply arrives (a closed loop). make_call(caller, n) gives
        (kwargs, headers). Measures for `duration` seconds after `warmup` seconds, or for
        `count` calls after `warmup_count` calls. Returns the rate, latencies and CPU use."""
        from kombu.exceptions import OperationalError
        pending: dict[str, tuple[int, float]] = {}
        sent = [0] * callers
        state = _LoopState(last=time.perf_counter())
        latencies: list[float] = []
        start = time.perf_counter()
        meter = CpuMeter(server_pid)

        def send(caller: int) -> None:
            kwargs, headers = make_call(caller, sent[caller])
            sent[caller] += 1
            corr = uuid.uuid4().hex
            pending[corr] = (caller, time.perf_counter())
            self.publish(routing_key, kwargs, headers, corr)

        def on_reply(corr: str, body: bytes | str) -> None:
            if corr not in pending:  # a late reply from an earlier call()
                return
            caller, t0 = pending.pop(corr)
            t = state.last = time.perf_counter()
            reply = json.loads(body)
            if reply.get("error") is not None:
                state.errors.append(reply["error"])
                state.stop = True
            state.done += 1
            if state.window_start is None:
                warm = (state.done >= warmup_count and t - start >= warmup) if count \
                    else t - start >= warmup
                if warm:
                    state.window_start = t
                    meter.__enter__()
            elif state.window_end is None:
                state.measured += 1
                latencies.append(t - t0)
                if (count and state.measured >= count) or \
                        (duration and t - state.window_start >= duration):
                    state.window_end = t
                    meter.__exit__()
                    state.stop = True
            if not state.stop:
                send(caller)

        self._handler = on_reply
        try:
            for caller in range(callers):
                send(caller)
            while pending:
                try:
                    self.conn.drain_events(timeout=1)
                except (TimeoutError, OSError):
                    pass
                except OperationalError as exc:
                    raise BenchError(f"broker connection lost: {exc}") from None
                if time.perf_counter() - state.last > 30:
                    raise BenchError(f"{len(pending)} calls to {routing_key} got no reply "
                                     "for 30s")
        finally:
            self._handler = None
        if state.errors:
            raise BenchError(f"{routing_key} replied with an error: {state.errors[0]}")
        if state.window_start is None or state.window_end is None:
            raise BenchError("the measurement window never closed")
        elapsed = state.window_end - state.window_start
        latencies.sort()
        return {"calls": state.measured, "seconds": elapsed,
                "rate": state.measured / elapsed, "latencies": latencies,
                "cpu": meter.percent(), "cpu_summary": meter.summary()}
