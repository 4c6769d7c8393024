"""A service calling another as itself, over real RabbitMQ: a service token is judged by the
contract's grant ("service:<name>"), in the one place roles are judged; a call the contract does
not grant that service is refused and recorded in the callee's refusal log (the record keeper's
access log) with the service as the caller — as is a token of a service whose key the callee
does not know for it."""
from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import create_engine, text

from services.records.service import RecordsService
from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.trust.actor import ServiceIdentity
from shared.trust.keys import KeyStore
from tests.agencies import LINGCHUAN, agencies
from tests.builders import AGENCY

CASE = "5b0c8f0e-3a51-4c55-9d7e-2f5f8a7e0c11"


def _access_log(url: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(
                "SELECT actor_id, actor_role, actor_agency, action, outcome, reason "
                "FROM access_log ORDER BY id")).mappings()]
    finally:
        engine.dispose()


def test_a_service_is_admitted_where_granted_and_a_call_not_granted_is_recorded_refused(
        container_factory, rabbit_config, keys_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'records.sqlite3'}"
    config = dict(rabbit_config, KEYS_DIR=keys_dir, AGENCIES=agencies(LINGCHUAN),
                  DATABASE_URL=url, REVIEW_BOARD="absent")
    container_factory(RecordsService, config).start()
    keys = KeyStore(keys_dir)

    def as_service(name: str, audience: str = "records") -> ClusterRpcProxy:
        token = ServiceIdentity(keys.caller_key(name), name).token(agency=AGENCY,
                                                                   audience=audience)
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=30)

    # granted: the vault reads a case (this one does not exist: the records' own not_found)
    with as_service("vault") as vault, pytest.raises(NotFound):
        vault.records.get_case(case_id=CASE)
    # not granted: the vault closing a case, the renderer reading one
    with as_service("vault") as vault, pytest.raises(Forbidden) as closing:
        vault.records.close_case(case_id=CASE, closed_at="2025-11-20T10:00:00+08:00",
                                 reason="罚款已缴纳")
    assert closing.value.details["role"] == "service:vault"
    with as_service("renderer") as renderer, pytest.raises(Forbidden):
        renderer.records.get_entries(case_id=CASE)
    # a token addressed to another service is no token here
    with as_service("vault", audience="review") as vault, pytest.raises(Unauthenticated):
        vault.records.get_case(case_id=CASE)

    rows = [(r["actor_id"], r["actor_role"], r["actor_agency"], r["action"], r["outcome"])
            for r in _access_log(url)]
    assert rows == [("vault", "service", AGENCY, "get_case", "refused"),
                    ("vault", "service", AGENCY, "close_case", "refused"),
                    ("renderer", "service", AGENCY, "get_entries", "refused"),
                    ("vault", "unverified", AGENCY, "get_case", "refused")]
    reasons = [r["reason"] for r in _access_log(url)]
    assert "service 'vault' may not do this" in reasons[1]
    assert "unauthenticated (invalid_claims)" in reasons[3] and "aud='review'" in reasons[3]
