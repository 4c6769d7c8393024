"""Signed events: the canonical form (RFC 8785) the signature covers, signing as the outbox does,
and every refusal of a consumer's gate — each on a real key of a deployment's key root."""
from __future__ import annotations

import copy
import json
import random

import pytest
import rfc8785

from contracts.records import CONTRACT as RECORDS
from contracts.review import CONTRACT as REVIEW
from shared.contracts.registry import envelope
from shared.messaging.consumer import EventGate
from shared.trust.keys import KeyStore
from shared.trust.signatures import CanonicalError, EventRefused, canonical, sign, verify
from tests.agencies import LINGCHUAN, agencies

AGENCIES = agencies(LINGCHUAN)


# ---- canonical form -----------------------------------------------------------------------------

def test_the_rfc_8785_sample_serialises_as_the_rfc_says():
    value = json.loads('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, '
                       '0.000000000000000000000000001],'
                       ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
                       ' "literals": [null, true, false]}')
    assert canonical(value) == ('{"literals":[null,true,false],"numbers":[333333333.3333333,'
                                '1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
                                ).encode()


def test_keys_sort_by_utf16_code_units_not_code_points():
    # RFC 8785 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33
    value = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001F600": 5, "\u0080": 6, "\u00f6": 7}
    assert list(json.loads(canonical(value))) == ["\r", "1", "\u0080", "\u00f6", "\u20ac",
                                                  "\U0001F600", "\ufb33"]


@pytest.mark.parametrize("value,text", [(1.0, "1"), (-0.0, "0"), (1e21, "1e+21"),
                                        (1e20, "100000000000000000000"), (1e-7, "1e-7"),
                                        (0.000001, "0.000001"), (9007199254740991,
                                                                 "9007199254740991")])
def test_numbers_are_written_as_ecmascript_writes_them(value, text):
    assert canonical([value]) == f"[{text}]".encode()


@pytest.mark.parametrize("value,why", [(2 ** 53, "exceeds"), (float("nan"), "not representable"),
                                       (float("inf"), "not representable"),
                                       ("\ud800", "surrogate"), ({1: "x"}, "keys must be strings")])
def test_what_rfc_8785_cannot_represent_is_refused(value, why):
    with pytest.raises(CanonicalError, match=why):
        canonical({"data": [value]})


def _random_value(rng: random.Random, depth: int = 0):
    alphabet = "aZ09 _-\"\\/\n\t\x00\x1f\x7f\u00e9\u2028\u4e2d\u6587\ufb33\ufffd\U0001F600"
    text = lambda: "".join(rng.choice(alphabet) for _ in range(rng.randrange(6)))
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return text()
    if kind == 1:
        return rng.choice([True, False, None])
    if kind == 2:
        return rng.randrange(-2 ** 53 + 1, 2 ** 53)
    if kind == 3:
        return rng.randrange(-1000, 1000)
    if kind == 4:
        return rng.choice([0.5, -1.25, 1e30, 5e-324, 333333333.33333329, 2.0])
    if kind == 5:
        return rng.choice([2 ** 53 - 1, -(2 ** 53 - 1), 0])
    if kind in (6, 7):
        return {text(): _random_value(rng, depth + 1) for _ in range(rng.randrange(5))}
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]


def test_the_fast_path_writes_exactly_what_the_reference_writes():
    rng = random.Random(8785)
    for _ in range(3000):
        value = {"v": _random_value(rng)}
        assert canonical(value) == rfc8785.dumps(value), value


# ---- signing and verifying ----------------------------------------------------------------------

@pytest.fixture
def keys(keys_dir):
    return KeyStore(keys_dir)


def proposed(**changes) -> dict:
    data = dict(RECORDS.event("decision_proposed.v1").example)
    body = envelope(RECORDS, "decision_proposed.v1", data, agency="lingchuan-emergency",
                    actor={"id": "officer-lc-017", "role": "officer"},
                    ruleset="lingchuan-emergency@1")
    body.update(changes)
    return body


def test_the_stored_text_is_the_signed_envelopes_own_canonical_form(keys):
    key = keys.event_signing_key("records")
    body = proposed()
    text = sign(body, key)
    assert body["key_id"] == key.kid and len(body["signature"]) == 86
    assert text.encode("utf-8") == rfc8785.dumps(body)
    verify(json.loads(text), keys.event_verification_keys("records"), "records")


def test_signing_the_same_envelope_twice_gives_the_same_signature(keys):
    key = keys.event_signing_key("records")
    body = proposed()
    assert sign(copy.deepcopy(body), key) == sign(copy.deepcopy(body), key)


# ---- the gate: each refusal ---------------------------------------------------------------------

def gate(keys, source="records"):
    return EventGate(source, keys.event_verification_keys(source), AGENCIES)


def refused(gate_, body, routing_key="decision_proposed.v1") -> EventRefused:
    with pytest.raises(EventRefused) as err:
        gate_.check(json.loads(json.dumps(body)), routing_key)   # as it arrives: parsed JSON
    return err.value


def test_a_genuine_event_passes(keys):
    body = proposed()
    sign(body, keys.event_signing_key("records"))
    gate(keys).check(json.loads(json.dumps(body)), "decision_proposed.v1")


def test_an_unsigned_event_is_refused(keys):
    exc = refused(gate(keys), proposed())
    assert exc.code == "event_unsigned" and "unsigned" in exc.message


def test_a_garbled_signature_is_refused(keys):
    body = proposed()
    sign(body, keys.event_signing_key("records"))
    body["signature"] = body["signature"][::-1]
    assert refused(gate(keys), body).code == "event_bad_signature"


def test_data_changed_after_signing_is_refused(keys):
    body = proposed()
    sign(body, keys.event_signing_key("records"))
    body["data"]["major"] = not body["data"]["major"]
    exc = refused(gate(keys), body)
    assert exc.code == "event_bad_signature" and "altered" in exc.message


def test_a_valid_signature_by_another_service_is_a_forgery(keys):
    # records' key signs an opinion that claims to be the review board's
    data = dict(REVIEW.event("opinion_issued.v1").example)
    body = envelope(REVIEW, "opinion_issued.v1", data, agency="lingchuan-emergency",
                    actor={"id": "reviewer-lc-003", "role": "reviewer"},
                    ruleset="lingchuan-emergency@1")
    sign(body, keys.event_signing_key("records"))
    exc = refused(gate(keys, "review"), body, "opinion_issued.v1")
    assert exc.code == "event_unknown_key"
    assert f"key_id {keys.event_signing_key('records').kid} is not one of review's" in exc.message


def test_an_unknown_key_id_is_refused(keys):
    body = proposed()
    sign(body, keys.event_signing_key("records"))
    body["key_id"] = "0123456789abcdef"
    exc = refused(gate(keys), body)
    assert exc.code == "event_unknown_key" and "0123456789abcdef" in exc.message


def test_no_public_keys_for_the_source_refuses_everything(keys):
    body = proposed()
    sign(body, keys.event_signing_key("records"))
    exc = refused(EventGate("records", {}, AGENCIES), body)
    assert exc.code == "event_unknown_key" and "known: none" in exc.message


def test_a_contract_that_is_not_the_source_is_refused(keys):
    # signed by the source's own key, but naming another contract
    body = proposed(contract="review")
    sign(body, keys.event_signing_key("records"))
    exc = refused(gate(keys), body)
    assert exc.code == "event_wrong_contract" and "'review' is not 'records'" in exc.message


def test_a_schema_version_of_another_major_is_refused(keys):
    body = proposed(schema_version="9.0")
    sign(body, keys.event_signing_key("records"))
    exc = refused(gate(keys), body)
    assert exc.code == "event_wrong_version" and "'9.0'" in exc.message


def test_an_event_type_other_than_the_routing_key_is_refused(keys):
    body = proposed()
    sign(body, keys.event_signing_key("records"))
    exc = refused(gate(keys), body, routing_key="decision_issued.v1")
    assert exc.code == "event_wrong_type"
    assert "'decision_proposed.v1' arrived under routing key 'decision_issued.v1'" in exc.message


def test_an_agency_this_deployment_does_not_serve_is_refused(keys):
    body = proposed(agency="no-such-agency")
    sign(body, keys.event_signing_key("records"))
    exc = refused(gate(keys), body)
    assert exc.code == "event_agency_not_served" and exc.details == {"agency": "no-such-agency"}


def test_not_an_object_is_refused(keys):
    exc = refused(gate(keys), ["not", "an", "envelope"])
    assert exc.code == "event_malformed"


def test_a_key_added_while_running_is_found_on_its_first_event(keys, keys_dir, tmp_path):
    from shared.trust.keys import init_deployment
    body = proposed()
    other_root = tmp_path / "other"
    init_deployment(other_root, ["records"], issuer=False)
    new_key = KeyStore(other_root).event_signing_key("records")   # the rotated-in key
    sign(body, new_key)
    gate_ = EventGate("records", keys.event_verification_keys("records"), AGENCIES, keys)
    gate_.refresh_seconds = 0
    assert refused(gate_, body).code == "event_unknown_key"
    pem = other_root / "public" / "events" / "records" / f"{new_key.kid}.pem"
    (keys.root / "public" / "events" / "records" / pem.name).write_bytes(pem.read_bytes())
    gate_.check(json.loads(json.dumps(body)), "decision_proposed.v1")


def _proposed_with(value) -> dict:
    data = dict(RECORDS.event("decision_proposed.v1").example)
    data["fired"] = [dict(data["fired"][0], measure=value)]   # free-form: any JSON value
    return data


def test_numbers_of_any_json_kind_survive_signing_and_transport(keys):
    data = _proposed_with([0.1, 2 ** 53 - 1, 1e21, -2.50, 5e-324])
    body = envelope(RECORDS, "decision_proposed.v1", data, agency="lingchuan-emergency",
                    actor={"id": "officer-lc-017", "role": "officer"},
                    ruleset="lingchuan-emergency@1")
    text = sign(body, keys.event_signing_key("records"))
    assert '"measure":[0.1,9007199254740991,1e+21,-2.5,5e-324]' in text
    gate(keys).check(json.loads(text), "decision_proposed.v1")


def test_an_event_that_cannot_be_signed_is_refused_naming_the_rule(keys):
    from services.records.models import outbox
    from shared.errors import ValidationFailed
    from shared.messaging.outbox import OutboxWriter
    writer = OutboxWriter(outbox, RECORDS, signer=keys.event_signing_key("records"))
    with pytest.raises(ValidationFailed) as err:
        writer.prepare("decision_proposed.v1", _proposed_with(2 ** 60),
                       agency="lingchuan-emergency",
                       actor={"id": "officer-lc-017", "role": "officer"},
                       ruleset="lingchuan-emergency@1")
    assert "cannot be signed" in err.value.message and str(2 ** 60) in err.value.message
    assert writer.staged == 0
