"""`sanxiang call SERVICE.METHOD [FIELD=VALUE ...]`: call any RPC of the running suite as an
actor of some role and agency, and print the answer as JSON — the way an operator, a tester
or an integrator explores the API without writing code. The actor token is minted from the
deployment's token-issuer key (as `sanxiang token issue` does); the arguments are checked
against the method's contract before anything is sent, each broken rule named with its field.

    sanxiang call --list                       every RPC of the contracts, with its roles
    sanxiang call records                      the RPCs of one service
    sanxiang call records.get_case --as officer --agency lingchuan-emergency case_id=…
    echo '{"case_id": "…"}' | sanxiang call records.verify_case --as head --agency … -

A value is JSON where the field takes more than text (`measures='["warning"]'`, `hearing_held=
true`), else the text as typed. Exit codes: 0 answered, 1 the service refused (its error on
stderr, as JSON with --json), 2 bad arguments (nothing sent), 3 no answer (suite not running,
broker unreachable, timeout)."""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from shared.cli.caller import mint
from shared.contracts.registry import ROLES, Contract, Rpc
from shared.errors import SanxiangError, ValidationFailed, rule_zh

# fields whose value is text as typed, never read as JSON (an id of digits stays a string)
TEXT_FIELDS = ("String", "Email", "Url", "URL", "UUID", "Date", "DateTime", "Time",
               "NaiveDateTime", "AwareDateTime", "Decimal")
EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 1, 2, 3


def register(sub) -> None:
    p = sub.add_parser(
        "call", help="call any RPC as an actor and print the JSON answer",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("target", nargs="?", metavar="SERVICE[.METHOD]",
                   help="the method to call, or a service to list its methods")
    p.add_argument("fields", nargs="*", metavar="FIELD=VALUE",
                   help="the request's fields; a lone - reads a JSON object from stdin")
    p.add_argument("--list", action="store_true", help="list every RPC with its roles")
    p.add_argument("--as", dest="role", choices=ROLES, metavar="ROLE",
                   help=f"the caller's role ({', '.join(ROLES)}; default: the method's first)")
    p.add_argument("--agency", default=os.environ.get("SANXIANG_AGENCY"),
                   help="the agency the caller acts for (default: $SANXIANG_AGENCY)")
    p.add_argument("--actor-id", default=None, help="the caller's id (default: cli-<role>)")
    p.add_argument("--name", default="", help="the caller's name")
    p.add_argument("--party-id", default=None, help="for role party: the party id")
    p.add_argument("--case-id", default=None, help="for role party: the case it may read")
    p.add_argument("--json-args", default=None, metavar="JSON",
                   help="the request as one JSON object (FIELD=VALUE pairs override it)")
    p.add_argument("--timeout", type=float, default=30, help="seconds to wait (default 30)")
    p.add_argument("--keys", default=None, help="key root (default: $SANXIANG_KEYS or .data/keys)")
    p.add_argument("--json", action="store_true",
                   help="errors too as JSON (the answer always is); --list as JSON")
    p.set_defaults(func=main, json_native=True, takes_rest=True)


def contracts() -> dict[str, Contract]:
    from shared.contracts.export import discover
    return discover()


def main(args: argparse.Namespace) -> int:
    found = contracts()
    if args.list or not args.target or "." not in args.target:
        return _list(found, args.target, as_json=args.json)
    service, _, method = args.target.partition(".")
    fields = list(args.fields) + list(getattr(args, "rest", []))
    unknown = [f for f in fields if f.startswith("--")]
    if unknown:
        print(f"sanxiang call: unknown option(s) {' '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        rpc = _rpc(found, service, method)
        kwargs = request(rpc, fields, args.json_args, sys.stdin)
        check(rpc, kwargs, f"{service}.{method}")
        token = _token(rpc, args)
    except ValidationFailed as exc:
        _refusal(exc, args.json)
        return EXIT_USAGE
    return _send(service, method, kwargs, token, args)


def _rpc(found: dict[str, Contract], service: str, method: str) -> Rpc:
    if service not in found:
        raise ValidationFailed.from_messages(
            {"target": [f"no service {service!r}; one of: {', '.join(sorted(found))}"]},
            what="call")
    try:
        return found[service].rpc(method)
    except KeyError:
        names = ", ".join(r.name for r in found[service].rpcs)
        raise ValidationFailed.from_messages(
            {"target": [f"{service} has no method {method!r}; one of: {names}"]},
            what="call") from None


def request(rpc: Rpc, fields: list[str], json_args: str | None, stdin: Any) -> dict:
    """The request's fields: --json-args (or a lone `-`: stdin) first, then FIELD=VALUE."""
    problems: dict[str, list[str]] = {}
    kwargs: dict[str, Any] = {}
    sources = [json_args] if json_args is not None else []
    if "-" in fields:
        sources.append(stdin.read())
    for i, text in enumerate(sources):
        try:
            value = json.loads(text)
        except ValueError as exc:
            problems[f"json-args.{i}" if i else "json-args"] = [f"is not JSON: {exc}"]
            continue
        if not isinstance(value, dict):
            problems["json-args"] = ["must be a JSON object {\"field\": value, …}"]
            continue
        kwargs.update(value)
    declared = rpc.request().fields if rpc.request is not None else {}
    for pair in fields:
        if pair == "-":
            continue
        key, sep, text = pair.partition("=")
        if not sep or not key:
            problems[pair] = ["must be FIELD=VALUE"]
            continue
        kwargs[key] = _value(declared.get(key), text)
    if problems:
        raise ValidationFailed.from_messages(problems, what="arguments")
    return kwargs


def _value(field: Any, text: str) -> Any:
    """`text` as the field takes it: as typed for text fields, else JSON where it parses."""
    if field is not None and type(field).__name__ in TEXT_FIELDS:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def check(rpc: Rpc, kwargs: dict, name: str) -> None:
    """ValidationFailed naming each field and rule the contract's request refuses."""
    from shared.contracts.registry import load
    if rpc.request is None:
        if kwargs:
            raise ValidationFailed.from_messages(
                {key: ["Unknown field."] for key in kwargs}, what=f"{name} request")
        return
    load(rpc.request, kwargs, what=f"{name} request")


def _token(rpc: Rpc, args: argparse.Namespace) -> str | None:
    """An actor token for the caller; none for an open method called without --as."""
    # a person's role: a service grant ("service:<name>") is for a service's own token
    role = args.role or next((r for r in rpc.roles if r in ROLES), None)
    if role is None:
        return None
    return mint(role, args.agency, keys=args.keys, actor_id=args.actor_id, name=args.name,
                party_id=args.party_id, case_id=args.case_id)


def _send(service: str, method: str, kwargs: dict, token: str | None,
          args: argparse.Namespace) -> int:
    from nameko.exceptions import RemoteError, RpcTimeout
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.cli.run import DEFAULT_AMQP
    config = {"AMQP_URI": os.environ.get("AMQP_URI", DEFAULT_AMQP)}
    context = {"actor_token": token} if token else {}
    try:
        with ClusterRpcProxy(config, timeout=args.timeout, context_data=context) as rpc:
            result = getattr(getattr(rpc, service), method)(**kwargs)
    except SanxiangError as exc:
        _refusal(exc, args.json)
        return EXIT_REFUSED
    except RemoteError as exc:
        _refusal(SanxiangError(exc.value, code=exc.exc_type or "remote_error"), args.json)
        return EXIT_REFUSED
    except RpcTimeout:
        print(f"sanxiang call: no answer from {service} in {args.timeout:g} s — is it running? "
              "(sanxiang run)", file=sys.stderr)
        return EXIT_UNREACHABLE
    except OSError as exc:
        print(f"sanxiang call: cannot reach the broker at {config['AMQP_URI']}: {exc}",
              file=sys.stderr)
        return EXIT_UNREACHABLE
    print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    return 0


def _refusal(exc: SanxiangError, as_json: bool) -> None:
    """The error on stderr: its code, then each field with the rule it broke (English and
    Chinese), or the message where it names no field."""
    if as_json:
        print(json.dumps({"error": exc.payload()}, ensure_ascii=False, indent=2),
              file=sys.stderr)
        return
    details = exc.details if isinstance(exc.details, dict) else {}
    fields = {k: v for k, v in details.items() if isinstance(v, list)}
    if not fields:
        print(f"sanxiang call: {exc.code}: {exc.message}\n  {exc.message_zh}", file=sys.stderr)
        return
    print(f"sanxiang call: {exc.code} ({exc.message_zh.split('：')[0]})", file=sys.stderr)
    for field, rules in fields.items():
        shown = [f"{r} ({rule_zh(str(r))})" if rule_zh(str(r)) != r else str(r) for r in rules]
        print(f"  {field}: " + "; ".join(shown), file=sys.stderr)


def _list(found: dict[str, Contract], target: str | None, *, as_json: bool) -> int:
    """Every RPC (of `target`'s service, when one is named) with its roles."""
    wanted = (target or "").partition(".")[0]
    if wanted and wanted not in found:
        print(f"sanxiang call: no service {wanted!r}; one of: {', '.join(sorted(found))}",
              file=sys.stderr)
        return EXIT_USAGE
    rows: list[dict[str, Any]] = [
        {"rpc": f"{name}.{rpc.name}", "roles": list(rpc.roles), "writes": rpc.writes,
         "fields": sorted(rpc.request().fields) if rpc.request is not None else [],
         "summary": rpc.summary}
        for name, contract in sorted(found.items()) if not wanted or name == wanted
        for rpc in contract.rpcs]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    width = max(len(row["rpc"]) for row in rows)
    for row in rows:
        kind = "write" if row["writes"] else "read "
        print(f"{row['rpc']:<{width}}  {kind}  roles: {', '.join(row['roles'])}")
        if row["fields"]:
            print(f"{'':<{width}}         fields: {', '.join(row['fields'])}")
    return 0
