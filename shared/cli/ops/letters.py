"""`sanxiang ops dead-letters list|show|requeue|drop` (shared.messaging.dead_letters does the
work: read without taking, send back under confirms before acking, drop into a kept queue)."""
from __future__ import annotations

import argparse
import getpass
import os
from typing import Any

from shared.cli.ops.common import EXIT_USAGE, OpsError, broker_options, run, services, table
from shared.messaging import dead_letters as dl


def register(osub) -> None:
    p = osub.add_parser("dead-letters", help="list, show, send back or drop dead letters")
    dsub = p.add_subparsers(dest="letters_command", metavar="SUBCOMMAND")

    ls = dsub.add_parser("list", help="the dead letters waiting, per service")
    ls.add_argument("--service", default=None, help="one service (default: every installed one)")
    ls.add_argument("--dropped", action="store_true",
                    help="those dropped before (dlq.<service>.dropped), with why and by whom")
    ls.add_argument("--limit", type=int, default=1000, help="at most this many per service")
    broker_options(ls)
    ls.set_defaults(func=_list)

    show = dsub.add_parser("show", help="one dead letter in full")
    show.add_argument("id", help="its id, as `list` shows it")
    show.add_argument("--service", default=None, help="where to look (default: every service)")
    show.add_argument("--dropped", action="store_true", help="look among the dropped")
    broker_options(show)
    show.set_defaults(func=_show)

    rq = dsub.add_parser("requeue", help="send back to the original exchange and routing key")
    rq.add_argument("id", nargs="?", help="its id, as `list` shows it")
    rq.add_argument("--all", action="store_true", help="every dead letter (of --service)")
    rq.add_argument("--service", default=None, help="the service (default: found by the id)")
    broker_options(rq)
    rq.set_defaults(func=_requeue)

    drop = dsub.add_parser("drop", help="remove, keeping it with the reason in "
                                        "dlq.<service>.dropped")
    drop.add_argument("id", help="its id, as `list` shows it")
    drop.add_argument("--reason", required=True, help="why it is dropped (kept with it)")
    drop.add_argument("--by", default=os.environ.get("SANXIANG_OPERATOR") or _whoami(),
                      help="who drops it (default: $SANXIANG_OPERATOR, else the login name)")
    drop.add_argument("--service", default=None, help="the service (default: found by the id)")
    broker_options(drop)
    drop.set_defaults(func=_drop)
    p.set_defaults(func=lambda args: (p.print_help(), EXIT_USAGE)[1])


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in a container without a passwd entry
        return "unknown"


def _queue(service: str, dropped: bool) -> str:
    return dl.dropped_queue(service) if dropped else dl.queue_name(service)


def _list(args: argparse.Namespace) -> int:
    def body():
        found: list[dict[str, Any]] = []
        for service in services(args.service):
            found += [dict(letter.summary(), service=service)
                      for letter in dl.peek(args.amqp, _queue(service, args.dropped), args.limit)]
        return found, _print_list
    return run("dead-letters list", args, body)


def _print_list(found: list[dict[str, Any]]) -> None:
    if not found:
        print("no dead letters")
        return
    dropped = any("dropped_reason" in f for f in found)
    if dropped:
        table([(f["id"], f["service"], f["routing_key"], f["kind"], f.get("dropped_at"),
                f.get("dropped_by"), f.get("dropped_reason")) for f in found],
              ("id", "service", "routing key", "kind", "dropped at", "by", "why dropped"))
        return
    table([(f["id"], f["service"], f["exchange"], f["routing_key"], f["handler"], f["kind"],
            _short(f["reason"], 60)) for f in found],
          ("id", "service", "exchange", "routing key", "handler", "kind", "reason"))


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def _find(args: argparse.Namespace, dropped: bool = False) -> tuple[str, dl.Letter]:
    """(service, letter) of the dead letter args.id, looked for in --service or every one."""
    for service in services(args.service):
        for letter in dl.peek(args.amqp, _queue(service, dropped)):
            if letter.id == args.id:
                return service, letter
    where = args.service or "any service"
    raise OpsError(f"no dead letter with id {args.id!r} in {where}"
                   f"{' (dropped)' if dropped else ''}: see `sanxiang ops dead-letters list`")


def _show(args: argparse.Namespace) -> int:
    def body():
        service, letter = _find(args, args.dropped)
        return dict(letter.detail(), service=service), _print_show
    return run("dead-letters show", args, body)


def _print_show(d: dict[str, Any]) -> None:
    for key in ("id", "service", "queue", "message_id", "exchange", "routing_key", "handler",
                "kind", "reason", "attempts", "transient", "dropped_reason", "dropped_by",
                "dropped_at"):
        if key in d:
            print(f"{key + ':':<15}{'-' if d[key] is None else d[key]}")
    print("headers:")
    for key, value in sorted(d["headers"].items()):
        print(f"  {key}: {value}")
    print(f"body ({d['size']} bytes, {d['body_encoding']}):")
    print(d["body"])


def _requeue(args: argparse.Namespace) -> int:
    def body():
        if args.all == bool(args.id):
            raise OpsError("name one dead letter (ID) or --all, not both", EXIT_USAGE)
        if args.all:
            sent: list[dict[str, Any]] = []
            for service in services(args.service):
                sent += [dict(s, service=service)
                         for s in _guarded(dl.requeue, args.amqp, service)]
        else:
            service = args.service or _find(args)[0]
            sent = [dict(s, service=service) for s in _guarded(dl.requeue, args.amqp, service,
                                                               args.id)]
        return {"requeued": sent}, _print_requeued
    return run("dead-letters requeue", args, body)


def _print_requeued(answer: dict[str, Any]) -> None:
    sent = answer["requeued"]
    if not sent:
        print("no dead letters to send back")
        return
    print(f"sent back {len(sent)} dead letter(s), each confirmed by the broker before it left "
          "its dead-letter queue:")
    table([(s["id"], s["service"], s["message_id"], s["exchange"], s["routing_key"])
           for s in sent], ("id", "service", "message id", "exchange", "routing key"), "  ")


def _drop(args: argparse.Namespace) -> int:
    def body():
        service = args.service or _find(args)[0]
        kept = _guarded(dl.drop, args.amqp, service, args.id, reason=args.reason, by=args.by)
        return {"dropped": dict(kept, service=service)}, _print_dropped
    return run("dead-letters drop", args, body)


def _print_dropped(answer: dict[str, Any]) -> None:
    d = answer["dropped"]
    print(f"dropped {d['id']} ({d['service']}, {d['message_id'] or 'no message id'}): kept in "
          f"{d['queue']} with the reason {d['dropped_reason']!r}, by {d['dropped_by']} at "
          f"{d['dropped_at']}")


def _guarded(fn, *a, **kw):
    try:
        return fn(*a, **kw)
    except dl.DeadLetterError as exc:
        raise OpsError(str(exc)) from exc
