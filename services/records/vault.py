"""The archive vault as the record keeper sees it: is it deployed; what it holds under an object
id (vault.get_object, asked with the caller's own token: the vault authorises the officer
itself) — an AV record names a vault object, and the record keeper checks the media against
it before writing (record_av); and what it keeps of a case — the case's last stored
checkpoint, the agency's last stored tree head, the verification keys it pinned
(services.records.domain.anchor), asked by the record keeper as itself (a service token for
the case's agency: whoever verifies, a person or the vault packaging the case) — which
verify_case checks the case against. A vault that does
not answer never turns into a hang, nor into an anchored yes.

config VAULT: is the vault part of this deployment? `required` — it is, so a vault down for a
moment (restart, upgrade) is asked all the same and its silence answered as unavailable, never
as "no such object"; `absent` — it is not: AV cannot be recorded, since every AV record must
refer to an object the vault holds, and record_av is refused naming the vault;
`auto` (a deployment that says nothing) — whether an instance consumes its RPC queue now."""
from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from nameko.containers import WorkerContext

from services.records.domain import anchor
from shared.errors import Forbidden, NotFound, ServiceNotDeployed, Unavailable
from shared.messaging.calls import AUTO, Peer, PeerClient


def not_deployed(why: str, why_zh: str) -> ServiceNotDeployed:
    return ServiceNotDeployed(
        f"the archive vault (service `vault`) {why}: an AV record must name an object the "
        f"vault holds, so none is recorded", message_zh=f"档案存储服务（vault）{why_zh}："
        f"音像记录须引用档案存储中的对象，未予登记",
        details={"service": "vault", "method": "get_object"})


class VaultClient:
    """`object(object_id)`: the vault's object (vault.get_object's answer), or None where the
    vault has none under that id the caller may see — another agency's answers as missing.
    Within the peer's timeout, or ServiceNotDeployed naming the vault; its passing faults as
    Unavailable naming it. Nothing else of the vault's is asked."""

    def __init__(self, peer: PeerClient) -> None:
        self.peer = peer

    def deployed(self) -> bool:
        return self.peer.deployed()

    def object(self, object_id: str) -> dict | None:
        if not self.deployed():
            raise not_deployed("is not deployed", "未部署")
        # the caller's actor token travels with the call: the vault authorises the officer
        # itself, and answers only objects of the officer's agency
        try:
            return dict(self.peer.forward("get_object", object_id=object_id))
        except ServiceNotDeployed:
            raise not_deployed("is not running", "未运行") from None
        except (NotFound, Forbidden):
            return None
        except Unavailable as exc:
            if exc.details.get("service") == "vault" and exc.details.get("method"):
                raise not_deployed("did not answer", "未响应") from None
            raise Unavailable(f"the archive vault (service `vault`) is unavailable for a "
                              f"moment: {exc}; nothing was written, send the request again",
                              message_zh="档案存储服务（vault）暂时不可用，未写入，请稍后重试",
                              details={"service": "vault", "retry": True}) from None


    def held(self, agency: str, case_id: str) -> anchor.Held | str:
        """anchor.Held, or the reason (anchor.VAULT_NOT_DEPLOYED, anchor.NOT_IN_VAULT) it
        cannot be had."""
        if not self.deployed():
            return anchor.VAULT_NOT_DEPLOYED
        try:
            checkpoint = self._anchor("latest_checkpoint", agency, agency=agency,
                                      case_id=case_id)
        except NotFound:
            return anchor.NOT_IN_VAULT
        try:
            tree_head = self._anchor("latest_tree_head", agency, agency=agency)
        except NotFound:
            tree_head = None
        keys = self._anchor("checkpoint_keys", agency)
        return anchor.Held(checkpoint, tree_head, _public_keys(keys["keys"]))

    def _anchor(self, method: str, acting_for: str, **request: Any) -> Any:
        try:
            return self.peer.call(method, acting_for=acting_for, **request)
        except Unavailable as exc:
            if exc.details.get("service") != "vault" or not exc.details.get("method"):
                raise
            raise ServiceNotDeployed(
                f"{exc.message}: the case cannot be checked against the checkpoints it keeps",
                message_zh=f"档案存储服务（vault）未响应{method}，无法核对存证检查点",
                details={"service": "vault", "method": method}) from None


def _public_keys(pinned: list[dict]) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for key in pinned:
        public = load_pem_public_key(key["public_key"].encode())
        if isinstance(public, Ed25519PublicKey):
            keys[key["key_id"]] = public
    return keys


class Vault(Peer):
    def __init__(self) -> None:
        super().__init__("vault", as_service=True, presence="VAULT", default_presence=AUTO,
                         timeout=10.0,
                         label="the archive vault", label_zh="档案存储服务")

    def get_dependency(self, worker_ctx: WorkerContext) -> VaultClient:  # type: ignore[override]
        return VaultClient(super().get_dependency(worker_ctx))
