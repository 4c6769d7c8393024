"""The services of this installation, as their packages declare them: each service puts its
class under the entry-point group `sanxiang.services` in pyproject.toml
(`<name> = "services.<name>.service:<Class>"`); they start in the order the installed metadata
lists them (by name: the metadata keeps no declaration order, and no service waits for
another to start). The kernel finds them there and names none itself; a service declared but
left out of the installation (its package absent) is not there.

What the kernel asks of a service class beyond nameko's: its `Database` provider (where its
migrations are), and optionally
- `run_environment(running: Sequence[str]) -> dict[str, str]`: settings `sanxiang run` gives
  the service's process, knowing which services run beside it;
- `signs_checkpoints = True`: `sanxiang keys init` makes it a checkpoint key;
- `metrics_port`: the loopback port of its metrics endpoint under `sanxiang run`;
and a service that declares a peer it calls as itself (shared.messaging.calls.Peer with
`as_service`) gets a caller key from `sanxiang keys init`."""
from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from importlib.metadata import entry_points
from importlib.util import find_spec
from typing import ClassVar, Protocol

GROUP = "sanxiang.services"


class ServiceClass(Protocol):
    """A service class as nameko knows it: the name its RPC and events go under."""

    name: ClassVar[str]


def installed() -> dict[str, str]:
    """Service name -> "module:Class", in start order (as the entry points are listed), of
    every declared service whose package is installed. Loads no service."""
    found: dict[str, str] = {}
    for entry in entry_points(group=GROUP):
        package = entry.value.split(":")[0].rsplit(".", 1)[0]
        if entry.name not in found and find_spec(package) is not None:
            found[entry.name] = entry.value
    return found


def service_class(name: str) -> type[ServiceClass]:
    """The class of the installed service `name` (imports the service)."""
    target = installed().get(name)
    if target is None:
        raise LookupError(f"no installed service {name!r} (entry points {GROUP})")
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def migrations(name: str) -> str | None:
    """The Alembic migrations ("package:folder") of the service's database, as its
    `Database` provider names them; None for a service without a database of its own."""
    from shared.persistence.db import Database
    for klass in service_class(name).__mro__:
        for value in vars(klass).values():
            if isinstance(value, Database):
                return value.migrations
    return None


def run_environment(name: str, running: Sequence[str]) -> dict[str, str]:
    """What the service asks `sanxiang run` to set in its process, given the services run."""
    hook = getattr(service_class(name), "run_environment", None)
    return dict(hook(list(running))) if hook is not None else {}


def metrics_address(name: str, environ: Mapping[str, str]) -> str | None:
    """The METRICS_ADDRESS `sanxiang run` gives the service: `<NAME>_METRICS_ADDRESS` if set;
    else none of its own when METRICS_ADDRESS is set (empty: no endpoints); else 127.0.0.1 and
    the port its class declares (`metrics_port`)."""
    own = environ.get(f"{name.upper()}_METRICS_ADDRESS")
    if own is not None:
        return own
    if "METRICS_ADDRESS" in environ:
        return None
    port = getattr(service_class(name), "metrics_port", None)
    return f"127.0.0.1:{port}" if port else None


def checkpoint_signers(names: Sequence[str]) -> list[str]:
    """Those of `names` installed here whose class signs checkpoints of its own records."""
    known = installed()
    return [name for name in names
            if name in known and getattr(service_class(name), "signs_checkpoints", False)]


def service_callers(names: Sequence[str]) -> list[str]:
    """Those of `names` installed here that call a peer as themselves (a Peer dependency with
    `as_service`): each needs a caller key."""
    from shared.messaging.calls import Peer
    known = installed()
    return [name for name in names if name in known
            and any(isinstance(value, Peer) and value.as_service
                    for klass in service_class(name).__mro__ for value in vars(klass).values())]
