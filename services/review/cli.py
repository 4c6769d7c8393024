"""`sanxiang review`: the review board's rules from the command line, without any service —
is a proposed decision major (`classify`), and when is a review due (`deadline`) — and, over
RPC with the caller's actor token, the reviews assigned to the caller (`mine`). What a
Chinese user types is read as the rule set reads it (shared.cli.parsing): measures, act types
and party kinds by their labels (`--measure 责令停产停业整顿`), fines as `5万`, days as
`2025年9月28日`; `--json` prints the answer as one JSON object."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from nameko.exceptions import RemoteError

from services.review.domain import Stop, review_deadline
from services.review.domain.clock import pause_reason
from shared.calendar.legal import Calendar
from shared.cli.caller import actor_options, caller_token, page_options, page_request, pages, rpc
from shared.cli.parsing import arg_amount, arg_date, merged, resolve_code
from shared.errors import SanxiangError, ValidationFailed
from shared.law.major import DecisionProposal, classify
from shared.rulesets import vocabulary as vocab
from shared.rulesets.repository import RuleSet, RuleSetRepository

# how each rule set names the day its review clock starts (review.clock_starts)
CLOCK_STARTS = {"receipt": "收到送审材料之日 (the day the materials were received)",
                "complete_materials": "收到完备的送审材料之日 (the day the materials were "
                                      "complete)"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("review", help="legal review 法制审核: classify, deadline, mine")
    sub = p.add_subparsers(dest="review_command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ruleset", required=True, metavar="ID",
                        help="rule-set id or id@version, e.g. lingchuan-emergency")
    common.add_argument("--dir", action="append", default=None, metavar="FOLDER",
                        help="rule-set folder (default: $SANXIANG_RULESETS or rulesets/)")
    common.add_argument("--json", action="store_true", help="print one JSON object")

    c = sub.add_parser("classify", parents=[common],
                       help="is a proposed decision major (重大执法决定)? prints major / not major")
    c.add_argument("--act", required=True,
                   help="act type, code or label: penalty / 行政处罚, coercion / 行政强制, …")
    c.add_argument("--party", help="party kind 当事人类型: organisation / 单位, individual / 个人")
    c.add_argument("--fine", type=arg_amount, help="fine in yuan: 50000, 5万, 3.5万元, 1,200")
    c.add_argument("--measure", action="append", default=[], metavar="NAME",
                   help="a measure, code or the rule set's label, e.g. suspend_production or "
                        "责令停产停业 (repeatable)")
    c.add_argument("--ground", action="append", default=[], metavar="CODE",
                   help="a general ground, code or label, e.g. public_interest (repeatable)")
    c.add_argument("--hearing", action="store_true", help="a hearing was held 经过听证")
    c.add_argument("--procedure", default="general",
                   help="general / 普通程序, simple / 简易程序")
    c.add_argument("--licence-action", help="withdraw / revoke / annul, or its label")
    c.add_argument("--coercive-execution", metavar="METHOD",
                   help="coercive execution method, code or label, e.g. substitute_performance")
    c.set_defaults(func=_guarded(_classify), json_native=True)

    d = sub.add_parser("deadline", parents=[common],
                       help="when a review is due; prints the ISO date first")
    start = d.add_mutually_exclusive_group(required=True)
    start.add_argument("--complete", dest="start", type=arg_date, metavar="DATE",
                       help="the day the materials were complete (rule sets whose clock starts "
                            "on complete materials); not counted. 2025-09-28 or 2025年9月28日")
    start.add_argument("--received", dest="start", type=arg_date, metavar="DATE",
                       help="the day the materials were received (rule sets whose clock starts "
                            "on receipt, e.g. lingchuan-emergency); not counted")
    d.add_argument("--extended", action="store_true", help="the approved extension applies")
    d.add_argument("--paused", action="append", default=[], type=_pause,
                   metavar="FROM:TO[:REASON]",
                   help="the clock stopped on FROM and resumed on TO (repeatable), for REASON "
                        "(a pause reason of the rule set, code or label): the days after FROM "
                        "up to and including TO are not counted. Refused where the rule set "
                        "stops the clock for nothing, as the review board refuses it")
    d.add_argument("--agency", help="agency code, for agency-local closures")
    d.add_argument("--calendar", action="append", default=[], metavar="FILE",
                   help="extra calendar file (repeatable)")
    d.add_argument("--explain", action="store_true", help="print the derivation")
    d.set_defaults(func=_guarded(_deadline), json_native=True)

    m = sub.add_parser("mine", parents=[actor_options(), page_options()],
                       help="the reviews assigned to me (over RPC, as my token's actor), newest "
                            "requested first")
    m.add_argument("--state", help="only reviews in this state")
    m.add_argument("--any-state", action="store_true",
                   help="reviews past their opinion too (default: only those before it)")
    m.set_defaults(func=_guarded(_mine))


def _pause(text: str) -> tuple:
    parts = text.split(":", 2)
    if len(parts) < 2:
        raise argparse.ArgumentTypeError(f"a pause is FROM:TO[:REASON], not {text!r}")
    return (arg_date(parts[0]), arg_date(parts[1]), *parts[2:])


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except SanxiangError as exc:
            if args.json:
                print(json.dumps({"error": exc.payload()}, ensure_ascii=False), file=sys.stderr)
                return 1
            print(f"sanxiang review: {exc.code}: {exc.message}", file=sys.stderr)
            if exc.message_zh:
                print(f"  {exc.message_zh}", file=sys.stderr)
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


def _code(value: str | None, field: str, vocabulary, what: str) -> str | None:
    """`value` as its code, or ValidationFailed naming the option and the rule."""
    if value is None:
        return None
    try:
        return resolve_code(value, vocabulary, what=what)
    except ValueError as exc:
        raise ValidationFailed.from_messages({field: [str(exc)]}, what="arguments") from None


def _proposal(args: argparse.Namespace, rs: RuleSet) -> tuple[dict, str | None]:
    """The proposed decision the options describe, in codes, and the party kind."""
    majors = rs.section("major_decisions")
    measures = merged(vocab.MEASURES, majors.get("measures") or [])
    grounds = merged(vocab.GROUNDS, majors.get("general_grounds") or [])
    decision = {
        "act_type": _code(args.act, "--act", vocab.ACT_TYPES, "act type"),
        "fine_amount": args.fine,
        "measures": [_code(m, "--measure", measures, "measure") for m in args.measure],
        "hearing_held": args.hearing,
        "grounds": [_code(g, "--ground", grounds, "ground") for g in args.ground],
        "procedure": _code(args.procedure, "--procedure", vocab.PROCEDURES, "procedure"),
        "licence_action": _code(args.licence_action, "--licence-action", vocab.LICENCE_ACTIONS,
                                "licence action"),
        "coercive_execution": _code(args.coercive_execution, "--coercive-execution",
                                    vocab.COERCIVE_EXECUTION_METHODS, "coercive execution"),
    }
    return decision, _code(args.party, "--party", vocab.PARTY_KINDS, "party kind")


def _classify(args: argparse.Namespace) -> int:
    rs = _ruleset(args)
    decision, party = _proposal(args, rs)
    verdict = classify(rs, DecisionProposal.from_request(decision, party))
    if args.json:
        print(json.dumps(dict(verdict.to_dict(), ruleset=rs.ref, proposal=dict(
            decision, party_kind=party)), ensure_ascii=False, indent=2))
        return 0
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


def _stops(rs: RuleSet, paused: list[tuple]) -> list[Stop]:
    """The pauses as the review board takes them: for a reason the rule set names
    (review.pause_reasons), and none at all where it names none (陵川 counts every day)."""
    reasons = rs.section("review")["pause_reasons"]
    stops = []
    for i, (stopped_on, resumed_on, *rest) in enumerate(paused):
        if rest or not reasons:
            try:
                code = _code(rest[0], "reason", reasons, "pause reason") if rest and reasons \
                    else (rest[0] if rest else "")
                reason = pause_reason(rs, code or "")
            except ValidationFailed as exc:
                rules = [rule for found in exc.details.values() for rule in found]
                raise ValidationFailed.from_messages({f"--paused.{i}": rules},
                                                     what="arguments") from None
            stops.append(Stop(stopped_on, resumed_on, reason["code"], reason["label"]))
        else:
            stops.append(Stop(stopped_on, resumed_on, "cli", ""))
    return stops


def _deadline(args: argparse.Namespace) -> int:
    rs = _ruleset(args)
    stops = _stops(rs, args.paused)
    clock = rs.section("review").get("clock_starts") or {}
    starts = clock.get("value", "complete_materials")
    first, extended = review_deadline(Calendar.load(args.calendar), rs, args.start,
                                      stops=stops, extended=args.extended, agency=args.agency)
    final = extended or first
    if args.json:
        print(json.dumps({"due": final.due.isoformat(), "ruleset": rs.ref,
                          "clock_starts": {"value": starts, "label": CLOCK_STARTS.get(starts),
                                           "basis": clock.get("basis")},
                          "first": first.to_dict(),
                          "extended": extended.to_dict() if extended else None},
                         ensure_ascii=False, indent=2))
        return 0
    print(final.due.isoformat() + f"  ({rs.ref})")
    print(f"  clock starts {args.start.isoformat()}: {CLOCK_STARTS.get(starts, starts)}"
          + (f" [{clock['basis']}]" if clock.get("basis") else ""))
    if args.explain:
        print(first.explain())
        if extended:
            print("— extension 延长 —")
            print(extended.explain())
    return 0


def _mine(args: argparse.Namespace) -> int:
    token = caller_token(args)
    payload = page_request(args, token, open_only=not args.any_state, state=args.state)
    payload["open_only"] = not args.any_state  # False is a value here, not an absent filter
    shown, after = 0, None
    for page in pages(rpc(args, token, "review", "my_reviews"), payload, args.all):
        _print_reviews(page, args.json)
        shown, after = shown + len(page["items"]), page["next"]
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
