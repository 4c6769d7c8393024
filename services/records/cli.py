"""`sanxiang cases`: finding work in the record keeper from the command line, over RPC with
the caller's actor token — cases by handler, party, stage, status, opening day and open
deadlines (`find`), the caller's own open cases (`mine`), and the deadlines falling due
within N working days across the agency (`due`). Each prints a page and the cursor of the
next (`--cursor`), or every page with `--all`; `--json` prints the answers as they came."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator

from nameko.exceptions import RemoteError

from shared.cli.caller import actor_options, caller_token, page_options, page_request, pages, rpc
from shared.errors import SanxiangError, ValidationFailed


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("cases", help="find work in the record keeper: find, mine, due")
    sub = p.add_subparsers(dest="cases_command", metavar="COMMAND", required=True)
    common = argparse.ArgumentParser(add_help=False, parents=[actor_options(), page_options()])

    f = sub.add_parser("find", parents=[common], help="cases by handler, party, stage, "
                       "status, opening day, open deadlines (all filters given must hold)")
    f.add_argument("--handler", metavar="ACTOR_ID", help="cases this officer handles")
    f.add_argument("--party", metavar="NAME", help="a party's exact name or id number")
    f.add_argument("--stage", help="initiation, investigation, decision, …")
    f.add_argument("--status", choices=("open", "closed", "archived"))
    f.add_argument("--from", dest="opened_from", metavar="DATE",
                   help="opened on or after this day (CST), YYYY-MM-DD")
    f.add_argument("--to", dest="opened_to", metavar="DATE",
                   help="opened on or before this day (CST), YYYY-MM-DD")
    f.add_argument("--open-deadlines", action="store_true",
                   help="only cases with an approval or archive still owed")
    f.set_defaults(func=_guarded(_find))

    m = sub.add_parser("mine", parents=[common], help="my open cases (I am a handler)")
    m.add_argument("--any-status", action="store_true", help="closed and archived ones too")
    m.set_defaults(func=_guarded(_mine))

    d = sub.add_parser("due", parents=[common],
                       help="deadlines due within N working days across the agency")
    d.add_argument("--within", type=int, default=5, metavar="N",
                   help="working days from today by the legal calendar (default 5)")
    d.add_argument("--mine", action="store_true", help="only cases I handle")
    d.set_defaults(func=_guarded(_due))


def show(args: argparse.Namespace, page_list: Iterator[dict],
         line: Callable[[dict], str], head: Callable[[dict], str | None] = lambda _: None) -> int:
    """Print the pages: one line per item (or the JSON of each page), then the cursor."""
    count, last = 0, None
    for page in page_list:
        if args.json:
            print(json.dumps(page, ensure_ascii=False))
            continue
        if count == 0 and (title := head(page)):
            print(title)
        for item in page["items"]:
            print(line(item))
        count, last = count + len(page["items"]), page.get("next")
    if not args.json:
        print(f"({count} shown" + (f"; next: --cursor {last})" if last else ")"))
    return 0


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except ValidationFailed as exc:  # the arguments: nothing was sent
            print(f"sanxiang cases: {exc.message}", file=sys.stderr)
            return 2
        except SanxiangError as exc:
            print(f"sanxiang cases: {exc.code}: {exc.message}", file=sys.stderr)
            return 1
        except RemoteError as exc:  # the record keeper refused the call
            print(f"sanxiang cases: {exc.exc_type}: {exc.value}", file=sys.stderr)
            return 1
        except OSError as exc:  # no broker there
            print(f"sanxiang cases: the broker at {args.amqp} does not answer: {exc}",
                  file=sys.stderr)
            return 1
    return wrapper


def case_line(case: dict) -> str:
    handlers = ",".join(case["handlers"])
    return (f"{case['case_no']}  {case['stage']:<17} {case['status']:<8} "
            f"{case['opened_at'][:10]}  {handlers}  {case['title']}  [{case['id']}]")


def due_line(item: dict) -> str:
    left = (f"overdue by {-item['workdays_left']} working day(s)" if item["overdue"]
            else f"{item['workdays_left']} working day(s) left")
    return (f"{item['due']}  {item['kind']:<18} {item['case_no']}  {left}  "
            f"[{item['deadline']['basis']}]  {item['title']}")


def _find(args: argparse.Namespace) -> int:
    token = caller_token(args)
    payload = page_request(args, token, handler=args.handler, party=args.party,
                           stage=args.stage, status=args.status, opened_from=args.opened_from,
                           opened_to=args.opened_to, open_deadlines=args.open_deadlines)
    return show(args, pages(rpc(args, token, "records", "find_cases"), payload, args.all),
                case_line)


def _mine(args: argparse.Namespace) -> int:
    token = caller_token(args)
    payload = page_request(args, token, mine=True,
                           status=None if args.any_status else "open")
    return show(args, pages(rpc(args, token, "records", "find_cases"), payload, args.all),
                case_line)


def _due(args: argparse.Namespace) -> int:
    token = caller_token(args)
    payload = page_request(args, token, within=args.within, mine=args.mine)
    return show(args, pages(rpc(args, token, "records", "due_deadlines"), payload, args.all),
                due_line, head=lambda page: f"due by {page['until']} "
                                            f"({args.within} working day(s) from today)")
