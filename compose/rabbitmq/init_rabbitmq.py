"""One-shot RabbitMQ setup for the compose deployment, through the management
API (so it needs no Erlang cookie): the services' vhost with quorum as its
default queue type, and the services' own user with rights on that vhost only.

Why a vhost default rather than code: nameko declares its queues itself; with
the vhost default, its durable queues (RPC, event handlers) become replicated
quorum queues, while the exclusive/auto-delete reply queues stay classic.  A
vhost's default queue type is fixed when it is created, so an existing vhost
with another type is reported as an error instead of silently kept.

Idempotent: compose runs it on every `up`.  Environment: RABBITMQ_API,
RABBITMQ_ADMIN_USER, RABBITMQ_ADMIN_PASSWORD, RABBITMQ_VHOST, RABBITMQ_USER,
RABBITMQ_PASSWORD.
"""
import os
import sys
import time
from urllib.parse import quote

import requests  # a nameko dependency, so present in the image


def main() -> int:
    api = os.environ["RABBITMQ_API"].rstrip("/")
    vhost = os.environ["RABBITMQ_VHOST"]
    user = os.environ["RABBITMQ_USER"]
    session = requests.Session()
    session.auth = (os.environ["RABBITMQ_ADMIN_USER"], os.environ["RABBITMQ_ADMIN_PASSWORD"])

    def call(method, path, **kwargs):
        resp = session.request(method, f"{api}/{path}", timeout=10, **kwargs)
        resp.raise_for_status()
        return resp

    # The broker's healthcheck covers AMQP; the management listener may lag.
    for _ in range(60):
        try:
            call("GET", "overview")
            break
        except requests.RequestException:
            time.sleep(2)
    else:
        print(f"management API at {api} did not answer", file=sys.stderr)
        return 1

    v = quote(vhost, safe="")
    call("PUT", f"vhosts/{v}", json={
        "description": "Sanxiang services",
        "default_queue_type": "quorum",
    })
    info = call("GET", f"vhosts/{v}").json()
    dqt = info.get("default_queue_type") or info.get("metadata", {}).get("default_queue_type")
    if dqt != "quorum":
        print(f"vhost {vhost!r} exists with default queue type {dqt!r}, not 'quorum'; "
              "it cannot be changed in place (recreate the vhost)", file=sys.stderr)
        return 1

    # PUT sets the password each time, so rotating RABBITMQ_PASSWORD is an `up`.
    call("PUT", f"users/{quote(user, safe='')}",
         json={"password": os.environ["RABBITMQ_PASSWORD"], "tags": ""})
    call("PUT", f"permissions/{v}/{quote(user, safe='')}",
         json={"configure": ".*", "write": ".*", "read": ".*"})
    print(f"vhost {vhost} (quorum by default) and user {user} ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
