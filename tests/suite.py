"""The services a suite runs all of: every installed one, as `sanxiang run` finds them (the
`sanxiang.services` entry points, shared.cli.services), so that the next service is in the
fuzz, calendar and broker suites without anyone listing it; and the settings each needs to run
in-process in a test beside the common ones (AMQP_URI, DATABASE_URL, KEYS_DIR, AGENCIES)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import eventlet
from nameko.testing.services import entrypoint_hook

from shared.cli.services import installed, service_class
from tests.brokers import free_port

NAMES: tuple[str, ...] = tuple(installed())


def classes() -> dict[str, Any]:
    """Name -> service class, of every installed service."""
    return {name: service_class(name) for name in NAMES}


def contracts() -> dict[str, Any]:
    """Name -> contract, of every installed service."""
    return {name: cls.contract for name, cls in classes().items()}


def settings(name: str, folder: Path) -> dict[str, Any]:
    """What `name` is given in a test beyond the common settings: its files under `folder`,
    an HTTP listener (where it has one) on a free loopback port, no PDF converter, templates
    read once. Settings a service does not read are harmless to it."""
    port = free_port()
    return {"PDF": "off", "RENDER_PROCESSES": 1, "TEMPLATES_POLL_SECONDS": 0,
            "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}",
            "VAULT_DIR": str(folder / f"{name}-store"),
            "VAULT_REPLICA_DIR": str(folder / f"{name}-replica"),
            "VAULT_UPLOAD_URL": f"http://127.0.0.1:{port}",
            "DISCLOSURE_PORTAL_DIR": str(folder / f"{name}-portal")}


def fire(container, timer: str):
    """Run the container's `timer` entrypoint once, now, as its tick would."""
    with entrypoint_hook(container, timer) as hook:
        return hook()


def fire_together(containers, timer: str) -> list:
    """Every instance ticks at once, as their timers do when they fall together."""
    threads = [eventlet.spawn(fire, c, timer) for c in containers]
    return [t.wait() for t in threads]
