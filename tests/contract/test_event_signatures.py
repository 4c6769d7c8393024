"""Every exported example event verifies as the AsyncAPI documents tell a consumer to verify:
Ed25519 with the exported example public key over the RFC 8785 text of the envelope without
`signature`. Done from the exported files with the rfc8785 package and cryptography alone, as
an implementer would, not through Sanxiang's own signing code."""
from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from shared.contracts import export as contract_export

CONTRACTS = contract_export.discover()
EVENTS = [pytest.param(name, event.type, id=f"{name}:{event.type}")
          for name, contract in CONTRACTS.items() for event in contract.events]


def _files(service: str, pattern: str):
    return sorted((contract_export.CONTRACTS_DIR / service).glob(pattern))


def _verify(public_key, event: dict) -> None:
    signature = event["signature"]
    raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
    public_key.verify(raw, rfc8785.dumps({k: v for k, v in event.items() if k != "signature"}))


@pytest.mark.parametrize("service,event_type", EVENTS)
def test_example_event_signature_verifies_with_the_published_example_key(service, event_type):
    [pem] = _files(service, "examples/event-key.*.pem")
    public_key = serialization.load_pem_public_key(pem.read_bytes())
    raw_public = public_key.public_bytes(serialization.Encoding.Raw,
                                         serialization.PublicFormat.Raw)
    kid = hashlib.sha256(raw_public).hexdigest()[:16]
    assert pem.name == f"event-key.{kid}.pem"
    [path] = _files(service, f"examples/event.{event_type}.json")
    event = json.loads(path.read_text("utf-8"))
    assert event["key_id"] == kid and event["contract"] == service
    _verify(public_key, event)
    # and the check has teeth: any change to what was signed breaks it
    for change in ({"agency": "another-agency"}, {"key_id": "0" * 16},
                   {"data": dict(event["data"], case_id="00000000-0000-0000-0000-000000000000")}):
        altered = dict(copy.deepcopy(event), **change)
        with pytest.raises(InvalidSignature):
            _verify(public_key, altered)


def test_the_example_key_is_the_same_for_every_service_and_in_the_asyncapi_text():
    pems = {p.read_text() for name in CONTRACTS for p in _files(name, "examples/event-key.*.pem")}
    assert len(pems) == 1
    [pem] = pems
    for name in CONTRACTS:
        text = (contract_export.CONTRACTS_DIR / name / "asyncapi.yaml").read_text("utf-8")
        assert all(line in text for line in pem.strip().splitlines())
