"""One-shot RabbitMQ setup for the compose deployment, through the management API (so it
needs no Erlang cookie): `sanxiang broker setup` — the services' vhost with quorum as its
default queue type, every exchange the services use, and one user per service with only the
rights shared.messaging.broker derives for it (its own events exchange to write, the events it consumes
to read, its own queues).

Why a vhost default rather than code: nameko declares its queues itself; with the vhost
default, its durable queues (RPC, event handlers) become replicated quorum queues, while the
exclusive/auto-delete reply queues stay classic.  A vhost's default queue type is fixed when
it is created, so an existing vhost with another type is reported as an error instead of
silently kept.

Idempotent: compose runs it on every `up` (and so rotates passwords).  Environment:
RABBITMQ_API, RABBITMQ_ADMIN_USER, RABBITMQ_ADMIN_PASSWORD, RABBITMQ_VHOST,
SANXIANG_SERVICES (comma-separated) and RABBITMQ_<SERVICE>_PASSWORD for each.
"""
import os
import sys

from shared.cli import main

if __name__ == "__main__":
    sys.exit(main(["broker", "setup", "--api", os.environ["RABBITMQ_API"],
                   "--vhost", os.environ["RABBITMQ_VHOST"],
                   "--services", os.environ["SANXIANG_SERVICES"]]))
