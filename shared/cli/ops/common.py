"""What the `sanxiang ops` commands share: where the broker and its management API are, the
installed services, printing (a compact table, or JSON with --json) and errors that name what
is wrong."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
DEFAULT_API = "http://127.0.0.1:15672/api"


class OpsError(Exception):
    """A command that cannot go on: its message says what is wrong; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED):
        super().__init__(message)
        self.code = code


def broker_options(p: argparse.ArgumentParser, *, management: bool = False) -> None:
    from shared.cli.run import DEFAULT_AMQP
    p.add_argument("--amqp", default=os.environ.get("AMQP_URI", DEFAULT_AMQP),
                   help="the broker, with an operator's login (env AMQP_URI, default the "
                        "local broker)")
    if management:
        p.add_argument("--api", default=os.environ.get("RABBITMQ_API", DEFAULT_API),
                       help=f"management API (env RABBITMQ_API, default {DEFAULT_API}); login "
                            "RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")


def shown(uri: str) -> str:
    """A URL as it may be printed: without its password."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def vhost_of(amqp_uri: str) -> str:
    from kombu import Connection
    return Connection(amqp_uri).virtual_host or "/"


def services(wanted: str | None) -> list[str]:
    """The installed services, or the one named (which must be installed)."""
    from shared.cli.services import installed
    names = list(installed())
    if wanted is None:
        return names
    if wanted not in names:
        raise OpsError(f"--service {wanted!r}: no installed service of that name; one of: "
                       f"{', '.join(names)}", EXIT_USAGE)
    return [wanted]


def unreachable(what: str, uri: str, exc: BaseException) -> OpsError:
    text = str(exc).strip().splitlines()
    return OpsError(f"{what} unreachable at {shown(uri)}: {type(exc).__name__}"
                    f"{': ' + text[0] if text else ''}", EXIT_UNREACHABLE)


def run(name: str, args: argparse.Namespace, body: Callable[[], tuple[Any, Callable[[Any],
        None]]]) -> int:
    """Run a command's `body` -> (answer, print it as text); print the answer as JSON with
    --json; an OpsError (or a broker that cannot be reached) becomes its message on stderr —
    as {"error": …} with --json — and its exit code."""
    try:
        answer, human = body()
    except OpsError as exc:
        return _failed(name, args, str(exc), exc.code)
    except (OSError, ConnectionError) as exc:
        amqp = getattr(args, "amqp", "")
        return _failed(name, args, str(unreachable("broker", amqp, exc)), EXIT_UNREACHABLE)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2, default=str))
    else:
        human(answer)
    return EXIT_OK


def _failed(name: str, args: argparse.Namespace, message: str, code: int) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"error": {"command": f"ops {name}", "message": message,
                                    "exit_code": code}}, ensure_ascii=False, indent=2),
              file=sys.stderr)
    else:
        print(f"sanxiang ops {name}: {message}", file=sys.stderr)
    return code


def table(rows: Sequence[Sequence[Any]], header: Sequence[str], indent: str = "") -> None:
    """Rows as a compact table: columns as wide as their widest cell, None as '-'."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    print(indent + "  ".join(h.upper().ljust(w) for h, w in zip(header, widths,
                                                               strict=True)).rstrip())
    for row in cells:
        print(indent + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
