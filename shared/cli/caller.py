"""Who calls a running service from the command line, and how: the options and steps every
`sanxiang` command that talks to a service over RPC shares — the caller's actor token (given
with `--token` / `$SANXIANG_TOKEN`, or minted from the deployment's token-issuer key with
`--as ROLE --agency CODE`, as `sanxiang token issue` does), the broker, the agency the call
is for, and the pages of a listing (`--limit`, `--cursor`, `--all`)."""
from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterator
from typing import Any

from shared.contracts.registry import ROLES
from shared.errors import ValidationFailed

DEFAULT_AMQP = "pyamqp://guest:guest@127.0.0.1:5672/"


def actor_options(*, token: bool = True) -> argparse.ArgumentParser:
    """--as ROLE (a token minted from the deployment's key), its actor's id and name, the
    agency, the key root, the broker and the wait; with `token`, also --token."""
    options = argparse.ArgumentParser(add_help=False)
    if token:
        options.add_argument("--token", default=os.environ.get("SANXIANG_TOKEN"),
                             help="the caller's actor token (default: $SANXIANG_TOKEN); or "
                                  "--as ROLE to mint one from the deployment's key")
    options.add_argument("--as", dest="role", choices=ROLES, metavar="ROLE",
                         help=f"act as this role ({', '.join(ROLES)}), with a token minted "
                              "from the deployment's token-issuer key")
    options.add_argument("--agency", default=os.environ.get("SANXIANG_AGENCY"),
                         help="agency code (default: $SANXIANG_AGENCY, else the token's)")
    options.add_argument("--actor-id", default=None,
                         help="the caller's id with --as (default: cli-<role>)")
    options.add_argument("--name", default="", help="the caller's name with --as")
    options.add_argument("--keys", default=None,
                         help="key root for --as (default: $SANXIANG_KEYS or .data/keys)")
    options.add_argument("--amqp", default=os.environ.get("AMQP_URI", DEFAULT_AMQP),
                         help="broker URI (default: $AMQP_URI)")
    options.add_argument("--timeout", type=float, default=30, help="seconds per call")
    return options


def page_options() -> argparse.ArgumentParser:
    """--limit, --cursor, --all and --json of a paged listing."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--limit", type=int, default=50, help="items per page (default 50)")
    options.add_argument("--cursor", help="the page after this cursor (printed as next:)")
    options.add_argument("--all", action="store_true", help="follow every page")
    options.add_argument("--json", action="store_true", help="print each page as JSON")
    return options


def mint(role: str, agency: str | None, *, keys: str | None = None,
         actor_id: str | None = None, name: str = "", party_id: str | None = None,
         case_id: str | None = None) -> str:
    """A ten-minute actor token of `role` for `agency`, from the deployment's token-issuer
    key; a missing agency or key is a validation error naming the option."""
    if not agency:
        raise ValidationFailed.from_messages(
            {"--agency": ["required: the agency the caller acts for (or $SANXIANG_AGENCY)"]},
            what="arguments")
    from shared.cli.keys import default_root
    from shared.errors import ConfigurationError
    from shared.trust.actor import TokenIssuer
    from shared.trust.keys import KeyStore
    try:
        issuer = TokenIssuer(KeyStore(keys or default_root()).token_issuer_key())
        return issuer.issue(actor_id=actor_id or f"cli-{role}", role=role, agency=agency,
                            name=name or actor_id or role, party_id=party_id,
                            case_id=case_id, ttl_seconds=600)
    except (ConfigurationError, ValueError) as exc:
        raise ValidationFailed.from_messages({"--keys": [str(exc)]}, what="arguments") from None


def caller_token(args: argparse.Namespace) -> str:
    """The token a command calls with: minted for --as, else --token / $SANXIANG_TOKEN."""
    if getattr(args, "role", None):
        return mint(args.role, args.agency, keys=args.keys, actor_id=args.actor_id,
                    name=args.name)
    if getattr(args, "token", None):
        return str(args.token)
    raise ValidationFailed.from_messages(
        {"--token": ["required: give --token, set $SANXIANG_TOKEN, or act --as ROLE with "
                     "--agency"]}, what="arguments")


def token_agency(token: str) -> str | None:
    """The agency a token names (read to fill in --agency; the service verifies the token)."""
    import jwt
    try:
        agency = jwt.decode(token, options={"verify_signature": False}).get("agency")
    except jwt.PyJWTError:
        return None
    return agency if isinstance(agency, str) else None


def agency_of(args: argparse.Namespace, token: str) -> str:
    """--agency, else the agency the token names."""
    agency = args.agency or token_agency(token)
    if not agency:
        raise ValidationFailed.from_messages(
            {"--agency": ["required: the token names no agency"]}, what="arguments")
    return str(agency)


def page_request(args: argparse.Namespace, token: str, **filters: Any) -> dict:
    """The request of a paged listing: the filters given, the agency, the page."""
    payload = {k: v for k, v in filters.items() if v not in (None, False)}
    payload.update(agency=agency_of(args, token), limit=args.limit)
    if args.cursor:
        payload["cursor"] = args.cursor
    return payload


def rpc(args: argparse.Namespace, token: str, service: str,
        method: str) -> Callable[[dict], dict]:
    """`method` of `service` over the broker, as the token's actor."""
    def call(payload: dict) -> dict:
        from nameko.standalone.rpc import ClusterRpcProxy
        with ClusterRpcProxy({"AMQP_URI": args.amqp}, timeout=args.timeout,
                             context_data={"actor_token": token}) as proxy:
            answer: dict = getattr(getattr(proxy, service), method)(**payload)
            return answer
    return call


def pages(call: Callable[[dict], dict], payload: dict, every: bool) -> Iterator[dict]:
    """The page asked for and, with `every`, each page after it."""
    while True:
        page = call(payload)
        yield page
        if not every or not page.get("next"):
            return
        payload = dict(payload, cursor=page["next"])
