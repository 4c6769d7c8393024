"""`sanxiang token issue`: mint a signed actor token with the deployment's token key — for
scripts, tests and systems that call the RPC API (they send it as header nameko.actor_token)."""
from __future__ import annotations

import os

from shared.actor import TokenSigner
from shared.contracts import ROLES
from shared.keys import KeyStore


def register(sub) -> None:
    p = sub.add_parser("token", help="actor tokens")
    tsub = p.add_subparsers(dest="token_command", metavar="SUBCOMMAND")
    issue = tsub.add_parser("issue", help="print a signed actor token")
    issue.add_argument("--role", required=True, choices=ROLES)
    issue.add_argument("--agency", required=True)
    issue.add_argument("--actor-id", required=True)
    issue.add_argument("--name", default="")
    issue.add_argument("--party-id", default=None, help="for role party: the party id")
    issue.add_argument("--ttl", type=int, default=8 * 3600, help="seconds (default 8 h)")
    issue.add_argument("--keys", default=os.environ.get("SANXIANG_KEYS", ".data/keys"),
                       help="keys folder (KEYS_DIR of the services)")
    issue.set_defaults(func=_issue)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _issue(args) -> int:
    signer = TokenSigner(KeyStore(args.keys).token_key())
    print(signer.issue(actor_id=args.actor_id, role=args.role, agency=args.agency,
                       name=args.name, party_id=args.party_id, ttl_seconds=args.ttl))
    return 0
