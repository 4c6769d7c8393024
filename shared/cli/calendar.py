"""`sanxiang calendar`: compute legal deadlines and check calendar files from the shell.
The first line of every answer is the bare result so scripts can read it; errors go to stderr
with a non-zero exit code (1: calendar not covered or invalid file, 2: bad arguments)."""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

from shared.calendar.clock import local_date, now
from shared.calendar.files import load_file
from shared.calendar.legal import UNITS, Calendar
from shared.calendar.notice import load_notice
from shared.cli.parsing import arg_date, parse_date
from shared.errors import ConfigurationError, ValidationFailed


def register(subparsers) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--calendar", action="append", default=[], metavar="FILE",
                        help="extra calendar file overriding the shipped one (repeatable)")
    common.add_argument("--agency", help="agency code, for agency-local closures")
    parser = subparsers.add_parser("calendar", help="legal calendar: working days and deadlines")
    sub = parser.add_subparsers(dest="calendar_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("add-workdays", parents=[common],
                       help="the N-th working day after DATE (DATE not counted)")
    p.add_argument("date", type=_date)
    p.add_argument("amount", type=int)
    p.add_argument("--explain", action="store_true", help="print the derivation")
    p.set_defaults(func=_add_workdays)

    p = sub.add_parser("due", parents=[common], help="a deadline: AMOUNT UNIT after DATE")
    p.add_argument("date", type=_moment, help="YYYY-MM-DD, or YYYY-MM-DDTHH:MM for hours")
    p.add_argument("amount", type=int)
    p.add_argument("unit", choices=UNITS)
    p.add_argument("--rule", default="cli")
    p.add_argument("--basis", default="")
    p.add_argument("--pause", action="append", default=[], type=_pause, metavar="FROM:TO[:LABEL]",
                   help="clock stopped on these days, inclusive (repeatable)")
    p.add_argument("--explain", action="store_true", help="print the derivation")
    p.set_defaults(func=_due)

    p = sub.add_parser("is-workday", parents=[common], help="is DATE a working day, and why")
    p.add_argument("date", type=_date)
    p.set_defaults(func=_is_workday)

    p = sub.add_parser("check", help="validate a calendar file")
    p.add_argument("file")
    p.set_defaults(func=_check)

    p = sub.add_parser("load", help="load a new year's State Council notice into a calendar "
                                    "file: checked, and what changed reported")
    p.add_argument("notice", help="the notice as a one-year calendar file (see the shipped "
                                  "calendar_data/cn.yaml)")
    p.add_argument("--into", required=True, metavar="FILE",
                   help="the deployment's calendar file (one of CALENDAR_FILES); created "
                        "if missing, the year's entry replaced if present")
    p.add_argument("--calendar", action="append", default=[], metavar="FILE",
                   help="other calendar files the services load before FILE (repeatable)")
    p.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    p.set_defaults(func=_load)

    p = sub.add_parser("info", parents=[common], help="files, covered years and fingerprint")
    p.set_defaults(func=_info)


def _date(text: str) -> date:
    return arg_date(text)  # 2025-09-28 or 2025年9月28日 (shared.cli.parsing)


def _moment(text: str) -> date:
    try:
        return datetime.fromisoformat(text) if "T" in text or " " in text \
            else parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date or datetime: {text!r}") from None


def _pause(text: str) -> tuple:
    parts = text.split(":", 2)
    if len(parts) < 2:
        raise argparse.ArgumentTypeError(f"a pause is FROM:TO[:LABEL], not {text!r}")
    return (_date(parts[0]), _date(parts[1]), *parts[2:])


def _guarded(run):
    """Calendar errors become a message on stderr and exit 1, not a traceback."""
    def wrapper(args) -> int:
        try:
            return run(args)
        except (ConfigurationError, ValidationFailed) as exc:
            print(f"sanxiang calendar: {exc}", file=sys.stderr)
            return 1
    return wrapper


@_guarded
def _add_workdays(args) -> int:
    return _print_deadline(Calendar.load(args.calendar).due(
        args.date, args.amount, "workdays", rule="cli", agency=args.agency), args.explain)


@_guarded
def _due(args) -> int:
    return _print_deadline(Calendar.load(args.calendar).due(
        args.date, args.amount, args.unit, rule=args.rule, basis=args.basis,
        agency=args.agency, paused=args.pause), args.explain)


def _print_deadline(deadline, explain: bool) -> int:
    print(deadline.due.isoformat())
    if explain:
        print(deadline.explain())
    return 0


@_guarded
def _is_workday(args) -> int:
    work, why = Calendar.load(args.calendar).status(args.date, args.agency)
    print(("workday 工作日" if work else "rest day 休息日") + (f"  {why}" if why else ""))
    return 0


@_guarded
def _check(args) -> int:
    f = load_file(args.file)
    years = ", ".join(f"{y.year}{' complete' if y.complete else ''}" for y in f.years) or "none"
    print(f"ok: {f.path} (years: {years}; closures: {len(f.closures)})")
    return 0


@_guarded
def _load(args) -> int:
    loaded = load_notice(args.notice, args.into, others=args.calendar, dry_run=args.dry_run)
    print(("checked, not written: " if args.dry_run else f"loaded into {args.into}: ")
          + loaded.report())
    return 0


@_guarded
def _info(args) -> int:
    cal = Calendar.load(args.calendar)
    low, high = cal.chinesecalendar_years
    extra = sorted(y.year for f in cal.files for y in f.years if y.complete)
    print(f"fingerprint {cal.fingerprint}")
    print(f"chinesecalendar covers {low}–{high}; complete calendar-file years: "
          f"{', '.join(map(str, extra)) or 'none'}")
    coverage = cal.coverage(local_date(now()))
    print(f"covered {coverage.first} – {coverage.last} ({coverage.days_left} days left)")
    if coverage.warning:
        print(f"warning: {coverage.warning}")
    for f in cal.files:
        print(f"file {f.path}")
    return 0
