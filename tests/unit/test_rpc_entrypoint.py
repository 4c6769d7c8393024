"""Every service answers RPC through shared.messaging.rpc: one consumer of `rpc-<service>` per
service
(two consumer classes on one queue would each get calls meant for the other's methods and
answer MethodNotFound)."""
from __future__ import annotations

import pytest
from nameko.rpc import Rpc as NamekoRpc

from shared.messaging import rpc as shared_rpc
from tests import suite

# every installed service (the sanxiang.services entry points)
SERVICES = list(suite.classes().values())


def _entrypoints(cls):
    for name in dir(cls):
        for entrypoint in getattr(getattr(cls, name), "nameko_entrypoints", ()):
            yield name, entrypoint


@pytest.mark.parametrize("cls", SERVICES, ids=lambda c: c.name)
def test_every_rpc_method_uses_the_shared_entrypoint(cls):
    rpcs = [(name, ep) for name, ep in _entrypoints(cls) if isinstance(ep, NamekoRpc)]
    assert rpcs, f"{cls.name} has no RPC methods"
    wrong = [name for name, ep in rpcs if type(ep) is not shared_rpc.Rpc]
    assert not wrong, f"{cls.name}: methods not on shared.messaging.rpc.rpc: {wrong}"
    assert {type(ep.rpc_consumer) for _, ep in rpcs} == {shared_rpc.RpcConsumer}


def test_the_request_identity_is_the_messages_own_correlation_id():
    """What a write without a caller key is keyed by (shared.persistence.idempotency): the AMQP
    correlation_id of the message being handled — never a header a caller sent, nor the one a
    calling worker forwarded with its context."""
    from kombu import Message

    from shared.persistence.idempotency import REQUEST_ID_KEY

    entrypoint = shared_rpc.Rpc()
    forwarded = {"nameko.actor_token": "t", f"nameko.{REQUEST_ID_KEY}": "the caller's own",
                 "nameko.idempotency_key": "k-1"}
    data = entrypoint.unpack_message_headers(
        Message(body="{}", properties={"correlation_id": "c-1"}, headers=forwarded))
    assert data == {"actor_token": "t", REQUEST_ID_KEY: "c-1", "idempotency_key": "k-1"}
    data = entrypoint.unpack_message_headers(Message(body="{}", headers=forwarded))
    assert REQUEST_ID_KEY not in data


@pytest.mark.parametrize("cls", SERVICES, ids=lambda c: c.name)
def test_every_service_hands_its_calls_keys_to_the_entrypoint_shape(cls):
    from shared.persistence.idempotency import RequestKeys

    assert isinstance(getattr(cls, "keys", None), RequestKeys), \
        f"{cls.name}: its writes need the call's idempotency keys (shared.persistence.idempotency)"
