"""The agency's append-only log of public acts (RFC 9162, shared.trust.merkle): what a leaf is
(a public act on a publication, as canonical JSON a reader can hash again from the portal), the
tree head statement and its signature under the disclosure service's own log key."""
from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.trust.keys import key_id
from shared.trust.signatures import canonical_text
from shared.trust.signatures import statement_holds as statement_holds

LEAF_TYPE = "sanxiang.disclosure.publication.v1"
TREE_HEAD_TYPE = "sanxiang.disclosure.tree_head.v1"
# the acts the public sees, each a leaf; drafts and withheld decisions are not public
PUBLIC_ACTS = frozenset({"published", "corrected", "withdrawn", "expired"})


@dataclass(frozen=True)
class LogKeys:
    """The key that signs tree heads now, and every public key whose heads still count."""
    signing: Ed25519PrivateKey
    verifying: Mapping[str, Ed25519PublicKey]

    @classmethod
    def of(cls, signing: Ed25519PrivateKey,
           published: Mapping[str, Ed25519PublicKey] | None = None) -> LogKeys:
        own = signing.public_key()
        return cls(signing, {**(published or {}), key_id(own): own})


def iso(moment: datetime) -> str:
    return moment.isoformat()


def leaf(agency: str, publication_id: str, seq: int, action: str, at: datetime,
         body: Mapping[str, Any]) -> str:
    """A public act on a publication as a leaf: the publication, the act's place in its history,
    what the public is shown by it."""
    return canonical_text({"type": LEAF_TYPE, "agency": agency,
                           "publication_id": publication_id, "seq": seq, "action": action,
                           "at": iso(at), "body": dict(body)})


def tree_head_statement(agency: str, size: int, root: str, signed_at: datetime) -> str:
    return canonical_text({"type": TREE_HEAD_TYPE, "agency": agency, "size": size,
                           "root": root, "signed_at": iso(signed_at)})


def signed_tree_head(agency: str, size: int, root: str, keys: LogKeys,
                     now: datetime) -> dict[str, Any]:
    """The `tree_heads` row signing the agency's log of `size` leaves with root `root`."""
    statement = tree_head_statement(agency, size, root, now)
    signature = base64.b64encode(keys.signing.sign(statement.encode())).decode()
    return {"agency": agency, "size": size, "root": root, "signed_at": now,
            "key_id": key_id(keys.signing.public_key()), "signature": signature,
            "statement": statement}


