"""`sanxiang keys init`: create a deployment's missing keys (never overwriting one) in the
layout shared.trust.keys describes — each service's event-signing key, a checkpoint key for each
service whose class signs checkpoints and a caller key for each service that calls a peer as
itself (shared.cli.services), the token issuer's key, and every public half under public/ for
all services to verify."""
from __future__ import annotations

import os
from pathlib import Path

from shared.cli.services import checkpoint_signers, service_callers
from shared.trust.keys import init_deployment


def default_root() -> Path:
    """The configured key root: SANXIANG_KEYS, else the embedded default of `sanxiang run`
    (.data/keys of the installation) — the same folder whatever the current directory."""
    from shared.cli.run import ROOT
    return Path(os.environ.get("SANXIANG_KEYS") or ROOT / ".data" / "keys")


def register(sub) -> None:
    from shared.cli.run import SERVICES
    p = sub.add_parser("keys", help="deployment keys (token issuer, event and checkpoint signers, "
                                        "service callers)")
    ksub = p.add_subparsers(dest="keys_command", metavar="SUBCOMMAND")
    init = ksub.add_parser("init", help="create the keys that are missing; never overwrite")
    init.add_argument("--keys", default=None,
                      help="key root (default: $SANXIANG_KEYS, "
                           "else .data/keys of the installation)")
    init.add_argument("--services", default=",".join(SERVICES),
                      help="services that sign events (default: every service)")
    init.add_argument("--no-issuer", action="store_true",
                      help="do not create the token issuer's key (tokens come from elsewhere)")
    init.set_defaults(func=_init)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _init(args) -> int:
    root = Path(args.keys) if args.keys else default_root()
    services = [s.strip() for s in args.services.split(",") if s.strip()]
    written = init_deployment(root, services,
                              checkpoint_signers=checkpoint_signers(services),
                              callers=service_callers(services),
                              issuer=not args.no_issuer)
    for path in written:
        print(f"created {path}")
    if not written:
        print(f"{root}: every key is there")
    return 0
