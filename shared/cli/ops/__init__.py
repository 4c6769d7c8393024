"""`sanxiang ops`: the state of a deployment at a glance, and what an operator does about it.

  status                                  services up and their versions, queue depths and
                                          consumers, dead letters per service by reason,
                                          outbox backlog, calendar coverage, keys and
                                          certificates about to expire
  dead-letters list [--service S]         the dead letters waiting (or --dropped: those kept
                                          after a drop)
  dead-letters show ID                    one in full: headers, properties, body
  dead-letters requeue ID|--all           back to its original exchange and routing key
  dead-letters drop ID --reason TEXT      out of the queue, kept in dlq.<service>.dropped with
                                          the reason, who and when
  replay --service S --config FILE --from T1 --to T2 [--event-type X]
                                          re-send a service's events of a time range from its
                                          outbox, with their message ids

The services are those installed (entry points `sanxiang.services`); the broker is AMQP_URI
(an operator's login: it reads every dlq.<service>), the management API RABBITMQ_API with
RABBITMQ_ADMIN_USER / RABBITMQ_ADMIN_PASSWORD, as `sanxiang broker`. Every command takes
--json for scripts. Exit codes: 0 done, 1 not done (the reason on stderr), 2 bad arguments,
3 the broker or a database unreachable."""
from __future__ import annotations

import argparse

from shared.cli.ops import common, letters, replay, status


def register(sub) -> None:
    p = sub.add_parser("ops", help="deployment status, dead letters, event replay",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    osub = p.add_subparsers(dest="ops_command", metavar="SUBCOMMAND")
    status.register(osub)
    letters.register(osub)
    replay.register(osub)
    p.set_defaults(func=lambda args: (p.print_help(), common.EXIT_USAGE)[1])
