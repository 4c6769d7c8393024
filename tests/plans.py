"""Running the demo case's steps (tests/builders.py's demo_plan) against services over RPC, as
`sanxiang demo` does, each step as its role's actor; a step the case expects refused must be
refused with its code."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest

from demo.case import store_footage
from tests import suite
from tests.builders import Step, perform, remember


class RpcProxy(Protocol):
    """What run_case needs of a nameko ClusterRpcProxy."""

    def start(self) -> Any: ...

    def stop(self) -> None: ...


def run_case(rpc: Callable[[str], RpcProxy], plan: list[Step], through: str | None = None,
             decision_no: str = "陵应急罚〔2025〕501号") -> dict:
    """Run `plan` (up to and including the step called `through`) with `rpc(role)`, a
    nameko ClusterRpcProxy for that role's actor; what the steps remembered. An AV step's
    footage is stored in the vault before it (demo.case.store_footage): a plan with AV needs
    the vault running."""
    ctx = {"decision_no": decision_no}
    proxies = {role: rpc(role) for role in {s.role for s in plan}}
    clients = {role: p.start() for role, p in proxies.items()}
    try:
        for step in plan:
            # an AV step's footage goes into the vault first, as the officer stores it
            store_footage(clients["officer" if "officer" in clients else step.role].vault,
                          step, ctx)
            call = getattr(getattr(clients[step.role], step.service), step.method)
            if step.expect_error:
                with pytest.raises(Exception) as err:
                    perform(step, call, ctx)
                assert getattr(err.value, "code", None) == step.expect_error, err.value
                continue
            remember(ctx, step, perform(step, call, ctx))
            if step.name == through:
                break
    finally:
        for p in proxies.values():
            p.stop()
    return ctx


def start_vault(container_factory: Callable[..., Any], config: dict, folder: Path) -> Any:
    """The archive vault beside the record keeper, as AV records name its objects: on the
    same broker, its own SQLite database and local store under `folder`, its upload
    endpoint on a free loopback port (tests.suite.settings). Its container."""
    vault = dict(config, DATABASE_URL=f"sqlite:///{folder / 'vault.sqlite3'}",
                 **suite.settings("vault", folder))
    container = container_factory(suite.classes()["vault"], vault)
    container.start()
    return container
