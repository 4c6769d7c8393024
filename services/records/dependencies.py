"""The record keeper's own providers: the Ed25519 key that signs chain checkpoints, and the
review board as the record keeper sees it (is it deployed; what it says about a legal review
entered outside it)."""
from typing import Any

import eventlet
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.containers import WorkerContext
from nameko.extensions import DependencyProvider
from nameko.rpc import RpcProxy

from services.records.domain.chain import CheckpointKeys
from shared.errors import ConfigurationError, ServiceNotDeployed
from shared.messaging.peers import PeerDirectory
from shared.service.ports import Peers
from shared.trust.keys import KeyStore


class SigningKey(DependencyProvider):
    """The checkpoint keys (services.records.domain.chain.CheckpointKeys): this service's
    signing key and the published verification keys, old ones included."""

    def setup(self) -> None:
        store = KeyStore.from_config(self.container.config)
        name = self.container.service_name
        self.key = CheckpointKeys.of(store.checkpoint_key(name).key,
                                     store.checkpoint_verification_keys(name))

    def get_dependency(self, worker_ctx: WorkerContext) -> CheckpointKeys:
        return self.key


# config REVIEW_BOARD: is the review board part of this deployment?
BOARD_REQUIRED, BOARD_ABSENT, BOARD_AUTO = "required", "absent", "auto"


class BoardClient:
    """The review board: `deployed()`, and `check_manual_review(**request)` — its answer
    (review.check_manual_review) within `timeout` seconds, or ServiceNotDeployed naming it:
    a board that is there but does not answer must not turn into a hang, nor into a yes.

    `deployed()` follows the deployment's REVIEW_BOARD: `required` — the board is part of it,
    so a board that is down for a moment (restart, upgrade) still counts as there and a manual
    entry cannot slip in ahead of it; `absent` — it is not; `auto` — whether an instance
    consumes its RPC queue right now (a deployment that says nothing)."""

    timeout = 10.0

    def __init__(self, directory: Peers, proxy: Any, mode: str = BOARD_AUTO) -> None:
        self.directory = directory
        self.proxy = proxy
        self.mode = mode

    def deployed(self) -> bool:
        if self.mode == BOARD_REQUIRED:
            return True
        if self.mode == BOARD_ABSENT:
            return False
        return self.directory.deployed("review")

    def check_manual_review(self, **request: Any) -> dict:
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
    def __init__(self) -> None:
        super().__init__("review")

    def setup(self) -> None:
        super().setup()
        self.directory = PeerDirectory(self.container.config[AMQP_URI_CONFIG_KEY])
        self.mode = str(self.container.config.get("REVIEW_BOARD") or BOARD_AUTO).strip()
        if self.mode not in (BOARD_REQUIRED, BOARD_ABSENT, BOARD_AUTO):
            raise ConfigurationError(f"REVIEW_BOARD: {self.mode!r} is not one of "
                                     f"{BOARD_REQUIRED}, {BOARD_ABSENT}, {BOARD_AUTO}",
                                     message_zh=f"REVIEW_BOARD 设置为 {self.mode!r}，应为 "
                                                f"{BOARD_REQUIRED}、{BOARD_ABSENT} 或 {BOARD_AUTO}")

    def get_dependency(self, worker_ctx: WorkerContext) -> BoardClient:
        return BoardClient(self.directory, super().get_dependency(worker_ctx), self.mode)
