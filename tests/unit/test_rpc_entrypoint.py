"""Every service answers RPC through shared.rpc: one consumer of `rpc-<service>` per service
(two consumer classes on one queue would each get calls meant for the other's methods and
answer MethodNotFound)."""
from __future__ import annotations

import pytest
from nameko.rpc import Rpc as NamekoRpc

from services.records.service import RecordsService
from services.renderer.service import RendererService
from services.review.service import ReviewService
from shared import rpc as shared_rpc

SERVICES = [RecordsService, ReviewService, RendererService]


def _entrypoints(cls):
    for name in dir(cls):
        for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
            yield name, entrypoint


@pytest.mark.parametrize("cls", SERVICES, ids=lambda c: c.name)
def test_every_rpc_method_uses_the_shared_entrypoint(cls):
    rpcs = [(name, ep) for name, ep in _entrypoints(cls) if isinstance(ep, NamekoRpc)]
    assert rpcs, f"{cls.name} has no RPC methods"
    wrong = [name for name, ep in rpcs if type(ep) is not shared_rpc.Rpc]
    assert not wrong, f"{cls.name}: methods not on shared.rpc.rpc: {wrong}"
    assert {type(ep.rpc_consumer) for _, ep in rpcs} == {shared_rpc.RpcConsumer}
