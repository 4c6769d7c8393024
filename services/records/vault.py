"""The archive vault as the record keeper sees it: is it deployed, and what it holds under an
object id (vault.get_object), asked with the caller's own token — an AV record names a vault
object, and the record keeper checks the media against it before writing (record_av).

config VAULT: is the vault part of this deployment? `required` — it is, so a vault down for a
moment (restart, upgrade) is asked all the same and its silence answered as unavailable, never
as "no such object"; `absent` — it is not: AV cannot be recorded, since the issue's rule is that
every AV record refers to an object the vault holds, and record_av is refused naming the vault;
`auto` (a deployment that says nothing) — whether an instance consumes its RPC queue now."""
from __future__ import annotations

from nameko.containers import WorkerContext

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


class Vault(Peer):
    def __init__(self) -> None:
        super().__init__("vault", presence="VAULT", default_presence=AUTO, timeout=10.0,
                         label="the archive vault", label_zh="档案存储服务")

    def get_dependency(self, worker_ctx: WorkerContext) -> VaultClient:  # type: ignore[override]
        return VaultClient(super().get_dependency(worker_ctx))
