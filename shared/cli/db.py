"""`sanxiang db upgrade SERVICE`: bring a service's database to its newest schema as the
database's owner role, and grant the service's own role only what it needs (SELECT and INSERT,
UPDATE on the tables its migrations name, no DDL, TRUNCATE or triggers). Compose runs it in a
one-shot container per service before the service starts, so no service container holds the
owner's password. The owner's URL comes from the environment, never the command line."""
from __future__ import annotations

import os
import sys

from shared.cli.services import installed, migrations
from shared.errors import ConfigurationError


def register(sub) -> None:
    p = sub.add_parser("db", help="service databases: migrations as the owner, service roles")
    dsub = p.add_subparsers(dest="db_command", metavar="SUBCOMMAND")
    up = dsub.add_parser("upgrade", help="migrate a service's database to head as its owner")
    up.add_argument("service", help="an installed service (entry points sanxiang.services)")
    up.add_argument("--owner-url-env", default="DATABASE_OWNER_URL",
                    help="environment variable holding the owner's database URL "
                         "(default DATABASE_OWNER_URL)")
    up.add_argument("--grant-to", default=os.environ.get("DATABASE_SERVICE_ROLE"),
                    help="the service's own role (default: env DATABASE_SERVICE_ROLE); "
                         "without it, no grants are made")
    up.set_defaults(func=_upgrade)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _upgrade(args) -> int:
    from shared.persistence.db import upgrade

    url = os.environ.get(args.owner_url_env)
    if not url:
        print(f"{args.owner_url_env} is not set (the database owner's URL)", file=sys.stderr)
        return 2
    found = migrations(args.service) if args.service in installed() else None
    if found is None:
        print(f"service {args.service!r} has no migrations (no installed service of that name "
              "with a database)", file=sys.stderr)
        return 2
    try:
        upgrade(url, found, service_role=args.grant_to)
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 1
    granted = f"; role {args.grant_to} granted its rights" if args.grant_to else ""
    print(f"{args.service}: schema at head{granted}")
    return 0
