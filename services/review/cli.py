"""`sanxiang review`: the review board's rules from the command line, without any service —
is a proposed decision major (`classify`), and when is a review due (`deadline`)."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from services.review.domain import Stop, review_deadline
from shared.calendar.legal import Calendar
from shared.cli.calendar import _date, _pause
from shared.errors import SanxiangError
from shared.law.major import DecisionProposal, classify
from shared.rulesets.repository import RuleSet, RuleSetRepository


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("review", help="legal review 法制审核: classify, deadline")
    sub = p.add_subparsers(dest="review_command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ruleset", required=True, metavar="ID",
                        help="rule-set id or id@version, e.g. lingchuan-emergency")
    common.add_argument("--dir", action="append", default=None, metavar="FOLDER",
                        help="rule-set folder (default: the shipped rulesets/)")

    c = sub.add_parser("classify", parents=[common],
                       help="is a proposed decision major (重大执法决定)? prints major / not major")
    c.add_argument("--act", required=True, help="act type: penalty, coercion, licence, …")
    c.add_argument("--party", choices=("organisation", "individual"),
                   help="party kind 当事人类型")
    c.add_argument("--fine", help="fine in CNY, e.g. 50000")
    c.add_argument("--measure", action="append", default=[], metavar="NAME",
                   help="a measure code, e.g. suspend_production (repeatable)")
    c.add_argument("--ground", action="append", default=[], metavar="CODE",
                   help="a general ground, e.g. public_interest (repeatable)")
    c.add_argument("--hearing", action="store_true", help="a hearing was held 经过听证")
    c.add_argument("--procedure", choices=("general", "simple"), default="general")
    c.add_argument("--licence-action", choices=("withdraw", "revoke", "annul"))
    c.add_argument("--coercive-execution", metavar="METHOD",
                   help="coercive execution method, e.g. substitute_performance")
    c.set_defaults(func=_guarded(_classify))

    d = sub.add_parser("deadline", parents=[common],
                       help="when a review is due; prints the ISO date first")
    d.add_argument("--complete", required=True, type=_date, metavar="DATE",
                   help="the day the materials were complete (received, where the rule set "
                        "starts the clock on receipt); not counted")
    d.add_argument("--extended", action="store_true", help="the approved extension applies")
    d.add_argument("--paused", action="append", default=[], type=_pause, metavar="FROM:TO",
                   help="the clock stopped on FROM and resumed on TO (repeatable): the days "
                        "after FROM up to and including TO are not counted")
    d.add_argument("--agency", help="agency code, for agency-local closures")
    d.add_argument("--calendar", action="append", default=[], metavar="FILE",
                   help="extra calendar file (repeatable)")
    d.add_argument("--explain", action="store_true", help="print the derivation")
    d.set_defaults(func=_guarded(_deadline))


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except SanxiangError as exc:
            print(f"sanxiang review: {exc.code}: {exc.message}", file=sys.stderr)
            for key, problems in (exc.details or {}).items():
                print(f"  {key}: {problems}", file=sys.stderr)
            return 1
    return wrapper


def _ruleset(args: argparse.Namespace) -> RuleSet:
    repo = RuleSetRepository(args.dir) if args.dir else RuleSetRepository.default()
    return repo.get(args.ruleset)


def _classify(args: argparse.Namespace) -> int:
    rs = _ruleset(args)
    verdict = classify(rs, DecisionProposal.from_request(
        {"act_type": args.act, "fine_amount": args.fine, "measures": args.measure,
         "hearing_held": args.hearing, "grounds": args.ground, "procedure": args.procedure,
         "licence_action": args.licence_action, "coercive_execution": args.coercive_execution},
        args.party))
    print(("major 重大" if verdict.major else "not major 非重大") + f"  ({rs.ref})")
    for rule in verdict.fired:
        print(f"  fired {rule.code}: {rule.label} — {rule.detail} [{rule.basis}]")
    for rule in verdict.optional:
        print(f"  may review {rule.code}: {rule.label} [{rule.basis}]")
    for note in verdict.notes:
        print(f"  note: {note}")
    if not verdict.major and not verdict.fired:
        print("  no catalogue rule fired")
    return 0


def _deadline(args: argparse.Namespace) -> int:
    rs = _ruleset(args)
    stops = [Stop(p[0], p[1], "cli", p[2] if len(p) > 2 else "") for p in args.paused]
    first, extended = review_deadline(Calendar.load(args.calendar), rs, args.complete,
                                      stops=stops, extended=args.extended, agency=args.agency)
    final = extended or first
    print(final.due.isoformat() + f"  ({rs.ref})")
    if args.explain:
        print(first.explain())
        if extended:
            print("— extension 延长 —")
            print(extended.explain())
    return 0
