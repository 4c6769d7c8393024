"""`sanxiang token issue`: mint an actor token (JWT, EdDSA) with the deployment's token-issuer
key — for scripts, tests and systems that call the RPC API (they send it as header
nameko.actor_token). It uses the configured key and never creates one."""
from __future__ import annotations

import sys

from shared.contracts.registry import ROLES
from shared.errors import ConfigurationError
from shared.trust.actor import TokenIssuer
from shared.trust.keys import KeyStore


def register(sub) -> None:
    p = sub.add_parser("token", help="actor tokens")
    tsub = p.add_subparsers(dest="token_command", metavar="SUBCOMMAND")
    issue = tsub.add_parser("issue", help="print a signed actor token")
    issue.add_argument("--role", required=True, choices=ROLES)
    issue.add_argument("--agency", required=True)
    issue.add_argument("--actor-id", required=True)
    issue.add_argument("--name", default="")
    issue.add_argument("--party-id", default=None, help="for role party: the party id")
    issue.add_argument("--case-id", default=None, help="for role party: the case it may read")
    issue.add_argument("--ttl", type=int, default=8 * 3600, help="seconds (default 8 h)")
    issue.add_argument("--keys", default=None,
                       help="key root holding private/issuer/token.ed25519.pem (default: "
                            "$SANXIANG_KEYS, else .data/keys of the installation)")
    issue.set_defaults(func=_issue)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _issue(args) -> int:
    from shared.cli.keys import default_root
    root = args.keys or default_root()
    try:
        issuer = TokenIssuer(KeyStore(root).token_issuer_key())
        token = issuer.issue(actor_id=args.actor_id, role=args.role, agency=args.agency,
                             name=args.name, party_id=args.party_id, case_id=args.case_id,
                             ttl_seconds=args.ttl)
    except (ConfigurationError, ValueError) as exc:
        print(f"token: {exc}", file=sys.stderr)
        return 2
    print(token)
    return 0
