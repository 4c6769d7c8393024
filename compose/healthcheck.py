"""Container healthcheck for a Sanxiang service: healthy when the broker shows
at least one consumer on the service's RPC queue, ``rpc-<SANXIANG_SERVICE>``.

That is the point at which the service can answer callers; a running process
is not enough (it may still be connecting, or have lost the broker).  With
several replicas the queue is shared, so this proves the service is reachable
rather than that this very replica consumes — the process exiting is what
restarts a dead one.  The healthcheck runs beside the service, not through the
image's entrypoint, so it prepares the environment the same way (compose/entrypoint.py).  Exit status 0 healthy, 1 not.
"""
import os
import sys

from kombu import Connection

# beside this file in the image: the AMQP URI with its password from the secret file
from entrypoint import prepared


def main() -> int:
    env = prepared(os.environ, peers=False)
    service = env["SANXIANG_SERVICE"]
    queue = f"rpc-{service}"
    try:
        with Connection(env["AMQP_URI"], connect_timeout=5) as conn:
            channel = conn.channel()
            # passive: inspect only; never create the queue ourselves.
            _, _, consumers = channel.queue_declare(queue=queue, passive=True)
    except Exception as exc:  # unreachable broker, bad login, no such queue: all unhealthy
        print(f"{queue}: {exc}", file=sys.stderr)
        return 1
    if consumers < 1:
        print(f"{queue}: no consumer", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
