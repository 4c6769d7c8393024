"""What every service does alike: the open `health` RPC, and the shape of an entrypoint —
verify the caller, check its role against the contract, validate the payload against the
contract, run one use case, dump the contract's response; every refusal on the way (a missing
or bad token, a role the method does not admit, another agency's record) is recorded by the
service before it reaches the caller."""
from __future__ import annotations

from typing import Callable

from shared.actor import UNVERIFIED, Actor
from shared.bounds import printable
from shared.contracts import Contract, dump, load
from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.faults import contained

# what of a payload that was never validated goes to the refusal log: its strings, cut short
_RAW_LENGTH = 64


def health_payload(service: str, version: str, contract: Contract, rulesets: list[str],
                   missing_peers: list[str] | None = None) -> dict:
    return {"service": service, "version": version, "rulesets": rulesets,
            "contracts": contract.versions(), "missing_peers": missing_peers or []}


@contained  # a fault that is not a Sanxiang error reaches the caller as one, without its text
def handle(contract: Contract, method: str, payload: dict, fn: Callable, *, actor,
           refused: Callable | None = None,
           missing: Callable[[dict], NotFound | None] | None = None, **deps):
    """One RPC, decided in this order so that what a caller learns never depends on data it
    may not see:

    1. the caller: `actor` is the call's token (shared.actor.CallerToken, verified here) or an
       already verified Actor; a missing or bad token is refused;
    2. its role against the contract's `roles` for `method` — before the payload is read;
    3. the payload against the contract (validation_failed names each field and rule);
    4. the use case, which judges the agency of what it loads (Actor.require).

    `refused(actor, method, request, exc)` records each refusal before it is raised: a
    Forbidden with the verified Actor, or an Unauthenticated with an unverified Actor (role
    "unverified", id and agency as the token claimed them) and the token's other claims in
    the recorded error's details["claimed"] (refusal_reason writes them out);
    `request` is the validated request, or the payload's strings when it was not validated
    yet. A refusal `out_of_reach` (another agency's record) is answered as `missing(request)`
    — the service's own not_found for that id — so it reads exactly like an id that does not
    exist; and that not_found for an id that really does not exist is recorded as well."""
    spec = contract.rpc(method)
    raw = _raw(payload)
    if isinstance(actor, Actor):
        caller = actor
    else:
        try:
            caller = actor()
        except Unauthenticated as exc:
            if refused is not None:
                claimant, recorded = _claimed(actor, exc)
                refused(claimant, method, raw, recorded)
            raise
    request = raw
    try:
        if "any" not in spec.roles:
            caller.require(*spec.roles)
        request = load(spec.request, payload, what=method)
        result = fn(request, actor=caller, **deps)
    except Forbidden as exc:
        if refused is not None:
            refused(caller, method, request, exc)
        answer = (missing(request) if missing is not None
                  and getattr(exc, "out_of_reach", False) else None)
        if answer is not None:
            raise answer from None
        raise
    except NotFound as exc:
        # an id that does not exist is recorded as refused too: a probe for ids is worth
        # knowing of, and the answer then costs the same work (one write) as the answer
        # about another agency's record, so not even its timing tells them apart
        if (refused is not None and missing is not None
                and _same(missing(request), exc)):
            refused(caller, method, request, exc)
        raise
    return dump(spec.response, result, many=spec.many)


def refusal_reason(exc: Exception) -> str:
    """The reason a refusal log keeps: the error's message; for a refused token also its
    reason code (missing, expired, bad_signature, unknown_key, algorithm, malformed,
    invalid_claims) and what else it claimed (kid, alg, role, party, case), marked as not
    verified."""
    message = getattr(exc, "message", None) or str(exc)
    if not isinstance(exc, Unauthenticated):
        return message
    details = exc.details if isinstance(exc.details, dict) else {}
    said = details.get("claimed") or {}
    shown = ", ".join(f"{k}={v!r}" for k, v in said.items() if k not in ("sub", "agency"))
    return (f"unauthenticated ({details.get('reason', 'invalid')}): {message}"
            + (f"; claimed, not verified: {shown}" if shown else ""))


def _claimed(token, exc: Unauthenticated) -> tuple[Actor, Unauthenticated]:
    """Who a refused token said it was, and the error to record (the caller's copy does not
    echo the claims back)."""
    if hasattr(token, "claimed"):
        actor, said = token.claimed(), token.claims()
    else:
        actor, said = Actor(id="", role=UNVERIFIED, agency="", verified=False), {}
    details = dict(exc.details) if isinstance(exc.details, dict) else {}
    return actor, Unauthenticated(exc.message, details=dict(details, claimed=said))


def _same(answer: NotFound | None, exc: NotFound) -> bool:
    return answer is not None and answer.payload() == exc.payload()


def _raw(payload) -> dict:
    if not isinstance(payload, dict):
        return {}
    return {printable(key, _RAW_LENGTH): printable(value, _RAW_LENGTH)
            for key, value in payload.items() if isinstance(key, str) and isinstance(value, str)}
