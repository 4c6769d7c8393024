"""The archive vault as the record keeper sees it: is it deployed, and what it holds under an
object id (vault.get_object), asked with the caller's own token — an AV record names a vault
object, and the record keeper checks the media against it before writing (record_av).

config VAULT: is the vault part of this deployment? `required` — it is, so a vault down for a
moment (restart, upgrade) is asked all the same and its silence answered as unavailable, never
as "no such object"; `absent` — it is not: AV cannot be recorded, since the issue's rule is that
every AV record refers to an object the vault holds, and record_av is refused naming the vault;
`auto` (a deployment that says nothing) — whether an instance consumes its RPC queue now."""
from __future__ import annotations

from typing import Any

import eventlet
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.containers import WorkerContext
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from shared.errors import ConfigurationError, Forbidden, NotFound, ServiceNotDeployed, Unavailable
from shared.messaging.peers import PeerDirectory
from shared.service.ports import Peers

VAULT_REQUIRED, VAULT_ABSENT, VAULT_AUTO = "required", "absent", "auto"
MODES = (VAULT_REQUIRED, VAULT_ABSENT, VAULT_AUTO)


def not_deployed(why: str, why_zh: str) -> ServiceNotDeployed:
    return ServiceNotDeployed(
        f"the archive vault (service `vault`) {why}: an AV record must name an object the "
        f"vault holds, so none is recorded", message_zh=f"档案存储服务（vault）{why_zh}："
        f"音像记录须引用档案存储中的对象，未予登记",
        details={"service": "vault", "method": "get_object"})


class VaultClient:
    """`object(object_id)`: the vault's object (vault.get_object's answer), or None where the
    vault has none under that id the caller may see — another agency's answers as missing.
    Within `timeout` seconds, or ServiceNotDeployed naming the vault; its passing faults as
    Unavailable naming it. Nothing else of the vault's is asked."""

    timeout = 10.0

    def __init__(self, directory: Peers, proxy: Any, mode: str = VAULT_AUTO) -> None:
        self.directory = directory
        self.proxy = proxy
        self.mode = mode

    def deployed(self) -> bool:
        if self.mode == VAULT_REQUIRED:
            return True
        if self.mode == VAULT_ABSENT:
            return False
        return self.directory.deployed("vault")

    def object(self, object_id: str) -> dict | None:
        if not self.deployed():
            raise not_deployed("is not deployed", "未部署")
        # the caller's actor token travels with the call (nameko context data): the vault
        # authorises the officer itself, and answers only objects of the officer's agency
        try:
            reply = self.proxy.get_object.call_async(object_id=object_id)
            with eventlet.Timeout(self.timeout):
                return dict(reply.result())
        except eventlet.Timeout:
            raise not_deployed(f"did not answer within {self.timeout:g} s", "未响应") from None
        except UnknownService:
            raise not_deployed("is not running", "未运行") from None
        except (NotFound, Forbidden):
            return None
        except Unavailable as exc:
            raise Unavailable(f"the archive vault (service `vault`) is unavailable for a "
                              f"moment: {exc}; nothing was written, send the request again",
                              message_zh="档案存储服务（vault）暂时不可用，未写入，请稍后重试",
                              details={"service": "vault", "retry": True}) from None


class Vault(RpcProxy):
    def __init__(self) -> None:
        super().__init__("vault")

    def setup(self) -> None:
        super().setup()
        self.directory = PeerDirectory(self.container.config[AMQP_URI_CONFIG_KEY])
        self.mode = str(self.container.config.get("VAULT") or VAULT_AUTO).strip()
        if self.mode not in MODES:
            raise ConfigurationError(f"VAULT: {self.mode!r} is not one of {', '.join(MODES)}",
                                     message_zh=f"VAULT 设置为 {self.mode!r}，应为 "
                                                f"{'、'.join(MODES)}")

    def get_dependency(self, worker_ctx: WorkerContext) -> VaultClient:
        return VaultClient(self.directory, super().get_dependency(worker_ctx), self.mode)
