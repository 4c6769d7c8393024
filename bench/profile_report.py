"""Summarise a py-spy collapsed-stack file (`py-spy record -f raw`): the share of samples
spent inside each function (inclusive) and at the top of the stack (self), so a README can
say where the time goes.

    .venv/bin/python bench/profile_report.py PROFILE.txt [--top 30] [--match TEXT]"""
from __future__ import annotations

import argparse
import collections
import re
from pathlib import Path

# the checkout the profiled service ran from (its frames name files under it)
CHECKOUT = f"{Path(__file__).resolve().parents[1]}/"

# Where a sample's time goes, checked in this order; the first group with a frame in the
# stack takes the sample (so SQL run by the outbox relay counts as relay).
GROUPS = [
    ("marshmallow schema construction (Schema.__init__)", ["Schema.__init__ (marshmallow"]),
    ("outbox relay (read pending, publish+confirm, mark)", ["Outbox._relay_forever"]),
    ("outbox stage (event envelope validation + INSERT)", ["OutboxWriter.stage"]),
    ("RPC reply publish (nameko Publisher, confirms)", ["Rpc.handle_result"]),
    ("access log / refusal", ["log_access", "record_refusal"]),
    # the hot path's own driver calls show as the caller's self time (C frames are not
    # sampled without --native): load_case (lock), _write_pg (entry + head + outbox)
    ("SQL: SQLAlchemy statement building + execution, psycopg2, BEGIN/COMMIT, pre-ping",
     ["sqlalchemy/", "psycopg", "Db.transaction", "_write_pg (", "load_case (services"]),
    ("contract load/dump (marshmallow)", ["load (shared/contracts/registry.py",
                                          "dump (shared/contracts/registry.py"]),
    ("canonical JSON + sha256", ["canonical (services", "link_hash"]),
    ("actor token verify", ["TokenVerifier.verify"]),
    ("AMQP consume (drain, decode, ack)", ["drain_events", "QueueConsumer", "Message.ack",
                                            "handle_message"]),
    ("eventlet hub (poll, switch)", ["hubs/"]),
    ("nameko worker plumbing (spawn, inject, results)", ["nameko/"]),
]

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def short(frame: str) -> str:
    m = FRAME.match(frame)
    if not m:
        return frame
    path = m.group("file")
    for marker in ("site-packages/", CHECKOUT, "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{m.group('func')} ({path})"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("path")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--match", help="only stacks containing this text")
    args = p.parse_args()
    inclusive: collections.Counter[str] = collections.Counter()
    self_time: collections.Counter[str] = collections.Counter()
    grouped: collections.Counter[str] = collections.Counter()
    total = 0
    with open(args.path, "rb") as fh:  # binary: a frame may hold a stray \r
        lines = fh.read().decode("utf-8", "replace").split("\n")
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit() or (args.match and args.match not in stack):
            continue
        n = int(count)
        total += n
        frames = [short(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += n
        self_time[frames[-1]] += n
        grouped[next((name for name, needles in GROUPS
                      if any(needle in stack for needle in needles)), "other")] += n
    print(f"{total} samples")
    print("\n-- by group (exclusive, first match) --")
    for name, n in grouped.most_common():
        print(f"{100 * n / total:5.1f}%  {name}")
    for title, counter in (("inclusive", inclusive), ("self", self_time)):
        print(f"\n-- {title} --")
        for frame, n in counter.most_common(args.top):
            print(f"{100 * n / total:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
