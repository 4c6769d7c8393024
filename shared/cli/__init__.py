"""`sanxiang` command line. Each sub-command lives in its own module with a
``register(subparsers)`` function that adds its parser and sets ``func``."""
from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import entry_points

# Sub-command modules, in the order `sanxiang --help` lists them.
COMMANDS = ("run", "ruleset", "calendar", "contracts", "keys", "token", "broker", "db")
# Services and the application (the demo) add their own (entry points "sanxiang.commands" in
# pyproject.toml), after these.
PLUGIN_GROUP = "sanxiang.commands"


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
    for entry in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            module = entry.load()
        except ModuleNotFoundError as exc:
            # a service left out of this installation takes its commands with it
            if not entry.value.startswith(exc.name or "\0"):
                raise
            continue
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
