"""What every service answers alike: the open `health` RPC."""
from __future__ import annotations

from shared.contracts import Contract


def health_payload(service: str, version: str, contract: Contract, rulesets: list[str],
                   missing_peers: list[str] | None = None) -> dict:
    return {"service": service, "version": version, "rulesets": rulesets,
            "contracts": contract.versions(), "missing_peers": missing_peers or []}
