"""What every service does alike: the open `health` RPC, and the shape of an entrypoint —
validate the payload against the contract, run one use case, dump the contract's response,
and on a refusal let the service record it before it reaches the caller."""
from __future__ import annotations

from typing import Callable

from shared.contracts import Contract, dump, load
from shared.errors import Forbidden


def health_payload(service: str, version: str, contract: Contract, rulesets: list[str],
                   missing_peers: list[str] | None = None) -> dict:
    return {"service": service, "version": version, "rulesets": rulesets,
            "contracts": contract.versions(), "missing_peers": missing_peers or []}


def handle(contract: Contract, method: str, payload: dict, fn: Callable, *, actor,
           refused: Callable | None = None, **deps):
    """One RPC: `actor` is already verified (an unauthenticated call never gets here);
    `refused(actor, method, request, exc)` records a Forbidden before it is re-raised."""
    spec = contract.rpc(method)
    request = load(spec.request, payload, what=method)
    try:
        result = fn(request, actor=actor, **deps)
    except Forbidden as exc:
        if refused is not None:
            refused(actor, method, request, exc)
        raise
    return dump(spec.response, result, many=spec.many)
