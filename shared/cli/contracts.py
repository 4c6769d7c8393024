"""`sanxiang contracts export [--check] [SERVICE ...]`: regenerate the JSON Schemas, examples and
AsyncAPI documents under contracts/<service>/ from the Python contracts, or (--check) write
nothing and fail listing every stale, missing or extra file, so CI keeps the exports honest."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.contracts import export as contract_export


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "contracts", help="export service contracts (JSON Schema, examples, AsyncAPI 3.0.0)")
    sub = parser.add_subparsers(dest="contracts_command", metavar="ACTION")
    export = sub.add_parser(
        "export", help="write contracts/<service>/{schemas,examples,asyncapi.yaml}",
        description="Export every contract in contracts/*/__init__.py, or only the named services.")
    export.add_argument("services", nargs="*", metavar="SERVICE",
                        help="services to export (default: all)")
    export.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 listing every stale, missing or extra file")
    export.add_argument("--out", type=Path, default=contract_export.CONTRACTS_DIR,
                        help=argparse.SUPPRESS)  # tests export elsewhere
    export.set_defaults(func=run_export)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])


def run_export(args: argparse.Namespace) -> int:
    contracts = contract_export.discover()
    unknown = sorted(set(args.services) - set(contracts))
    if unknown:
        known = ", ".join(sorted(contracts)) or "none"
        print(f"unknown service(s): {', '.join(unknown)}; known: {known}", file=sys.stderr)
        return 2
    chosen = [contracts[name] for name in (args.services or sorted(contracts))]
    if not chosen:
        print("no contracts found in contracts/*/__init__.py", file=sys.stderr)
        return 0
    if args.check:
        problems = [p for contract in chosen for p in contract_export.check(contract, args.out)]
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} exported file(s) out of date: run `sanxiang contracts export`",
                  file=sys.stderr)
            return 1
        print(f"contracts up to date: {', '.join(c.service for c in chosen)}")
        return 0
    for contract in chosen:
        changes = contract_export.export(contract, args.out)
        for change in changes:
            print(change.replace("stale:", "updated:").replace("missing:", "created:")
                  .replace("extra:", "removed:"))
        print(f"{contract.service}: {len(changes)} file(s) changed")
    return 0
