"""`sanxiang ops replay --service S --config FILE --from T1 --to T2 [--event-type X]`: send a
service's events of a time range again, from its outbox, as they were first sent — the stored
signed text, bytes for bytes, with the original message id, to `<service>.events` under the
event type as routing key, under publisher confirms and `mandatory` (the outbox relay's own
publisher, shared.messaging.outbox.ConfirmedPublisher). Consumers that handled an event before
find its message id in their inbox and do nothing twice; one that missed it (a consumer
deployed after, a queue purged) handles it now.

The range is of when the events were written (the outbox's created_at), from T1 inclusive to T2
exclusive; a time without an offset is China time (UTC+8). Only events already relayed
(published, or unrouted: no queue was bound then) are sent: pending ones are the relay's. The
outbox is read, never changed. The database is the one the service's config file names
(DATABASE_URL, its ${VAR:default} expanded as `nameko run` does)."""
from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from shared.cli.ops.common import (
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    OpsError,
    broker_options,
    run,
    shown,
    table,
)

CST = timezone(timedelta(hours=8))
BATCH = 200
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def register(osub) -> None:
    p = osub.add_parser("replay", help="re-send a service's events of a time range",
                        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--service", required=True, help="the service whose events are sent again")
    p.add_argument("--config", required=True, type=Path,
                   help="the service's config file (its DATABASE_URL)")
    p.add_argument("--from", dest="start", required=True, metavar="T1",
                   help="ISO 8601 time or date, inclusive (no offset: China time)")
    p.add_argument("--to", dest="end", required=True, metavar="T2",
                   help="ISO 8601 time or date, exclusive (no offset: China time)")
    p.add_argument("--event-type", action="append", default=[], metavar="X",
                   help="only this event type (e.g. decision_proposed.v1); repeatable")
    p.add_argument("--dry-run", action="store_true", help="say what would be sent, send nothing")
    broker_options(p)
    p.set_defaults(func=_replay)


def when(text: str, option: str) -> datetime:
    """An ISO 8601 time or date as an aware UTC time; China time where no offset is given."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise OpsError(f"{option} {text!r}: not an ISO 8601 time or date (e.g. 2026-12-01 or "
                       "2026-12-01T08:00:00+08:00)", EXIT_USAGE) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CST)
    return value.astimezone(UTC)


def _replay(args: argparse.Namespace) -> int:
    return run("replay", args, lambda: (replay(args), _print))


def replay(args: argparse.Namespace) -> dict[str, Any]:
    if not _NAME.match(args.service):
        raise OpsError(f"--service {args.service!r}: not a service name", EXIT_USAGE)
    start, end = when(args.start, "--from"), when(args.end, "--to")
    if start >= end:
        raise OpsError(f"bad time range: --from {args.start} is not before --to {args.end}",
                       EXIT_USAGE)
    rows, pending = _rows(_database_url(args.config), start, end, args.event_type)
    answer: dict[str, Any] = {
        "service": args.service, "exchange": f"{args.service}.events",
        "from": start.isoformat(), "to": end.isoformat(), "event_types": args.event_type,
        "dry_run": args.dry_run, "found": len(rows), "pending_left_to_relay": pending,
        "sent": [], "unrouted": []}
    if args.dry_run or not rows:
        answer["would_send"] = [_shown(r) for r in rows] if args.dry_run else []
        return answer
    published, unrouted = _publish(args.amqp, answer["exchange"], rows)
    answer["sent"] = [_shown(r) for r in rows if r.id in published]
    answer["unrouted"] = [_shown(r) for r in rows if r.id in unrouted]
    return answer


def _shown(row) -> dict[str, Any]:
    created = row.created_at
    return {"message_id": row.message_id, "event_type": row.event_type,
            "created_at": created.isoformat() if created is not None else None,
            "state": row.state}


def _database_url(path: Path) -> str:
    import yaml
    from nameko.cli.main import setup_yaml_parser
    setup_yaml_parser()
    try:
        with path.open(encoding="utf-8") as f:
            config = yaml.safe_load(f)
    except OSError as exc:
        raise OpsError(f"--config {path}: {exc.strerror}", EXIT_USAGE) from None
    except yaml.YAMLError as exc:
        raise OpsError(f"--config {path}: not YAML: {exc}", EXIT_USAGE) from None
    url = config.get("DATABASE_URL") if isinstance(config, dict) else None
    if not url:
        raise OpsError(f"--config {path}: no DATABASE_URL", EXIT_USAGE)
    return str(url)


def _rows(url: str, start: datetime, end: datetime, types: list[str]):
    """The relayed rows of the range in id order, and how many are still pending there."""
    from sqlalchemy import MetaData, func, select

    from shared.messaging.outbox import PENDING, PUBLISHED, UNROUTED, outbox_table
    from shared.persistence.db import make_engine
    t = outbox_table(MetaData())
    span = (t.c.created_at >= start) & (t.c.created_at < end)
    if types:
        span = span & t.c.event_type.in_(types)
    try:
        engine = make_engine(url, pool_size=1, max_overflow=0)
    except Exception as exc:
        raise OpsError(f"database {shown(url)}: {exc}", EXIT_USAGE) from None
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(t.c.id, t.c.message_id, t.c.event_type, t.c.body, t.c.created_at,
                       t.c.state).where(span & t.c.state.in_([PUBLISHED, UNROUTED]))
                .order_by(t.c.id)).all()
            pending = conn.execute(select(func.count()).select_from(t)
                                   .where(span & (t.c.state == PENDING))).scalar_one()
    except Exception as exc:  # unreachable, or no outbox there
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OpsError(f"database {shown(url)}: {first}", EXIT_UNREACHABLE) from None
    finally:
        engine.dispose()
    return rows, int(pending)


def _publish(amqp: str, exchange_name: str, rows) -> tuple[set[int], set[int]]:
    """Publish in batches under confirms; the ids confirmed routed, and those returned."""
    from amqp.exceptions import ChannelError
    from kombu import Exchange

    from shared.messaging.outbox import PUBLISHED, UNROUTED, ConfirmedPublisher, ConfirmFailed
    # declared passively: it is the service's, and an operator may not (re)declare it
    publisher = ConfirmedPublisher(amqp, Exchange(exchange_name, type="topic", durable=True,
                                                  auto_delete=False, passive=True))
    published: set[int] = set()
    unrouted: set[int] = set()
    try:
        for i in range(0, len(rows), BATCH):
            states: dict[str, list[int]] = {PUBLISHED: [], UNROUTED: []}
            try:
                publisher.publish_rows(rows[i:i + BATCH], states)
            except ChannelError as exc:  # no such exchange, or no right to publish there
                raise OpsError(f"cannot publish to {exchange_name}: {exc} ({len(published)} "
                               "sent before)") from None
            except ConfirmFailed as exc:
                published.update(states[PUBLISHED])
                raise OpsError(f"{exc}; {len(published)} sent before it: run the same replay "
                               "again (consumers deduplicate)") from None
            published.update(states[PUBLISHED])
            unrouted.update(states[UNROUTED])
    finally:
        publisher.close()
    return published, unrouted


def _print(a: dict[str, Any]) -> None:
    what = f"{a['service']} events from {a['from']} to {a['to']}"
    if a["event_types"]:
        what += f" of type {', '.join(a['event_types'])}"
    if a["dry_run"]:
        print(f"dry run: {a['found']} {what} would be sent to {a['exchange']}")
        rows = a["would_send"]
    else:
        print(f"sent {len(a['sent'])} of {a['found']} {what} to {a['exchange']}, each with its "
              "original message id (consumers' inboxes deduplicate)")
        rows = a["sent"]
    if rows:
        table([(r["created_at"], r["event_type"], r["message_id"]) for r in rows],
              ("written at", "event type", "message id"), "  ")
    if a["unrouted"]:
        print(f"{len(a['unrouted'])} found no queue bound for their type (no consumer yet):")
        table([(r["created_at"], r["event_type"], r["message_id"]) for r in a["unrouted"]],
              ("written at", "event type", "message id"), "  ")
    if a["pending_left_to_relay"]:
        print(f"{a['pending_left_to_relay']} of the range are still pending: the service's "
              "relay sends them")
