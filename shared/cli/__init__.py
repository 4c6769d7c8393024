"""`sanxiang` command line. Each sub-command lives in its own module with a
``register(subparsers)`` function that adds its parser and sets ``func``."""
from __future__ import annotations

import argparse
import importlib
import sys

# Sub-command modules, in the order `sanxiang --help` lists them.
COMMANDS = ("run", "demo", "ruleset", "calendar", "review", "templates", "contracts", "keys",
            "token", "broker", "db")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sanxiang",
        description="Sanxiang (三项): enforcement disclosure, full-process records, legal review.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"shared.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"shared.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    import signal
    import warnings
    if argv is None:
        # `sanxiang ruleset show X | head` should end quietly, like any Unix tool — but only
        # as the command itself: called in-process (tests), a default SIGPIPE would make any
        # later write to a closed socket kill the whole host process without a word
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # eventlet's deprecation notice at import says nothing a user can act on
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
