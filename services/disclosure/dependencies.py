"""The disclosure publisher's own providers: the Ed25519 key that signs the tree heads of each
agency's log of public acts (made by `sanxiang keys init` as the service's checkpoint key,
the service declaring `signs_checkpoints`), and what `health` says of the rules it publishes
under."""
from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

from services.disclosure.domain.log import LogKeys
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
        self.site = portal.site(self.directory)
        store = KeyStore.from_config(config)
        name = self.container.service_name
        own = LogKeys.of(store.checkpoint_key(name).key, store.checkpoint_verification_keys(name))
        portal.publish_keys(self.site.target, own.verifying,
                            store.checkpoint_verification_keys("records"))
        self.lock = Semaphore(1)

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self
