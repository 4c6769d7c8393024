"""The record keeper's own providers: the Ed25519 key that signs chain checkpoints, and the
review board as the record keeper sees it (is it deployed; what it says about a legal review
entered outside it)."""
import eventlet
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from shared.errors import ServiceNotDeployed
from shared.keys import KeyStore
from shared.peers import PeerDirectory


class SigningKey(DependencyProvider):
    def setup(self):
        self.key = KeyStore.from_config(self.container.config).checkpoint_key(self.container.service_name).key

    def get_dependency(self, worker_ctx):
        return self.key


class BoardClient:
    """The review board: `deployed()`, and `check_manual_review(**request)` — its answer
    (review.check_manual_review) within `timeout` seconds, or ServiceNotDeployed naming it:
    a board that is there but does not answer must not turn into a hang, nor into a yes."""

    timeout = 10.0

    def __init__(self, directory: PeerDirectory, proxy):
        self.directory = directory
        self.proxy = proxy

    def deployed(self) -> bool:
        return self.directory.deployed("review")

    def check_manual_review(self, **request) -> dict:
        # the caller's actor token travels with the call (nameko context data), so the
        # board authorises the legal unit itself
        reply = self.proxy.check_manual_review.call_async(**request)
        try:
            with eventlet.Timeout(self.timeout):
                return reply.result()
        except eventlet.Timeout:
            raise ServiceNotDeployed(
                f"the review board (service `review`) did not answer within {self.timeout:g} s",
                message_zh="法制审核服务（review）未响应",
                details={"service": "review", "method": "check_manual_review"}) from None


class ReviewBoard(RpcProxy):
    def __init__(self):
        super().__init__("review")

    def setup(self):
        super().setup()
        self.directory = PeerDirectory(self.container.config[AMQP_URI_CONFIG_KEY])

    def get_dependency(self, worker_ctx):
        return BoardClient(self.directory, super().get_dependency(worker_ctx))
