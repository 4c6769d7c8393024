"""The disclosure publisher's own providers: the Ed25519 key that signs the tree heads of each
agency's log of public acts (made by `sanxiang keys init` as the service's checkpoint key,
the service declaring `signs_checkpoints`), and what `health` says of the rules it publishes
under."""
from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.disclosure.domain.log import LogKeys
from shared.messaging.calls import AUTO, Peer
from shared.rulesets.provider import Rules
from shared.trust.keys import KeyStore


class LogKey(DependencyProvider):
    """The log keys (services.disclosure.domain.log.LogKeys): this service's signing key and the
    published verification keys, old ones included."""

    def setup(self) -> None:
        store = KeyStore.from_config(self.container.config)
        name = self.container.service_name
        self.keys = LogKeys.of(store.checkpoint_key(name).key,
                               store.checkpoint_verification_keys(name))

    def get_dependency(self, worker_ctx: Any) -> LogKeys:
        return self.keys


def _period(rs: Any, name: str) -> str:
    period = rs.period(name)
    return f"{period.amount} {period.unit}"


def health(rules: Rules) -> dict[str, Any]:
    """Per agency served: the rule set its publication periods come from, and whether review
    comes before publishing."""
    out = {}
    for code, agency in sorted(rules.agencies.items()):
        rs = agency.ruleset
        out[code] = {"ruleset": rs.ref,
                     **{name: _period(rs, name) for name in (
                         "publish_licence_penalty", "publish_other_decision",
                         "withdraw_changed_publication")},
                     "prepublication_review": bool(
                         rs.section("disclosure")["prepublication_review"]["value"])}
    return {"disclosure": out}


class PortalSite(DependencyProvider):
    """The public portal in DISCLOSURE_PORTAL_DIR (services.disclosure.usecases.portal): made
    at start-up with its fixed files and the verification keys it publishes (this service's
    log keys, the record keeper's checkpoint keys); one writer at a time in this instance
    (`lock`), and across instances (usecases.portal.writer_lock)."""

    def __init__(self, default_dir: str) -> None:
        self.default_dir = default_dir

    def setup(self) -> None:
        from eventlet.semaphore import Semaphore

        from services.disclosure.usecases import portal

        config = self.container.config
        self.directory = config.get("DISCLOSURE_PORTAL_DIR") or self.default_dir
        self.site = portal.site(self.directory, config)
        store = KeyStore.from_config(config)
        name = self.container.service_name
        own = LogKeys.of(store.checkpoint_key(name).key, store.checkpoint_verification_keys(name))
        portal.publish_keys(self.site.target, own.verifying,
                            store.checkpoint_verification_keys("records"))
        self.lock = Semaphore(1)

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self


# ---- the portal's correction form (services.disclosure.http, usecases.submissions) -----------

class FormSettings(DependencyProvider):
    """The correction form's limits (domain.limits.FormLimits.from_config), the header a
    trusted proxy names the client's address in (DISCLOSURE_FORM_CLIENT_HEADER, e.g. X-Real-IP
    behind the compose nginx; unset: the peer's address) and the secret the client's address is
    hashed under (DISCLOSURE_FORM_SECRET; unset: derived from this service's log signing key, the
    same for every instance of a deployment) — checked at start, so a bad setting stops the
    service naming it."""

    def setup(self) -> None:
        import hashlib

        from cryptography.hazmat.primitives import serialization

        from services.disclosure.domain.limits import FormLimits

        config = self.container.config
        self.limits = FormLimits.from_config(config)
        self.client_header = config.get("DISCLOSURE_FORM_CLIENT_HEADER") or None
        secret = config.get("DISCLOSURE_FORM_SECRET")
        if not secret:
            key = KeyStore.from_config(config).checkpoint_key(self.container.service_name).key
            raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
            secret = hashlib.sha256(b"sanxiang disclosure form client|" + raw).hexdigest()
        self.secret = str(secret).encode("utf-8")

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self


class VaultClient:
    """A peer called as this service (a service token bound to the agency the call acts for):
    the vault (usecases.submissions.Vault; vault.store_attachment grants "service:disclosure")
    and the renderer (usecases.corrections.Renderer). A peer not running is Unavailable naming
    it."""

    def __init__(self, peer: Any) -> None:
        self.peer = peer

    def call(self, acting_for: str, method: str, /, *, key: str | None = None,
             **request: Any) -> Any:
        return self.peer.call(method, acting_for=acting_for, key=key, **request)


class AttachmentVault(Peer):
    """The archive vault, where the form's attachments are kept: part of every deployment that
    takes requests through the portal (presence config VAULT, as for the annual report's PDF)."""

    def __init__(self) -> None:
        super().__init__("vault", as_service=True, presence="VAULT",
                         default_presence=AUTO, timeout=60.0, label="the archive vault",
                         label_zh="档案存储服务")

    def get_dependency(self, worker_ctx: Any) -> VaultClient:  # type: ignore[override]
        return VaultClient(super().get_dependency(worker_ctx))


class AnswerRenderer(Peer):
    """The renderer, which renders each request's written answer (更正申请答复书, template
    correction_answer) for this service calling it as itself (renderer.render grants
    "service:disclosure"). An answer is given in writing (004 第二十一条), so the renderer is part
    of every deployment that answers requests (presence config RENDERER, as for the annual
    report): not running, the answer is refused naming it, nothing recorded."""

    def __init__(self) -> None:
        super().__init__("renderer", as_service=True, presence="RENDERER",
                         default_presence=AUTO, timeout=120.0,
                         label="the document renderer", label_zh="文书生成服务")

    def get_dependency(self, worker_ctx: Any) -> VaultClient:  # type: ignore[override]
        return VaultClient(super().get_dependency(worker_ctx))
