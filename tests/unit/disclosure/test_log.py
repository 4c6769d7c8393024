"""The agency's log of public acts as pure rules: a leaf is canonical JSON of the act, a tree
head's statement is signed under the log key and verifies only under it."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.disclosure.domain import log
from shared.trust import merkle

AT = datetime(2025, 10, 28, 1, 0, tzinfo=UTC)


def test_a_leaf_is_the_canonical_json_of_the_public_act():
    leaf = log.leaf("qinyuan-energy", "p-1", 2, "published", AT,
                    {"published": {"summary": {"case_name": "某案"}}})
    assert json.loads(leaf) == {"type": log.LEAF_TYPE, "agency": "qinyuan-energy",
                                "publication_id": "p-1", "seq": 2, "action": "published",
                                "at": "2025-10-28T01:00:00+00:00",
                                "body": {"published": {"summary": {"case_name": "某案"}}}}
    assert leaf == log.leaf("qinyuan-energy", "p-1", 2, "published", AT,
                            {"published": {"summary": {"case_name": "某案"}}})
    assert "某案" in leaf   # UTF-8, not escaped: what a reader hashes is what the page shows


def test_a_tree_head_verifies_under_its_key_and_no_other():
    keys = log.LogKeys.of(Ed25519PrivateKey.generate())
    root = merkle.root_of([merkle.leaf_hash(b"a")]).hex()
    head = log.signed_tree_head("qinyuan-energy", 1, root, keys, AT)
    assert json.loads(head["statement"])["root"] == root
    assert log.statement_holds(head["statement"], head["signature"], head["key_id"],
                               keys.verifying)
    other = log.LogKeys.of(Ed25519PrivateKey.generate())
    assert not log.statement_holds(head["statement"], head["signature"], head["key_id"],
                                   other.verifying)
    forged = head["statement"].replace('"size":1', '"size":2')
    assert not log.statement_holds(forged, head["signature"], head["key_id"], keys.verifying)
