"""The vault's metrics gauge of fixity failures (services/vault/gauges.py): an object whose
both copies went bad counts under its agency and outcome once an audit has found it; a copy
repaired from the other does not count."""
from __future__ import annotations

import os

from services.vault import gauges, usecases
from tests.unit.vault.support import HEAD
from tests.unit.vault.test_fixity_audit import FOOTAGE, _path

AGENCY = "qinyuan-energy"


def _failures(env) -> dict:
    return {(r.labels["agency"], r.labels["outcome"]): r.value
            for r in gauges.gauges(db=env.db, rules=env.rules, config={}, now=env.now)
            if r.labels["agency"] == AGENCY}


def _audit(env) -> dict:
    return env.call(usecases.audit_fixity, "audit_fixity", {"agency": AGENCY, "limit": 100},
                    HEAD)


def test_an_object_nobody_can_repair_counts_until_it_is_whole(env):
    repaired = env.ingest(FOOTAGE)
    broken = env.ingest(FOOTAGE + b"another")
    assert _failures(env) == {(AGENCY, "fail"): 0, (AGENCY, "missing"): 0}
    path = _path(env.stores.primary, repaired)
    os.chmod(path, 0o644)
    path.write_bytes(b"rot")                   # one copy: repaired from the other
    for store in (env.stores.primary, env.stores.replica):
        path = _path(store, broken)
        os.chmod(path, 0o644)
        path.write_bytes(b"gone")              # both copies: nobody can repair it
    assert _audit(env)["outcomes"] == {"repaired": 1, "fail": 1}
    assert _failures(env) == {(AGENCY, "fail"): 1, (AGENCY, "missing"): 0}
