"""shared.service.entrypoint.handle, the one entrypoint shape: the caller's token first, its role
against
the contract before the payload, the payload before the use case; every refusal handed to the
service's recorder (a refused token with what it claimed, unverified); a refusal about
another agency's record answered as the service's own not_found."""
from __future__ import annotations

import pytest

from contracts.records import CONTRACT
from shared.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from shared.service.entrypoint import handle, refusal_reason
from shared.trust.actor import Actor, CallerToken, TokenVerifier, out_of_reach
from shared.trust.keys import KeyStore

OFFICER = Actor(id="officer-1", role="officer", agency="lingchuan-emergency")


def run(method, payload, fn, *, actor=OFFICER, missing=None):
    refusals = []
    try:
        result = handle(CONTRACT, method, payload, fn, actor=actor, missing=missing,
                        refused=lambda *args: refusals.append(args))
    except Exception as exc:
        return exc, refusals
    return result, refusals


def never(*args, **kwargs):
    raise AssertionError("the use case must not run")


def test_the_role_is_judged_before_the_payload():
    # issue_decision is the head's: an officer is refused whatever the payload holds
    for payload in ({}, {"case_id": 7}, {"case_id": "x", "proposal_seq": "nine"}):
        exc, refusals = run("issue_decision", payload, never)
        assert isinstance(exc, Forbidden), exc
        assert exc.details == {"role": "officer", "allowed": ["head"]}
        assert [(a.id, m) for a, m, _, _ in refusals] == [("officer-1", "issue_decision")]
    # the role admitted, the payload is judged before the use case runs — and a payload the
    # contract refuses is a refusal recorded like the others, with the payload's strings
    head = Actor(id="head-1", role="head", agency="lingchuan-emergency")
    exc, refusals = run("issue_decision", {"case_id": "c-1", "proposal_seq": "nine"}, never,
                        actor=head)
    assert isinstance(exc, ValidationFailed)
    assert [(a.id, m, r, e) for a, m, r, e in refusals] == [
        ("head-1", "issue_decision", {"case_id": "c-1", "proposal_seq": "nine"}, exc)]


def test_out_of_reach_is_answered_as_missing_and_recorded_as_refused():
    def elsewhere(request, **_):
        raise out_of_reach("another agency's case", details={"agency": "qinyuan-energy"})

    missing = lambda request: NotFound(f"no case {request['case_id']}")
    exc, refusals = run("get_case", {"case_id": "c-1"}, elsewhere, missing=missing)
    assert type(exc) is NotFound and exc.message == "no case c-1"
    assert [(m, r, e.message) for _, m, r, e in refusals] == [
        ("get_case", {"case_id": "c-1"}, "another agency's case")]
    # a plain Forbidden (a role inside the use case) stays what it is
    exc, _ = run("get_case", {"case_id": "c-1"},
                 lambda request, **_: OFFICER.require("head"), missing=missing)
    assert type(exc) is Forbidden


def test_actor_require_judges_the_agency_before_the_role():
    with pytest.raises(Forbidden) as err:
        OFFICER.require("head", agency="qinyuan-energy")
    assert getattr(err.value, "out_of_reach", False)
    assert err.value.details == {"actor_agency": "lingchuan-emergency",
                                 "agency": "qinyuan-energy"}


def test_a_refused_token_is_recorded_with_what_it_claimed(keys_dir, token_issuer):
    verifier = TokenVerifier(KeyStore(keys_dir).token_verification_keys())
    expired = token_issuer.issue(actor_id="officer-9", role="officer",
                                 agency="lingchuan-emergency", now=1_000_000, ttl_seconds=60)
    exc, refusals = run("get_case", {"case_id": "c-1", "extra": {"not": "a string"}}, never,
                        actor=CallerToken(verifier, expired))
    assert isinstance(exc, Unauthenticated) and exc.details == {"reason": "expired"}
    [(who, method, request, recorded)] = refusals
    assert (who.id, who.role, who.agency, who.verified) == (
        "officer-9", "unverified", "lingchuan-emergency", False)
    assert (method, request) == ("get_case", {"case_id": "c-1"})
    reason = refusal_reason(recorded)
    assert reason.startswith("unauthenticated (expired): actor token expired; "
                             "claimed, not verified: kid=")
    assert "role='officer'" in reason
    # the caller is not sent its claims back
    assert "claimed" not in exc.details
    exc, refusals = run("get_case", {"case_id": "c-1"}, never,
                        actor=CallerToken(verifier, None))
    assert refusal_reason(refusals[0][3]) == (
        "unauthenticated (missing): no actor token in the call context "
        "(header nameko.actor_token)")


def test_a_party_token_must_be_bound_to_its_case(keys_dir, token_issuer):
    with pytest.raises(ValueError, match="party id and its case id"):
        token_issuer.issue(actor_id="citizen-1", role="party", agency="lingchuan-emergency",
                           party_id="party-1")
    verifier = TokenVerifier(KeyStore(keys_dir).token_verification_keys())
    bound = token_issuer.issue(actor_id="citizen-1", role="party",
                               agency="lingchuan-emergency", party_id="party-1", case_id="c-1")
    actor = verifier.verify(bound)
    assert (actor.party_id, actor.case_id) == ("party-1", "c-1")


def test_actor_require_without_roles_judges_the_agency_alone():
    # the contract's roles were judged by handle; a use case that does not narrow them asks
    # only whether the record is within the caller's agency
    assert OFFICER.require(agency="lingchuan-emergency") is OFFICER
    with pytest.raises(Forbidden) as err:
        OFFICER.require(agency="qinyuan-energy")
    assert getattr(err.value, "out_of_reach", False)


def test_a_refused_payload_s_field_paths_are_kept_printable():
    # a field named with a NUL is refused by the contract and recorded: the reason a log row
    # keeps has no NUL (PostgreSQL's text refuses one) and is cut to a row's length
    head = Actor(id="head-1", role="head", agency="lingchuan-emergency")
    exc, refusals = run("issue_decision", {"case_id": "c-1", "proposal_seq": 1,
                                           "\x00" * 5000: 1}, never, actor=head)
    assert isinstance(exc, ValidationFailed) and len(refusals) == 1
    reason = refusal_reason(refusals[0][3])
    assert "\x00" not in reason and "\ufffd" in reason and len(reason) <= 2000
