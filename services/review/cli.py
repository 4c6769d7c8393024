"""`sanxiang review`: the review board's rules from the command line, without any service —
is a proposed decision major (`classify`), and when is a review due (`deadline`) — and, over
RPC with the caller's actor token, the reviews assigned to the caller (`mine`)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from nameko.exceptions import RemoteError

from services.review.domain import Stop, review_deadline
from shared.calendar.legal import Calendar
from shared.cli.calendar import _date, _pause
from shared.errors import SanxiangError
from shared.law.major import DecisionProposal, classify
from shared.rulesets.repository import RuleSet, RuleSetRepository


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("review", help="legal review 法制审核: classify, deadline, mine")
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

    m = sub.add_parser("mine", help="the reviews assigned to me (over RPC, as my token's "
                                    "actor), newest requested first")
    m.add_argument("--token", default=os.environ.get("SANXIANG_TOKEN"),
                   help="the caller's actor token (default: $SANXIANG_TOKEN)")
    m.add_argument("--agency", help="agency code (default: the token's agency)")
    m.add_argument("--amqp", default=os.environ.get("AMQP_URI", DEFAULT_AMQP),
                   help="broker URI (default: $AMQP_URI)")
    m.add_argument("--state", help="only reviews in this state")
    m.add_argument("--any-state", action="store_true",
                   help="reviews past their opinion too (default: only those before it)")
    m.add_argument("--limit", type=int, default=50, help="reviews per page (default 50)")
    m.add_argument("--cursor", help="the page after this cursor (printed as next:)")
    m.add_argument("--all", action="store_true", help="follow every page")
    m.add_argument("--json", action="store_true", help="print each page as JSON")
    m.add_argument("--timeout", type=float, default=30, help="seconds per call")
    m.set_defaults(func=_guarded(_mine))


DEFAULT_AMQP = "pyamqp://guest:guest@127.0.0.1:5672/"


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except SanxiangError as exc:
            print(f"sanxiang review: {exc.code}: {exc.message}", file=sys.stderr)
            for key, problems in (exc.details or {}).items():
                print(f"  {key}: {problems}", file=sys.stderr)
            return 1
        except RemoteError as exc:  # the board refused the call
            print(f"sanxiang review: {exc.exc_type}: {exc.value}", file=sys.stderr)
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


def _token_agency(token: str) -> str | None:
    """The agency a token names (read to fill in --agency; the board verifies the token)."""
    import jwt
    try:
        agency = jwt.decode(token, options={"verify_signature": False}).get("agency")
    except jwt.PyJWTError:
        return None
    return agency if isinstance(agency, str) else None


def _mine(args: argparse.Namespace) -> int:
    if not args.token:
        raise SystemExit("give --token or set SANXIANG_TOKEN (sanxiang token issue)")
    agency = args.agency or _token_agency(args.token)
    if not agency:
        raise SystemExit("give --agency (the token names none)")
    payload: dict[str, Any] = {"agency": agency, "limit": args.limit,
                               "open_only": not args.any_state}
    if args.state:
        payload["state"] = args.state
    if args.cursor:
        payload["cursor"] = args.cursor
    from nameko.standalone.rpc import ClusterRpcProxy
    shown, after = 0, None
    with ClusterRpcProxy({"AMQP_URI": args.amqp}, timeout=args.timeout,
                         context_data={"actor_token": args.token}) as proxy:
        while True:
            page = proxy.review.my_reviews(**payload)
            _print_reviews(page, args.json)
            shown, after = shown + len(page["items"]), page["next"]
            if not (args.all and after):
                break
            payload["cursor"] = after
    if not args.json:
        print(f"({shown} shown" + (f"; next: --cursor {after})" if after else ")"))
    return 0


def _print_reviews(page: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(page, ensure_ascii=False))
        return
    for review in page["items"]:
        due = (review.get("deadline") or {}).get("due") or "no clock yet"
        print(f"{review['case_no']}  {review['state']:<20} due {due}  "
              f"{review.get('case_title') or ''}  [{review['id']}]")
