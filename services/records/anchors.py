"""The vault as verify_case sees it: is it deployed, and what does it keep of a case — the
case's last stored checkpoint, the agency's last stored tree head, the verification keys it
pinned (services.records.domain.anchor). Each call carries the caller's own actor token
(nameko context data), so the vault authorises the reader itself, and is answered within
`timeout` seconds or raised as ServiceNotDeployed naming the vault: a vault that does not
answer never turns into a hang, nor into an anchored yes.

Config VAULT: `required` (the vault is part of the deployment: verify_case fails when it does
not answer), `absent` (it is not: verify_case says it was not anchored), `auto` (default:
whether an instance consumes its RPC queue right now)."""
from __future__ import annotations

from typing import Any

import eventlet
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.containers import WorkerContext
from nameko.rpc import RpcProxy

from services.records.domain import anchor
from shared.errors import ConfigurationError, NotFound, ServiceNotDeployed
from shared.messaging.peers import PeerDirectory
from shared.service.ports import Peers

REQUIRED, ABSENT, AUTO = "required", "absent", "auto"


class VaultAnchors:
    """`held(agency, case_id)`: anchor.Held, or the reason (anchor.VAULT_NOT_DEPLOYED,
    anchor.NOT_IN_VAULT) it cannot be had."""

    timeout = 10.0

    def __init__(self, directory: Peers, proxy: Any, mode: str = AUTO) -> None:
        self.directory = directory
        self.proxy = proxy
        self.mode = mode

    def deployed(self) -> bool:
        if self.mode in (REQUIRED, ABSENT):
            return self.mode == REQUIRED
        return self.directory.deployed("vault")

    def held(self, agency: str, case_id: str) -> anchor.Held | str:
        if not self.deployed():
            return anchor.VAULT_NOT_DEPLOYED
        try:
            checkpoint = self._call("latest_checkpoint", agency=agency, case_id=case_id)
        except NotFound:
            return anchor.NOT_IN_VAULT
        try:
            tree_head = self._call("latest_tree_head", agency=agency)
        except NotFound:
            tree_head = None
        keys = self._call("checkpoint_keys")
        return anchor.Held(checkpoint, tree_head, _public_keys(keys["keys"]))

    def _call(self, method: str, **request: Any) -> Any:
        reply = getattr(self.proxy, method).call_async(**request)
        try:
            with eventlet.Timeout(self.timeout):
                return reply.result()
        except eventlet.Timeout:
            raise ServiceNotDeployed(
                f"the vault (service `vault`) did not answer {method} within "
                f"{self.timeout:g} s", message_zh=f"档案存储服务（vault）未在{self.timeout:g}秒内"
                f"响应{method}，无法核对存证检查点",
                details={"service": "vault", "method": method}) from None


def _public_keys(pinned: list[dict]) -> dict[str, Ed25519PublicKey]:
    keys = {}
    for key in pinned:
        public = load_pem_public_key(key["public_key"].encode())
        if isinstance(public, Ed25519PublicKey):
            keys[key["key_id"]] = public
    return keys


class Vault(RpcProxy):
    def __init__(self) -> None:
        super().__init__("vault")

    def setup(self) -> None:
        super().setup()
        self.directory = PeerDirectory(self.container.config[AMQP_URI_CONFIG_KEY])
        self.mode = str(self.container.config.get("VAULT") or AUTO).strip()
        if self.mode not in (REQUIRED, ABSENT, AUTO):
            raise ConfigurationError(f"VAULT: {self.mode!r} is not one of {REQUIRED}, "
                                     f"{ABSENT}, {AUTO}",
                                     message_zh=f"VAULT 设置为 {self.mode!r}，应为 {REQUIRED}、"
                                                f"{ABSENT} 或 {AUTO}")

    def get_dependency(self, worker_ctx: WorkerContext) -> VaultAnchors:
        return VaultAnchors(self.directory, super().get_dependency(worker_ctx), self.mode)
