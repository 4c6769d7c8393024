"""`sanxiang ops status`: every installed service — up or down, its version, contracts, peers,
calendar coverage, outbox backlog and dead letters (its `health`, asked over RPC with a
timeout; a service that does not answer is down) —, the broker's queues with their depths and
consumers (management API), the dead letters of each service grouped by reason, and the keys
and certificates under the key root with their age or expiry."""
from __future__ import annotations

import argparse
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.cli.ops.common import (
    DEFAULT_API,
    OpsError,
    broker_options,
    run,
    services,
    shown,
    table,
    unreachable,
    vhost_of,
)
from shared.messaging import dead_letters as dl

# a key older than this is flagged for rotation (Ed25519 keys carry no expiry of their own)
KEY_MAX_AGE_DAYS = 365
# a certificate expiring within this many days is flagged
EXPIRY_DAYS = 30


def register(osub) -> None:
    p = osub.add_parser("status", help="the deployment at a glance")
    p.add_argument("--service", default=None, help="one service (default: every installed one)")
    p.add_argument("--timeout", type=float, default=5.0,
                   help="seconds to wait for each service's health (default 5)")
    p.add_argument("--keys", default=None,
                   help="key root (default: $SANXIANG_KEYS, else .data/keys of the installation)")
    p.add_argument("--certs", action="append", default=[], metavar="PATH",
                   help="more certificate files or folders to check (PEM); repeatable")
    p.add_argument("--expiry-days", type=int, default=EXPIRY_DAYS,
                   help=f"flag certificates expiring within this many days ({EXPIRY_DAYS})")
    p.add_argument("--key-max-age-days", type=int, default=KEY_MAX_AGE_DAYS,
                   help=f"flag keys older than this for rotation ({KEY_MAX_AGE_DAYS})")
    p.add_argument("--reasons-limit", type=int, default=1000,
                   help="dead letters read per service to group their reasons (default 1000)")
    broker_options(p, management=True)
    p.set_defaults(func=_status)


def _status(args: argparse.Namespace) -> int:
    return run("status", args, lambda: (collect(args), _print))


def collect(args: argparse.Namespace) -> dict[str, Any]:
    names = services(args.service)
    _reachable(args.amqp)
    queues = _queues(args, names)
    answer: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "broker": shown(args.amqp),
        "services": [_service(args, name) for name in names],
        "queues": queues,
        "dead_letters": {name: _letters(args, name) for name in names},
    }
    answer.update(_trust(args))
    return answer


def _reachable(amqp: str) -> None:
    from kombu import Connection
    try:
        with Connection(amqp, connect_timeout=5) as conn:
            conn.connect()
    except Exception as exc:
        raise unreachable("broker", amqp, exc) from exc


def _service(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """Its health, or why it is down: no consumer on rpc-<name>, or no answer in time."""
    consumers = _consumers(args.amqp, f"rpc-{name}")
    out: dict[str, Any] = {"service": name, "up": False, "rpc_consumers": consumers}
    if not consumers:
        out["error"] = ("not deployed: no consumer on rpc-" + name if consumers == 0
                        else "not deployed: no queue rpc-" + name)
        return out
    from nameko.standalone.rpc import ClusterRpcProxy
    try:
        with ClusterRpcProxy({"AMQP_URI": args.amqp}, timeout=args.timeout) as rpc:
            health = getattr(rpc, name).health()
    except Exception as exc:  # RpcTimeout, a remote error, the broker gone
        out["error"] = (f"no answer to health in {args.timeout:g} s"
                        if type(exc).__name__ == "RpcTimeout"
                        else f"health failed: {type(exc).__name__}: {exc}")
        return out
    out.update(up=True, health=health)
    return out


def _consumers(amqp: str, queue: str) -> int | None:
    """Consumers of `queue` (passive declare); None where the queue does not exist."""
    from kombu import Connection
    with Connection(amqp, connect_timeout=5) as conn:
        channel = conn.channel()
        try:
            return int(channel.queue_declare(queue, passive=True).consumer_count)
        except conn.channel_errors:
            return None


def _queues(args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    """The vhost's queues from the management API: depth (ready, unacknowledged) and
    consumers; an API that does not answer is said, not fatal."""
    from urllib.parse import quote

    from shared.messaging.broker import BrokerSetupError, Management
    vhost = vhost_of(args.amqp)
    user, password = _api_login(args.amqp)
    api = getattr(args, "api", DEFAULT_API)
    try:
        rows = Management(api, user, password, timeout=args.timeout).call(
            "GET", f"queues/{quote(vhost, safe='')}",
            params={"columns": "name,type,messages_ready,messages_unacknowledged,consumers"}
        ).json()
    except (BrokerSetupError, OSError, ValueError) as exc:
        return {"vhost": vhost, "error": f"management API at {api}: {exc}", "items": []}
    except Exception as exc:  # requests' own errors (connection refused, timeout)
        return {"vhost": vhost, "error": f"management API at {api}: {type(exc).__name__}: "
                                         f"{exc}", "items": []}
    items = [{"name": q["name"], "type": q.get("type"), "ready": q.get("messages_ready", 0),
              "unacked": q.get("messages_unacknowledged", 0), "consumers": q.get("consumers", 0),
              "service": _owner(q["name"], names)}
             for q in sorted(rows, key=lambda q: q["name"])
             if not q["name"].startswith("rpc.reply-")]
    return {"vhost": vhost, "error": None, "items": items}


def _api_login(amqp: str) -> tuple[str, str]:
    """RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD where set, else the broker login (an
    operator's user has the monitoring tag: `sanxiang broker add-operator`)."""
    from kombu import Connection
    if os.environ.get("RABBITMQ_ADMIN_USER"):
        return os.environ["RABBITMQ_ADMIN_USER"], os.environ.get("RABBITMQ_ADMIN_PASSWORD", "")
    conn = Connection(amqp)
    return conn.userid or "guest", conn.password or "guest"


def _owner(queue: str, names: list[str]) -> str | None:
    """The service a queue is of, by the names nameko and the kernel give them."""
    for name in names:
        if (queue in (f"rpc-{name}", dl.queue_name(name), dl.dropped_queue(name))
                or queue.split("--", 1)[-1].split(".", 1)[0] == name and "--" in queue):
            return name
    return None


def _letters(args: argparse.Namespace, name: str) -> dict[str, Any]:
    queue = dl.queue_name(name)
    total = dl.count(args.amqp, queue)
    read = dl.peek(args.amqp, queue, args.reasons_limit) if total else []
    return {"queue": queue, "count": total, "read": len(read),
            "kinds": dict(Counter(letter.kind for letter in read).most_common()),
            "dropped": dl.count(args.amqp, dl.dropped_queue(name))}


# ---- keys and certificates ---------------------------------------------------------------------

def _trust(args: argparse.Namespace) -> dict[str, Any]:
    from shared.cli.keys import default_root
    root = Path(args.keys) if args.keys else default_root()
    now = datetime.now(UTC)
    keys = _keys(root, now, args.key_max_age_days)
    certs = _certificates([root] if root.is_dir() else [], now, args.expiry_days,
                          extra=[Path(c) for c in args.certs])
    return {"keys": {"root": str(root), "exists": root.is_dir(), "items": keys},
            "certificates": certs}


def _keys(root: Path, now: datetime, max_age: int) -> list[dict[str, Any]]:
    """Every key file: its kind and holder from the layout (shared.trust.keys), its age from the
    file's time; Ed25519 keys have no expiry, so a key past `max_age` days is due for rotation.
    Private keys are never opened."""
    out = []
    for path in sorted(root.glob("*/**/*.pem")) if root.is_dir() else []:
        rel = path.relative_to(root).parts
        if _is_certificate(path):
            continue
        age = (now - datetime.fromtimestamp(path.stat().st_mtime, UTC)).days
        kind = (f"{rel[0]} {rel[-1].split('.')[0]}" if rel[0] == "private"
                else f"public {rel[1]}")
        holder = rel[1] if rel[0] == "private" or len(rel) < 4 else rel[2]
        out.append({"path": "/".join(rel), "kind": kind, "holder": holder, "age_days": age,
                    "expires": None, "rotation_due": age > max_age})
    return out


def _is_certificate(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return b"BEGIN CERTIFICATE" in f.read(4096)
    except OSError:
        return False


def _certificates(paths: list[Path], now: datetime, within: int, *,
                  extra: list[Path]) -> list[dict[str, Any]]:
    """X.509 certificates (PEM) in `paths` and `extra` (which must exist): subject, expiry,
    days left, flagged within `within` days or expired."""
    from cryptography import x509
    files: list[Path] = []
    for path in [*paths, *extra]:
        if path.is_dir():
            files += [p for p in sorted(path.rglob("*")) if p.suffix in (".pem", ".crt", ".cer")
                      and "private" not in p.relative_to(path).parts[:1]]
        elif path.exists():
            files.append(path)
        else:
            raise OpsError(f"--certs {path}: no such file or folder", 2)
    out = []
    for path in files:
        if not _is_certificate(path):
            continue
        for cert in x509.load_pem_x509_certificates(path.read_bytes()):
            until = cert.not_valid_after_utc
            left = (until - now).days
            out.append({"path": str(path), "subject": cert.subject.rfc4514_string(),
                        "not_after": until.isoformat(), "days_left": left,
                        "expiring": left <= within})
    return out


# ---- printing ----------------------------------------------------------------------------------

def _print(a: dict[str, Any]) -> None:
    print(f"sanxiang ops status at {a['at']} — broker {a['broker']}")
    print()
    rows = []
    for s in a["services"]:
        h = s.get("health") or {}
        cal = h.get("calendar") or {}
        box = h.get("outbox") or {}
        rows.append((s["service"], "up" if s["up"] else "DOWN", h.get("version"),
                     (h.get("contracts") or {}).get("contract"),
                     ",".join(h.get("missing_peers") or []) or ("-" if not s["up"] else "none"),
                     cal.get("covered_until"), cal.get("days_left"), box.get("pending"),
                     box.get("unrouted"), box.get("oldest_pending_seconds"),
                     a["dead_letters"][s["service"]]["count"]))
    table(rows, ("service", "state", "version", "contract", "missing peers", "calendar until",
                 "days left", "pending", "unrouted", "oldest s", "dead"))
    for s in a["services"]:
        if not s["up"]:
            print(f"  {s['service']}: {s['error']}")
        elif (s["health"].get("calendar") or {}).get("warning"):
            print(f"  {s['service']}: {s['health']['calendar']['warning']}")
    _print_letters(a["dead_letters"])
    _print_queues(a["queues"])
    _print_trust(a)


def _print_letters(letters: dict[str, Any]) -> None:
    rows = [(name, d["count"], kind, n) for name, d in letters.items()
            for kind, n in d["kinds"].items()]
    dropped = {name: d["dropped"] for name, d in letters.items() if d["dropped"]}
    if rows:
        print("\ndead letters by reason:")
        table(rows, ("service", "waiting", "reason", "count"), "  ")
    if dropped:
        print("dropped (kept in dlq.<service>.dropped): "
              + ", ".join(f"{k} {v}" for k, v in dropped.items()))


def _print_queues(q: dict[str, Any]) -> None:
    print(f"\nqueues of vhost {q['vhost']}:")
    if q["error"]:
        print(f"  {q['error']}")
        return
    table([(i["name"], i["type"], i["ready"], i["unacked"], i["consumers"]) for i in q["items"]],
          ("queue", "type", "ready", "unacked", "consumers"), "  ")


def _print_trust(a: dict[str, Any]) -> None:
    keys = a["keys"]
    if not keys["exists"]:
        print(f"\nkeys: no key root at {keys['root']}")
    else:
        due = [k for k in keys["items"] if k["rotation_due"]]
        print(f"\nkeys under {keys['root']}: {len(keys['items'])} (Ed25519: no expiry); "
              + (f"{len(due)} older than the rotation age:" if due else "none due for rotation"))
        for k in due:
            print(f"  {k['path']}: {k['age_days']} days old")
    certs = a["certificates"]
    if certs:
        print("certificates:")
        table([(c["path"], c["subject"], c["not_after"][:10], c["days_left"],
                "EXPIRING" if c["expiring"] else "ok") for c in certs],
              ("file", "subject", "not after", "days left", ""), "  ")
