"""A caller's mistakes are no fault of the service: a request refused as invalid, forbidden,
unauthenticated or about an unknown case is logged at INFO in one line naming the error,
without a traceback (nameko logged each as a WARNING with the whole stack); a fault of the
service itself still is logged with its traceback."""
from __future__ import annotations

import logging
import uuid

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.records.service import RecordsService
from shared.errors import SanxiangError
from tests.agencies import LINGCHUAN, agencies


@pytest.fixture
def records(container_factory, rabbit_config, tmp_path, keys_dir, token_issuer):
    config = dict(rabbit_config, DATABASE_URL=f"sqlite:///{tmp_path / 'records.sqlite3'}",
                  KEYS_DIR=keys_dir, AGENCIES=agencies(LINGCHUAN))
    container_factory(RecordsService, config).start()
    return config


def call(config, token, **kwargs):
    context = {"actor_token": token} if token else {}
    with ServiceRpcProxy("records", config, context_data=context, timeout=10) as proxy:
        try:
            proxy.get_case(**kwargs)
        except SanxiangError as exc:
            return exc.code
    return None


def test_client_errors_are_logged_at_info_without_a_traceback(records, token_issuer, caplog):
    officer = token_issuer.issue(actor_id="officer-1", role="officer", agency=LINGCHUAN)
    public = token_issuer.issue(actor_id="someone", role="public", agency=LINGCHUAN)
    caplog.set_level(logging.DEBUG, logger="nameko")
    codes = [call(records, officer, case_id=123),
             call(records, officer, case_id=str(uuid.uuid4())),
             call(records, public, case_id=str(uuid.uuid4())),
             call(records, None, case_id=str(uuid.uuid4()))]
    assert codes[:2] == ["validation_failed", "not_found"] and codes[3] == "unauthenticated"
    assert codes[2] in ("forbidden", "not_found")  # the public reads no case file
    handled = [r for r in caplog.records if r.name == "nameko.containers"
               and r.getMessage().startswith(("refused", "(expected)", "error handling"))]
    assert len(handled) == 4, [r.getMessage() for r in handled]
    for record in handled:
        assert record.levelno == logging.INFO and record.exc_info is None
        assert record.getMessage().startswith("refused <WorkerContext [records.get_case]")
    assert any("validation_failed: invalid" in r.getMessage() for r in handled)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and r.exc_info]
