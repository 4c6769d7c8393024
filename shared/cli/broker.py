"""`sanxiang broker`: the RabbitMQ users of a deployment, with the rights
shared.messaging.broker derives.

  permissions [--services ...]    print each service's regexes and topic permissions (JSON)
  setup --vhost V --services ...  vhost, exchanges and one user per service; passwords from
                                  RABBITMQ_<SERVICE>_PASSWORD (compose's rabbitmq-init runs it)
  add-caller NAME --vhost V       a user for an outside system: RPC requests and its own
                                  replies only; prints the password unless one is given
  add-operator NAME --vhost V     a user for `sanxiang ops`: services' health, their dead
                                  letters, sending events back (shared.messaging.broker
                                  operator_grant); prints the password unless one is given

The administrator's login comes from RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD (never an
argument: it would show in the process list)."""
from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sys

from shared.messaging import broker
from shared.messaging.consumer import DELIVERY_LIMIT

DEFAULT_API = "http://127.0.0.1:15672/api"


def register(sub) -> None:
    p = sub.add_parser("broker", help="RabbitMQ users with least privilege")
    bsub = p.add_subparsers(dest="broker_command", metavar="SUBCOMMAND")

    perms = bsub.add_parser("permissions", help="print the rights of each service's user")
    perms.add_argument("--services", default=None,
                       help="comma-separated service names (default: every installed one)")
    perms.set_defaults(func=_permissions)

    def admin(q):
        q.add_argument("--api", default=os.environ.get("RABBITMQ_API", DEFAULT_API),
                       help=f"management API (env RABBITMQ_API, default {DEFAULT_API})")
        q.add_argument("--vhost", default=os.environ.get("RABBITMQ_VHOST", "sanxiang"))

    setup = bsub.add_parser("setup", help="vhost, exchanges and one user per service")
    admin(setup)
    setup.add_argument("--services", required=True, help="comma-separated service names")
    setup.add_argument("--user-prefix", default="",
                       help="user name = prefix + service name (default: the service name)")
    setup.add_argument("--queue-type", default="quorum",
                       help="the vhost's default queue type (default quorum)")
    setup.add_argument("--delivery-limit", type=int, default=DELIVERY_LIMIT,
                       help="deliveries of one message a quorum queue allows before it "
                            f"dead-letters it to dlq.<service> (default {DELIVERY_LIMIT}; "
                            "the services' DELIVERY_LIMIT must be the same)")
    setup.set_defaults(func=_setup)

    caller = bsub.add_parser("add-caller", help="a user for an outside system calling the RPC API")
    admin(caller)
    caller.add_argument("name", help="user name; its reply queues are rpc.reply-<name>-<uuid>")
    caller.add_argument("--password-env", default=None,
                        help="take the password from this environment variable "
                             "(default: generate one and print it)")
    caller.set_defaults(func=_add_caller)

    operator = bsub.add_parser("add-operator", help="a user for `sanxiang ops`")
    admin(operator)
    operator.add_argument("name", help="user name")
    operator.add_argument("--services", default=None,
                          help="comma-separated service names (default: every installed one)")
    operator.add_argument("--password-env", default=None,
                          help="take the password from this environment variable "
                               "(default: generate one and print it)")
    operator.set_defaults(func=_add_operator)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _names(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _permissions(args) -> int:
    from shared.cli.services import installed
    services = _names(args.services) if args.services else list(installed())
    consumes = broker.contract_consumes(services)
    out = {s: dataclasses.asdict(broker.service_grant(s, consumes[s])) for s in services}
    print(json.dumps(out, indent=2))
    return 0


def _management(args) -> broker.Management:
    user = os.environ.get("RABBITMQ_ADMIN_USER", "guest")
    password = os.environ.get("RABBITMQ_ADMIN_PASSWORD")
    if password is None:
        if user != "guest":
            raise SystemExit("RABBITMQ_ADMIN_PASSWORD is not set")
        password = "guest"  # the local broker of the embedded setup
    return broker.Management(args.api, user, password)


def _setup(args) -> int:
    services = _names(args.services)
    missing = [f"RABBITMQ_{s.upper()}_PASSWORD" for s in services
               if not os.environ.get(f"RABBITMQ_{s.upper()}_PASSWORD")]
    if missing:
        print(f"set {', '.join(missing)} (one password per service user)", file=sys.stderr)
        return 2
    mgmt = _management(args)
    try:
        mgmt.wait()
        mgmt.ensure_vhost(args.vhost, args.queue_type)
        broker.setup_services(mgmt, args.vhost, {
            s: (f"{args.user_prefix}{s}", os.environ[f"RABBITMQ_{s.upper()}_PASSWORD"])
            for s in services}, delivery_limit=args.delivery_limit)
    except broker.BrokerSetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"vhost {args.vhost} ({args.queue_type} by default): exchanges declared; "
          f"redeliveries bounded at {args.delivery_limit}; users "
          + ", ".join(f"{args.user_prefix}{s}" for s in services))
    return 0


def _add_caller(args) -> int:
    if args.password_env:
        password = os.environ.get(args.password_env)
        if not password:
            print(f"{args.password_env} is not set", file=sys.stderr)
            return 2
    else:
        password = secrets.token_hex(24)
    try:
        grant = broker.caller_grant(args.name)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        _management(args).put_user(args.vhost, args.name, password, grant)
    except broker.BrokerSetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"user {args.name} on vhost {args.vhost}: may publish RPC requests to nameko-rpc "
          f"and read replies on its own queues {broker.caller_prefix(args.name)}<uuid>")
    if not args.password_env:
        print(f"password: {password}")
    return 0


def _add_operator(args) -> int:
    from shared.cli.services import installed
    password = os.environ.get(args.password_env) if args.password_env else secrets.token_hex(24)
    if not password:
        print(f"{args.password_env} is not set", file=sys.stderr)
        return 2
    services = _names(args.services) if args.services else list(installed())
    try:
        grant = broker.operator_grant(services)
        _management(args).put_user(args.vhost, args.name, password, grant,
                                   tags=broker.OPERATOR_TAGS)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    except broker.BrokerSetupError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"user {args.name} on vhost {args.vhost}: sanxiang ops for {', '.join(services)} "
          "(health, dead letters, sending events back; management tag "
          f"{broker.OPERATOR_TAGS})")
    if not args.password_env:
        print(f"password: {password}")
    return 0
