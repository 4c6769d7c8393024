"""`sanxiang` command line. Each sub-command lives in its own module with a
``register(subparsers)`` function that adds its parser and sets ``func``."""
from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import entry_points

# Sub-command modules, in the order `sanxiang --help` lists them.
COMMANDS = ("run", "call", "ruleset", "calendar", "contracts", "keys", "token", "broker", "db",
            "ops")
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
    _add_json(parser)
    return parser


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed
    try:
        return installed("sanxiang")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _add_json(parser: argparse.ArgumentParser) -> None:
    """`--json` on every command that answers and ends (not `run`, which keeps running): a
    command that prints JSON itself says so (json_native); any other's output is given back
    as {"command", "exit_code", "stdout", "stderr"} (lines)."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, child in action.choices.items():
            if name == "run":
                continue
            if any(a.choices for a in child._actions
                   if isinstance(a, argparse._SubParsersAction)):
                _add_json(child)
            elif "--json" in child._option_string_actions:
                child.set_defaults(json_native=True)
            else:
                child.add_argument("--json", action="store_true",
                                   help="print the answer as one JSON object")


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
    # nor does cryptography's about DSA, which the DNS library eventlet loads still names
    warnings.filterwarnings("ignore", message=r"DSA is deprecated")
    parser = build_parser()
    parser.add_argument("--version", action="version", version=f"sanxiang {version()}")
    # FIELD=VALUE pairs may follow options (`sanxiang call M --as officer case_id=…`): what
    # argparse leaves over goes to a command that takes it (takes_rest), else is an error
    args, rest = parser.parse_known_args(argv)
    if rest and not getattr(args, "takes_rest", False):
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if getattr(args, "json", False) and not getattr(args, "json_native", False):
        return _as_json(args, argv if argv is not None else sys.argv[1:])
    return int(args.func(args) or 0)


def _as_json(args: argparse.Namespace, argv: list[str]) -> int:
    """Run a command that prints text and print what it printed as one JSON object."""
    import contextlib
    import io
    import json
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = int(args.func(args) or 0)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
            if not isinstance(exc.code, int) and exc.code is not None:
                print(exc.code, file=sys.stderr)
    print(json.dumps({"command": [a for a in argv if a != "--json"], "exit_code": code,
                      "stdout": out.getvalue().splitlines(),
                      "stderr": err.getvalue().splitlines()}, ensure_ascii=False, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
