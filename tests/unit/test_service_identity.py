"""A service calling another as itself (shared.trust.actor.ServiceIdentity): a short-lived
token per call, signed with the service's caller key and verified against
public/caller/<service>/ only; a service key cannot mint a person's role and the token issuer's
key cannot mint a service — each refused, and recorded by the entrypoint with what it
claimed. A contract grants a method to a service by name ("service:<name>"), enforced where
roles are (shared.service.entrypoint.handle → Rpc.admit), the agency still judged by
Actor.require."""
from __future__ import annotations

import time

import jwt
import pytest

from contracts.records import CONTRACT as RECORDS
from shared.cli.services import service_callers
from shared.contracts.registry import SERVICE_ROLE, Rpc, StrictSchema
from shared.errors import Forbidden, Unauthenticated
from shared.service.entrypoint import handle, refusal_reason
from shared.trust.actor import (
    SERVICE_TOKEN_MAX_SECONDS,
    Actor,
    CallerToken,
    ServiceIdentity,
    TokenIssuer,
    TokenVerifier,
)
from shared.trust.keys import KeyStore, init_deployment

AGENCY = "lingchuan-emergency"


@pytest.fixture
def keys(tmp_path):
    init_deployment(tmp_path, ["records", "vault", "renderer"], callers=["vault", "renderer"])
    return KeyStore(tmp_path)


def verifier(keys: KeyStore, audience: str = "records") -> TokenVerifier:
    return TokenVerifier(keys.token_verification_keys(),
                         service_keys=keys.caller_verification_keys(), audience=audience)


def refused(token: str, keys: KeyStore, reason: str, audience: str = "records") -> str:
    with pytest.raises(Unauthenticated) as err:
        verifier(keys, audience).verify(token)
    assert err.value.details["reason"] == reason, err.value.details
    assert err.value.message_zh
    return err.value.message


def forged(key, claims: dict, kid: str) -> str:
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid, "typ": "JWT"})


def claims(**over) -> dict:
    """A service token's claims, changed as `over` says (None: left out)."""
    now = int(time.time())
    base = dict({"iss": "service:vault", "sub": "vault", "role": SERVICE_ROLE, "agency": AGENCY,
                 "aud": "records", "iat": now, "exp": now + 60}, **over)
    return {k: v for k, v in base.items() if v is not None}


def test_keys_init_makes_a_caller_key_for_each_caller_never_overwriting(tmp_path, keys):
    private = tmp_path / "private" / "vault" / "caller.ed25519.pem"
    before = private.read_bytes()
    [public] = (tmp_path / "public" / "caller" / "vault").glob("*.pem")
    assert public.stem == keys.caller_key("vault").kid
    assert not (tmp_path / "private" / "records" / "caller.ed25519.pem").exists()
    assert init_deployment(tmp_path, ["vault"], callers=["vault"]) == []
    assert private.read_bytes() == before
    assert sorted(keys.caller_verification_keys()) == ["renderer", "vault"]


def test_keys_init_knows_the_callers_from_the_service_classes():
    # the vault calls the record keeper as itself, and the record keeper the vault (what it
    # anchored there); the review board calls no peer as itself
    assert service_callers(["records", "review", "vault"]) == ["records", "vault"]


def test_a_service_token_is_verified_as_the_service_for_one_agency(keys):
    token = ServiceIdentity(keys.caller_key("vault"), "vault").token(agency=AGENCY,
                                                                      audience="records")
    actor = verifier(keys).verify(token)
    assert (actor.id, actor.role, actor.agency, actor.principal) == (
        "vault", "service", AGENCY, "service:vault")
    assert actor.service and not actor.granted
    assert jwt.decode(token, options={"verify_signature": False})["exp"] - \
        jwt.decode(token, options={"verify_signature": False})["iat"] == 60


def test_an_expired_service_token_is_refused(keys):
    identity = ServiceIdentity(keys.caller_key("vault"), "vault")
    token = identity.token(agency=AGENCY, audience="records", now=time.time() - 3600)
    refused(token, keys, "expired")


def test_a_service_token_of_a_key_not_published_for_it_is_refused(keys, tmp_path):
    # signed by the renderer's caller key, claiming to be the vault: no such key of the vault
    renderer = keys.caller_key("renderer")
    message = refused(forged(renderer.key, claims(), renderer.kid), keys, "unknown_key")
    assert "no caller key of service 'vault'" in message
    # a kid that names no published key at all
    vault = keys.caller_key("vault")
    refused(forged(vault.key, claims(), "00000000deadbeef"), keys, "unknown_key")
    # the vault's key under its own kid, but the bytes signed by another key
    refused(forged(renderer.key, claims(), vault.kid), keys, "bad_signature")


def test_a_service_key_cannot_mint_a_persons_role(keys):
    vault = keys.caller_key("vault")
    message = refused(forged(vault.key, claims(role="head"), vault.kid), keys, "invalid_claims")
    assert "a service key mints only role 'service'" in message
    # nor pass for the token issuer: its tokens are verified against the issuer's keys only
    person = claims(iss="sanxiang", sub="head-1", role="head", aud=None)
    refused(forged(vault.key, person, vault.kid), keys, "unknown_key")
    # nor speak for another service
    refused(forged(vault.key, claims(sub="renderer"), vault.kid), keys, "invalid_claims")


def test_the_token_issuer_cannot_mint_a_service(keys):
    issuer = keys.token_issuer_key()
    with pytest.raises(ValueError, match="unknown role 'service'"):
        TokenIssuer(issuer).issue(actor_id="vault", role="service", agency=AGENCY)
    message = refused(forged(issuer.key, claims(iss="sanxiang", aud=None), issuer.kid), keys,
                      "invalid_claims")
    assert "does not mint service tokens" in message
    # claiming the service issuer with the issuer's key: not a caller key of the vault
    refused(forged(issuer.key, claims(), issuer.kid), keys, "unknown_key")


def test_a_service_token_lives_minutes_and_only_for_the_service_it_names(keys):
    vault = keys.caller_key("vault")
    now = int(time.time())
    long = claims(iat=now, exp=now + SERVICE_TOKEN_MAX_SECONDS + 1)
    assert "at most 300 s" in refused(forged(vault.key, long, vault.kid), keys, "invalid_claims")
    with pytest.raises(ValueError):
        ServiceIdentity(vault, "vault").token(agency=AGENCY, audience="records",
                                              ttl_seconds=SERVICE_TOKEN_MAX_SECONDS + 1)
    # a token for the record keeper is no token for the renderer
    token = ServiceIdentity(vault, "vault").token(agency=AGENCY, audience="records")
    refused(token, keys, "invalid_claims", audience="renderer")
    refused(forged(vault.key, claims(agency=""), vault.kid), keys, "invalid_claims")


def never(*args, **kwargs):
    raise AssertionError("the use case must not run")


def run(keys: KeyStore, method: str, payload: dict, fn, token: str):
    refusals: list = []
    try:
        result = handle(RECORDS, method, payload, fn, actor=CallerToken(verifier(keys), token),
                        refused=lambda *args: refusals.append(args))
    except Exception as exc:
        return exc, refusals
    return result, refusals


def test_a_refused_service_token_is_recorded_with_what_it_claimed(keys):
    vault = keys.caller_key("vault")
    exc, refusals = run(keys, "get_case", {"case_id": "c-1"}, never,
                        forged(vault.key, claims(role="supervisor"), vault.kid))
    assert isinstance(exc, Unauthenticated)
    [(who, method, _, recorded)] = refusals
    assert (who.id, who.role, who.agency, method) == ("vault", "unverified", AGENCY, "get_case")
    assert "role='supervisor'" in refusal_reason(recorded)
    assert "iss='service:vault'" in refusal_reason(recorded)
    issuer = keys.token_issuer_key()
    exc, refusals = run(keys, "get_case", {"case_id": "c-1"}, never,
                        forged(issuer.key, claims(iss="sanxiang", aud=None), issuer.kid))
    assert isinstance(exc, Unauthenticated) and len(refusals) == 1
    assert "role='service'" in refusal_reason(refusals[0][3])


def test_a_service_is_admitted_only_where_the_contract_grants_it_by_name(keys):
    def token(service):
        return ServiceIdentity(keys.caller_key(service), service).token(
            agency=AGENCY, audience="records")

    seen = []

    def read(request, *, actor):
        # the use case narrows among people's roles: the grant holds the service to it
        seen.append(actor.require("officer", "head", agency=AGENCY))
        return {"case_id": request["case_id"], "ok": True}

    def answer(method, payload, fn, service):
        return run(keys, method, payload, fn, token(service))

    exc, refusals = answer("close_case", {"case_id": "c-1"}, never, "vault")
    assert isinstance(exc, Forbidden) and "service 'vault' may not" in exc.message
    assert exc.details["role"] == "service:vault"
    assert [(a.principal, m) for a, m, _, _ in refusals] == [("service:vault", "close_case")]
    # granted to the vault, not to the renderer
    exc, refusals = answer("verify_case", {"case_id": "c-1"}, never, "renderer")
    assert isinstance(exc, Forbidden) and [m for _, m, _, _ in refusals] == ["verify_case"]
    result, refusals = answer("verify_case", {"case_id": "c-1"}, read, "vault")
    assert result["ok"] is True and refusals == []
    [admitted] = seen
    assert admitted.granted and admitted.principal == "service:vault"
    # the agency is judged as for anyone: a service token is bound to its agency
    with pytest.raises(Forbidden):
        admitted.require(agency="qinyuan-energy")
    # ungranted, a narrowing among people's roles refuses it
    with pytest.raises(Forbidden):
        Actor(id="vault", role="service", agency=AGENCY).require("officer", "head")
    # a use case naming services holds even a granted one to them
    with pytest.raises(Forbidden):
        admitted.require("head", "service:renderer")


def test_a_contract_names_known_roles_and_services_only():
    for bad in (("admin",), ("service",), ("service:Vault",), ("officer", "officer")):
        with pytest.raises(ValueError):
            Rpc("m", StrictSchema, None, "s", bad, {}, None)
    rpc = Rpc("m", StrictSchema, None, "s", ("officer", "service:vault"), {}, None)
    assert rpc.services == ("vault",) and rpc.people == ("officer",)
    assert RECORDS.rpc("archive_case").services == ("vault",)
    assert RECORDS.rpc("close_case").services == ()
