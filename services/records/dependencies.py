"""The record keeper's own providers: the Ed25519 key that signs chain checkpoints, and the
review board as the record keeper sees it (is it deployed; what it says about a legal review
entered outside it)."""
from typing import Any

from nameko.containers import WorkerContext
from nameko.extensions import DependencyProvider

from services.records.domain.chain import CheckpointKeys
from shared.errors import ServiceNotDeployed, Unavailable
from shared.messaging.calls import AUTO, Peer, PeerClient
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


class BoardClient:
    """The review board: `deployed()`, and `check_manual_review(**request)` — its answer
    (review.check_manual_review, called with the caller's own token, so the board authorises
    the legal unit itself) within the timeout, or ServiceNotDeployed naming it: a board that
    is there but does not answer must not turn into a hang, nor into a yes.

    `deployed()` follows the deployment's REVIEW_BOARD (shared.messaging.calls): `required` —
    the board is part of it, so a board that is down for a moment (restart, upgrade) still
    counts as there and a manual entry cannot slip in ahead of it; `absent` — it is not;
    `auto` — whether an instance consumes its RPC queue right now (a deployment that says
    nothing)."""

    def __init__(self, peer: PeerClient) -> None:
        self.peer = peer

    def deployed(self) -> bool:
        return self.peer.deployed()

    def check_manual_review(self, **request: Any) -> dict:
        try:
            return dict(self.peer.forward("check_manual_review", **request))
        except Unavailable as exc:
            raise ServiceNotDeployed(exc.message, message_zh="法制审核服务（review）未响应",
                                     details={"service": "review",
                                              "method": "check_manual_review"}) from None


class ReviewBoard(Peer):
    def __init__(self) -> None:
        super().__init__("review", presence="REVIEW_BOARD", default_presence=AUTO,
                         timeout=10.0, label="the review board", label_zh="法制审核服务")

    def get_dependency(self, worker_ctx: WorkerContext) -> BoardClient:  # type: ignore[override]
        return BoardClient(super().get_dependency(worker_ctx))
