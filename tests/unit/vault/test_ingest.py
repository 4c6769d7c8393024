"""A file announced, sent to the staging area and stored: its digests checked by streaming, its
retention class from the rule set recorded with the rule and rule set id@version, written once
into the store and the replica, object_stored.v1 emitted — once, however often it is asked."""
from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest

from services.vault import usecases
from services.vault.storage import Refused
from shared.errors import Forbidden, ValidationFailed
from tests import agencies
from tests.unit.vault.support import OFFICER, actor, upload_request

FOOTAGE = b"body-camera footage " * 1000


def test_av_is_stored_under_its_class_with_the_rule_that_set_it(env):
    stored = env.ingest(FOOTAGE)
    assert stored["sha256"] == hashlib.sha256(FOOTAGE).hexdigest()
    assert stored["retention"]["class"] == "av_default"
    assert stored["retention"]["ruleset"] == "qinyuan-energy@1"
    assert "第三十六条" in stored["retention"]["basis"]
    assert stored["retain_until"] == "2027-10-20"
    assert stored["lock_mode"] == "COMPLIANCE" and stored["replica"] == "ok"
    key = f"qinyuan-energy/sha256/{stored['sha256'][:2]}/{stored['sha256']}"
    for copy in (env.stores.primary, env.stores.replica):
        assert copy.digest(key, ("sha256",))["sha256"] == stored["sha256"]
        assert copy.stat(key).lock.until.date() == date(2027, 10, 20)
    [event] = env.events("object_stored.v1")
    assert event["data"]["object_id"] == stored["id"]
    assert event["ruleset"] == "qinyuan-energy@1" and event["signature"]


def test_penalty_evidence_is_kept_permanently(env):
    stored = env.ingest(FOOTAGE, facts=["penalty_evidence"])
    assert stored["retention"]["class"] == "av_permanent"
    assert stored["retain_until"] is None


def test_content_that_is_not_what_was_announced_is_refused_and_recorded(env):
    target = env.call(usecases.begin_upload, "begin_upload", upload_request(FOOTAGE), OFFICER)
    forged = b"X" + FOOTAGE[1:]
    usecases.receive_upload(target["upload_id"], io.BytesIO(forged), db=env.db,
                            stores=env.stores, now=env.now)
    with pytest.raises(Refused) as refused:
        env.call(usecases.complete_upload, "complete_upload",
                 {"upload_id": target["upload_id"]}, OFFICER)
    assert refused.value.details["rule"] == "digest_mismatch"
    assert env.events("object_stored.v1") == []
    assert env.log("refused")[0]["body"]["details"]["rule"] == "digest_mismatch"


def test_an_upload_larger_than_announced_is_refused_while_it_streams(env):
    target = env.call(usecases.begin_upload, "begin_upload", upload_request(FOOTAGE), OFFICER)
    with pytest.raises(ValidationFailed) as refused:
        usecases.receive_upload(target["upload_id"], io.BytesIO(FOOTAGE + b"more"),
                                db=env.db, stores=env.stores, now=env.now)
    assert "size" in refused.value.details
    assert env.stores.primary.staged_size(target["upload_id"]) is None


def test_completing_twice_stores_once(env):
    target = env.call(usecases.begin_upload, "begin_upload", upload_request(FOOTAGE), OFFICER)
    usecases.receive_upload(target["upload_id"], io.BytesIO(FOOTAGE), db=env.db,
                            stores=env.stores, now=env.now)
    first = env.call(usecases.complete_upload, "complete_upload",
                     {"upload_id": target["upload_id"]}, OFFICER)
    again = env.call(usecases.complete_upload, "complete_upload",
                     {"upload_id": target["upload_id"]}, OFFICER)
    assert again["id"] == first["id"]
    assert len(env.events("object_stored.v1")) == 1


def test_the_same_content_again_is_one_object_kept_as_long_as_the_longer_class(env):
    first = env.ingest(FOOTAGE)
    again = env.ingest(FOOTAGE, facts=["obstruction"])
    assert again["id"] == first["id"]
    assert again["retention"]["class"] == "av_permanent" and again["retain_until"] is None
    key = f"qinyuan-energy/sha256/{first['sha256'][:2]}/{first['sha256']}"
    assert env.stores.primary.stat(key).lock.until is None
    assert len(env.events("object_stored.v1")) == 1


def test_bad_input_names_the_field_and_the_rule(env):
    with pytest.raises(ValidationFailed) as refused:
        env.call(usecases.begin_upload, "begin_upload",
                 upload_request(FOOTAGE, sha256="not-a-digest", subject="podcast"), OFFICER)
    assert set(refused.value.details) == {"sha256", "subject"}
    with pytest.raises(ValidationFailed) as refused:
        env.call(usecases.begin_upload, "begin_upload",
                 upload_request(FOOTAGE, facts=["stolen_bicycle"]), OFFICER)
    assert "facts" in refused.value.details


def test_another_agencys_officer_may_not_store_for_it(env):
    with pytest.raises(Forbidden):
        env.call(usecases.begin_upload, "begin_upload", upload_request(FOOTAGE),
                 actor("officer", agency=agencies.LINGCHUAN))
