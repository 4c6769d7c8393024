"""Signed events: the producer signs each envelope with its own Ed25519 event key; a consumer
verifies it against that producer's public keys before anything else happens.

What is signed, so that a consumer in any language can verify it: the UTF-8 bytes of the RFC 8785
(JSON Canonicalization Scheme) serialisation of the envelope as received, without its
`signature` member — `key_id` included, so the key named is part of what is signed. `signature`
is the 64-byte Ed25519 signature (RFC 8032) in base64url without padding; `key_id` is the first
16 hex digits of the SHA-256 of the signer's raw 32-byte public key (shared.trust.keys.key_id), the
public key being `public/events/<service>/<key_id>.pem` of the deployment's key root."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.errors import SanxiangError
from shared.trust.keys import SigningKey

KEY_ID, SIGNATURE = "key_id", "signature"
_SAFE_INT = 2 ** 53 - 1
_FIRST_ASTRAL = "\U00010000"


class CanonicalError(ValueError):
    """A value RFC 8785 cannot serialise: NaN or an infinity, an integer beyond ±(2^53 − 1)
    (it would not survive a consumer's IEEE 754 double), a lone surrogate, a non-string key."""


class EventRefused(SanxiangError):
    """An event a consumer will not act on: unsigned, badly signed, or an envelope that does
    not fit where it arrived. It is dead-lettered with this reason; no handler runs."""
    code = "event_refused"
    message_zh = "事件未通过验证，已拒收"


def canonical_text(value) -> str:
    """The RFC 8785 serialisation of a JSON value, as text (its UTF-8 bytes are what is signed).

    For the values envelopes hold — strings, booleans, null, integers within ±(2^53 − 1),
    objects whose keys have no character outside the Basic Multilingual Plane, arrays — the
    standard library's encoder with sorted keys, no whitespace and no ASCII escaping writes
    exactly RFC 8785's form (the same escapes, lowercase \\u00xx for other control characters,
    key order by UTF-16 code unit being code point order within the BMP), several times faster
    than a serialiser written in Python. Anything else (floats, astral keys, out-of-range
    integers) goes through the rfc8785 package, which formats numbers as ECMAScript does and
    refuses what the scheme cannot represent."""
    if _plain(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        return rfc8785.dumps(value).decode("utf-8")
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalError(str(exc)) from None
    except (TypeError, AttributeError) as exc:  # a non-string key, a type JSON has not
        raise CanonicalError(f"not a JSON value: {exc}") from None


def canonical(value) -> bytes:
    try:
        return canonical_text(value).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalError("a string holds a lone surrogate (not UTF-8)") from None


def _plain(value) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return -_SAFE_INT <= value <= _SAFE_INT
    if isinstance(value, dict):
        for key, item in value.items():
            if type(key) is not str or not (key.isascii() or max(key) < _FIRST_ASTRAL):
                return False
            if not _plain(item):
                return False
        return True
    if kind is list or kind is tuple:
        return all(_plain(item) for item in value)
    return False


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign(body: dict, key: SigningKey) -> str:
    """Sign an envelope in place (sets `key_id`, then `signature`) and return the signed
    envelope's own RFC 8785 text — what the outbox stores and the relay publishes as is."""
    body.pop(SIGNATURE, None)
    body[KEY_ID] = key.kid
    try:
        text = canonical_text(body)
        signature = b64url(key.sign(text.encode("utf-8")))
    except UnicodeEncodeError:
        raise CanonicalError("a string holds a lone surrogate (not UTF-8)") from None
    body[SIGNATURE] = signature
    if max(body) == SIGNATURE:
        # "signature" sorts after every other member of the envelope: appending it to the
        # canonical text gives the whole envelope's canonical text without a second pass
        return f'{text[:-1]},"{SIGNATURE}":"{signature}"}}'
    return canonical_text(body)


def verify(body, keys: dict[str, Ed25519PublicKey], signer: str) -> None:
    """Refuse (EventRefused) unless `body` carries a signature that verifies with one of
    `signer`'s public keys, the one its key_id names."""
    if not isinstance(body, dict):
        raise EventRefused("the event is not a JSON object", code="event_malformed",
                           message_zh="事件不是 JSON 对象，已拒收")
    kid, signature = body.get(KEY_ID), body.get(SIGNATURE)
    if kid is None and signature is None:
        raise EventRefused("the event is unsigned: it carries no key_id and no signature",
                           code="event_unsigned",
                           message_zh="事件未签名（既无 key_id 也无 signature），已拒收")
    if not isinstance(kid, str) or not isinstance(signature, str):
        raise EventRefused("key_id and signature must both be strings", code="event_unsigned",
                           message_zh="事件的 key_id 和 signature 都应为字符串，已拒收")
    key = keys.get(kid)
    if key is None:
        known = ", ".join(sorted(keys)) or "none"
        raise EventRefused(
            f"key_id {kid} is not one of {signer}'s event keys "
            f"(public/events/{signer}/<key_id>.pem; known: {known})",
            code="event_unknown_key", details={"key_id": kid, "signer": signer},
            message_zh=f"key_id {kid} 不是 {signer} 的事件密钥（public/events/{signer}/"
                       f"<key_id>.pem；已知：{known}），已拒收")
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        signed = canonical({k: v for k, v in body.items() if k != SIGNATURE})
        key.verify(raw, signed)
    except (InvalidSignature, binascii.Error, ValueError) as exc:
        why = str(exc) if isinstance(exc, CanonicalError) else "the event was altered after " \
            "signing or not signed with this key"
        raise EventRefused(f"the signature does not verify with {signer}'s key {kid}: {why}",
                           code="event_bad_signature",
                           message_zh=f"事件签名无法用 {signer} 的密钥 {kid} 验证（{why}），已拒收",
                           details={"key_id": kid, "signer": signer}) from None


def statement_holds(statement: str, signature: str, kid: str,
                    public_keys: Mapping[str, Ed25519PublicKey]) -> bool:
    """A detached signature over a text (a signed tree head's statement): is `signature` the
    signature of `statement` by the key `kid` names among `public_keys`?"""
    public_key = public_keys.get(kid)
    if public_key is None:
        return False
    try:
        public_key.verify(base64.b64decode(signature, validate=True), statement.encode())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
