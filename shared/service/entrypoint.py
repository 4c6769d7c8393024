"""What every service does alike: the open `health` RPC and the daily look at how far the
legal calendar reaches, and the shape of an entrypoint —
verify the caller, check its role against the contract, validate the payload against the
contract, run one use case, dump the contract's response; every refusal on the way (a missing
or bad token, a role the method does not admit, another agency's record) is recorded by the
service before it reaches the caller."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from shared.calendar.clock import local_date, now
from shared.contracts.bounds import printable
from shared.contracts.registry import Contract, dump, load
from shared.errors import (
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from shared.persistence import idempotency
from shared.service.faults import contained
from shared.trust.actor import UNVERIFIED, Actor

# what of a payload that was never validated goes to the refusal log: its strings, cut short
_RAW_LENGTH = 64
# what of a refusal's reason the log keeps
_REASON_LENGTH = 2000


log = logging.getLogger(__name__)

# the calendar watch: at start and once a day
CALENDAR_WATCH_SECONDS = 24 * 3600


def health_payload(service: str, version: str, contract: Contract, rules,
                   missing_peers: list[str] | None = None) -> dict:
    """`rules` is the service's shared.rulesets.provider.Rules: its rule sets, and the calendar
    whose covered range (and warning, from 60 days before its end) health reports."""
    return {"service": service, "version": version, "rulesets": rules.refs(),
            "contracts": contract.versions(), "missing_peers": missing_peers or [],
            "calendar": rules.calendar.coverage(local_date(now())).to_dict()}


def check_calendar(service: str, calendar, at: datetime) -> dict:
    """Log a warning while the legal calendar is about to run out (an error once it has): an
    operator sees it in the service's log from 60 days before, not on the first refused
    deadline. Returns the coverage as health reports it."""
    coverage = calendar.coverage(local_date(at))
    if coverage.warning:
        log.log(logging.ERROR if coverage.days_left < 0 else logging.WARNING, "%s: %s",
                service, coverage.warning)
    return coverage.to_dict()


@contained  # a fault that is not a Sanxiang error reaches the caller as one, without its text
# The docstring's steps in order, one frame on every call: kept whole (C901).
def handle(contract: Contract, method: str, payload: dict, fn: Callable, *, actor,  # noqa: C901
           refused: Callable | None = None,
           missing: Callable[[dict], NotFound | None] | None = None,
           keys: idempotency.CallKeys | None = None, **deps):
    """One RPC, decided in this order so that what a caller learns never depends on data it
    may not see:

    1. the caller: `actor` is the call's token (shared.trust.actor.CallerToken, verified here) or an
       already verified Actor; a missing or bad token is refused;
    2. its role against the contract's `roles` for `method` — before the payload is read; a
       service (a service token, shared.trust.actor) only where the method grants it by name
       ("service:<name>"), and then held to that grant;
    3. the payload against the contract (validation_failed names each field and rule, and is
       recorded like every other refusal);
    4. the use case, which judges the agency of what it loads (Actor.require) — for a method
       the contract marks as a write, once per idempotency key (`keys`, the call's
       shared.persistence.idempotency.CallKeys; deps["db"] holds the record): a repeated request
       gets the first answer and writes nothing, a caller key reused for another request is
       refused (idempotency_key_reused) and recorded.

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
        caller = spec.admit(caller)
        request = _validated(spec.request, payload, method, caller, raw, refused)
        if spec.writes and keys is not None:
            def once():
                return dump(spec.response, fn(request, actor=caller, **deps), many=spec.many)
            return idempotency.run(deps["db"], keys, agency=caller.agency, actor_id=caller.id,
                                   method=method, request=request, call=once)
        result = fn(request, actor=caller, **deps)
    except (Forbidden, IdempotencyKeyReused) as exc:
        if refused is not None:
            refused(caller, method, request, exc)
        answer = (missing(request) if missing is not None and isinstance(exc, Forbidden)
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


def _validated(schema, payload: dict, method: str, caller: Actor, raw: dict,
               refused: Callable | None) -> dict:
    """The payload loaded by the contract's request schema; a payload the contract refuses
    (validation_failed, naming each field and rule) is recorded with the payload's strings, the
    caller being known by then."""
    try:
        return load(schema, payload, what=method)
    except ValidationFailed as exc:
        if refused is not None:
            refused(caller, method, raw, exc)
        raise


def refusal_reason(exc: Exception) -> str:
    """The reason a refusal log keeps: the error's message; for a refused token also its
    reason code (missing, expired, bad_signature, unknown_key, algorithm, malformed,
    invalid_claims) and what else it claimed (kid, alg, role, party, case), marked as not
    verified."""
    # a refused payload's field paths are in the message as the caller wrote them (a NUL
    # or a lone surrogate included): kept printable, and cut as a log row holds it
    message = printable(getattr(exc, "message", None) or str(exc), _REASON_LENGTH)
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
    return actor, Unauthenticated(exc.message, message_zh=exc.message_zh,
                                  details=dict(details, claimed=said))


def _same(answer: NotFound | None, exc: NotFound) -> bool:
    return answer is not None and answer.payload() == exc.payload()


def _raw(payload) -> dict:
    if not isinstance(payload, dict):
        return {}
    return {printable(key, _RAW_LENGTH): printable(value, _RAW_LENGTH)
            for key, value in payload.items() if isinstance(key, str) and isinstance(value, str)}
