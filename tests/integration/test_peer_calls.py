"""The kernel's peer client (shared.messaging.calls) over real RabbitMQ, between two small
services of this test: a call as the calling service carries a token minted for that call —
verified by the peer as that service, for the agency named, addressed to it — and the
idempotency key given, and nothing else of the incoming call; a forwarded call carries the
caller's own token; a peer that does not answer within the timeout is Unavailable, a peer the
deployment lacks is ServiceNotDeployed, both naming the peer and the method."""
from __future__ import annotations

import eventlet
import pytest
from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from shared.errors import ServiceNotDeployed, Unavailable
from shared.messaging.calls import Peer
from shared.messaging.rpc import rpc
from shared.persistence.idempotency import CONTEXT_KEY as IDEMPOTENCY_KEY
from shared.trust.actor import CONTEXT_KEY as TOKEN_KEY
from shared.trust.actor import TokenVerifier
from shared.trust.keys import init_deployment
from tests.builders import AGENCY


class Seen(DependencyProvider):
    """What a call's context carried, the token verified as the peer verifies it."""

    def setup(self) -> None:
        self.verifier = TokenVerifier.from_config(self.container.config,
                                                  audience=self.container.service_name)

    def get_dependency(self, worker_ctx):
        data = dict(worker_ctx.data)
        actor = self.verifier.verify(data.get(TOKEN_KEY))
        return {"actor": [actor.id, actor.role, actor.agency],
                "key": data.get(IDEMPOTENCY_KEY)}


class Echo:
    name = "peer_echo"
    seen = Seen()

    @rpc
    def echo(self, **request):
        return dict(self.seen, request=request)

    @rpc
    def slow(self):
        eventlet.sleep(2)
        return "late"


class Caller:
    name = "peer_caller"
    echo = Peer("peer_echo", as_service=True, default_presence="required", timeout=0.5,
                label="the echo", label_zh="回声服务")
    nowhere = Peer("peer_nowhere", presence="NOWHERE_PEER", label="the missing peer",
                   label_zh="缺席的服务")

    @rpc
    def as_itself(self, agency):
        return self.echo.call("echo", acting_for=agency, key="write-1", agency="named")

    @rpc
    def forwarded(self):
        return self.echo.forward("echo", x=2)

    @rpc
    def too_slow(self):
        return self.echo.forward("slow")

    @rpc
    def missing(self):
        return self.nowhere.forward("anything")


@pytest.fixture
def peers(container_factory, rabbit_config, keys_dir, token_issuer):
    init_deployment(keys_dir, [], callers=["peer_caller"], issuer=False)
    config = dict(rabbit_config, KEYS_DIR=keys_dir, NOWHERE_PEER="absent")
    container_factory(Echo, config).start()
    container_factory(Caller, config).start()
    token = token_issuer.issue(actor_id="officer-1", role="officer", agency=AGENCY)
    return ClusterRpcProxy(config, timeout=30,
                           context_data={TOKEN_KEY: token, IDEMPOTENCY_KEY: "incoming-1"})


def test_a_call_as_the_service_carries_its_own_token_and_the_key_given(peers):
    with peers as rpc:
        seen = rpc.peer_caller.as_itself(agency=AGENCY)
        forwarded = rpc.peer_caller.forwarded()
    assert seen == {"actor": ["peer_caller", "service", AGENCY], "key": "write-1",
                    "request": {"agency": "named"}}
    # the caller's own token, and not the incoming call's idempotency key
    assert forwarded == {"actor": ["officer-1", "officer", AGENCY], "key": None,
                         "request": {"x": 2}}


def test_a_peer_that_does_not_answer_or_is_not_deployed_is_named(peers):
    with peers as rpc:
        with pytest.raises(Unavailable) as slow:
            rpc.peer_caller.too_slow()
        with pytest.raises(ServiceNotDeployed) as missing:
            rpc.peer_caller.missing()
    assert slow.value.details == {"service": "peer_echo", "method": "slow", "retry": True}
    assert "the echo (service `peer_echo`) did not answer within 0.5 s" in slow.value.message
    assert "回声服务" in slow.value.message_zh
    assert missing.value.details["service"] == "peer_nowhere"
    assert missing.value.details["method"] == "anything"
    assert "缺席的服务" in missing.value.message_zh
