"""A/B launcher for append_rpc (SANXIANG_BENCH_LAUNCHER=bench/launch_signing_ab.py): starts the
service as `nameko run` does, with SIGN_AB=unsigned the outbox's prepare() as it was before
events were signed (same envelope, plain JSON text, no key_id/signature), with SIGN_AB=signed
the code as it is, timing each signature (canonical text + Ed25519). At exit it appends one
line — events signed, time per signature, its share of the process's CPU — to the file named
by SANXIANG_BENCH_SIGNCOST (else prints it to stderr, i.e. the service log)."""
from __future__ import annotations

import atexit
import json
import os
import sys
import time
from datetime import UTC, datetime

import shared.messaging.outbox as outbox
from shared.contracts.registry import envelope

MODE = os.environ.get("SIGN_AB", "signed")
spent = {"seconds": 0.0, "events": 0, "cpu0": time.process_time()}


def _timed(real):
    def sign(body, key):
        t0 = time.perf_counter()
        try:
            return real(body, key)
        finally:
            spent["seconds"] += time.perf_counter() - t0   # no yield inside: CPU time
            spent["events"] += 1
    return sign


def _unsigned_prepare(self, event_type, data, *, agency, actor, ruleset, occurred_at=None):
    body = envelope(self.contract, event_type, data, agency=agency, actor=actor,
                    ruleset=ruleset, occurred_at=occurred_at)
    self.staged += 1
    return body, {"message_id": body["message_id"], "event_type": event_type,
                  "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                  "created_at": datetime.now(UTC), "state": outbox.PENDING,
                  "attempts": 0}


@atexit.register
def _report() -> None:
    cpu = time.process_time() - spent["cpu0"]
    n = max(spent["events"], 1)
    line = (f"{MODE}: {spent['events']} events signed, {spent['seconds'] * 1e6 / n:.1f} us "
            f"each, {spent['seconds']:.3f} s of {cpu:.3f} s process CPU "
            f"({100 * spent['seconds'] / cpu:.1f} %)\n")
    target = os.environ.get("SANXIANG_BENCH_SIGNCOST")
    if target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(line)
    else:
        sys.stderr.write(line)


if MODE == "unsigned":
    outbox.OutboxWriter.prepare = _unsigned_prepare  # type: ignore[method-assign]  # the A/B swap
else:
    outbox.sign = _timed(outbox.sign)

if __name__ == "__main__":
    from nameko.cli.main import main
    sys.exit(main())
