"""An AV record names a vault object (contract 1.4): the record keeper asks the vault — here
the vault's own use cases in-process, on SQLite with a local store (support.InProcessVault) —
and refuses, naming the field, an object missing or another agency's (alike), one whose
SHA-256 or size is not what the record declares, one not AV, one bound to another case; each
refusal is recorded in the access log and nothing is written. The accepted entry keeps the
object's id, digests and when the vault stored it; lateness is still judged on the record's
stored_at. Without the vault deployed, record_av is refused naming it."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from demo.case import footage_file
from services.records import models
from services.records.usecases import records
from services.records.vault import VaultClient
from shared.errors import ServiceNotDeployed, ValidationFailed
from shared.messaging.calls import ABSENT, PeerClient
from tests.builders import av_media, av_request, open_case_request
from tests.unit.records.support import (
    NoReviewBoard,
    access_log_rows,
    actor,
    as_service,
    call,
    footage,
)

QY = "qinyuan-energy"


def opened(env, case_no="陵应急立〔2025〕71号") -> str:
    return call(env, "open_case", open_case_request(case_no), actor("officer"))["id"]


def request(ctx: dict, stored: dict, **media) -> dict:
    """The demo's on-site video (stored the same day) naming `stored`, `media` changing what
    the record declares of it."""
    return av_request(dict(ctx, footage={"ZFJLY-0031-20251009-1400.mp4": stored}),
                      media=av_media(stored, **media))


def entries(env) -> int:
    with env.db.read() as s:
        return s.execute(select(func.count()).select_from(models.entries)).scalar_one()


def refused(env, payload: dict, who=None) -> ValidationFailed:
    """record_av through the entrypoint's path: refused with validation_failed, recorded in
    the access log, nothing written."""
    who = who or actor("officer")
    before, logged = entries(env), len(access_log_rows(env, "id"))
    with pytest.raises(ValidationFailed) as err:
        as_service(env, "record_av", payload, who, records.record_av, outbox=env.outbox,
                   rules=env.rules, vault=env.vault.seen_by(who))
    assert entries(env) == before
    log = access_log_rows(env, "action", "outcome", "reason")
    assert len(log) == logged + 1 and log[-1][:2] == ("record_av", "refused")
    assert err.value.message_zh
    return err.value


def test_an_av_record_names_the_vault_object_and_keeps_its_digests(env):
    case_id = opened(env)
    stored = footage(env, case_id)
    done = call(env, "record_av", request({"case_id": case_id}, stored), actor("officer"))
    [entry] = call(env, "get_entries", {"case_id": case_id, "from_seq": done["seq"]},
                   actor("head"))
    assert entry["content"]["media"]["object_ref"] == stored["id"]
    assert entry["content"]["vault_object"] == {
        "object_id": stored["id"], "digests": stored["digests"], "size": stored["size"],
        "stored_at": stored["stored_at"], "retention_class": stored["retention"]["class"]}
    # lateness is judged on the record's stored_at (the same day: not late)
    assert entry["content"]["late"] is False


def test_an_object_bound_to_no_case_may_be_named(env):
    case_id = opened(env)
    stored = footage(env, case_id, bound=False)
    assert stored["case_id"] is None
    call(env, "record_av", request({"case_id": case_id}, stored), actor("officer"))


def test_an_unknown_object_is_refused_naming_the_field(env):
    case_id = opened(env)
    missing = dict(footage(env, case_id), id=str(uuid.uuid4()))
    err = refused(env, request({"case_id": case_id}, missing))
    assert list(err.details) == ["media.object_ref"]
    assert "the vault holds no object" in err.details["media.object_ref"][0]


def test_another_agencys_object_reads_as_missing(env):
    case_id = opened(env)
    theirs = footage(env, "qy-case", QY)
    unknown = str(uuid.uuid4())
    err = refused(env, request({"case_id": case_id}, theirs))
    missing = refused(env, request({"case_id": case_id}, dict(theirs, id=unknown)))
    assert err.details == {"media.object_ref": [
        missing.details["media.object_ref"][0].replace(unknown, theirs["id"])]}


@pytest.mark.parametrize(("field", "declared"), [
    ("media.sha256", {"sha256": "ab" * 32}), ("media.size_bytes", {"size_bytes": 1})])
def test_a_digest_or_size_not_the_objects_is_refused(env, field, declared):
    case_id = opened(env)
    stored = footage(env, case_id)
    err = refused(env, request({"case_id": case_id}, stored, **declared))
    assert list(err.details) == [field]
    assert stored["id"] in err.details[field][0]


def test_an_object_not_av_is_refused(env):
    case_id = opened(env)
    document = footage(env, case_id, subject="case_file", name="询问笔录.pdf",
                       media_type="application/pdf",
                       data=b"%PDF-1.7 " + footage_file("x", case_id))
    err = refused(env, request({"case_id": case_id}, document))
    assert err.details == {"media.object_ref": [
        f"vault object {document['id']} is a case_file object, not audio/video (subject av)"]}


def test_an_object_bound_to_another_case_is_refused(env):
    case_id, other = opened(env), opened(env, "陵应急立〔2025〕72号")
    theirs = footage(env, other)
    err = refused(env, request({"case_id": case_id}, theirs))
    assert err.details == {"media.object_ref": [
        f"vault object {theirs['id']} is bound to another case"]}


def test_a_location_instead_of_an_object_id_is_refused_by_the_contract(env):
    """A caller of contract 1.3 sending a location: validation_failed naming the field."""
    case_id = opened(env)
    payload = request({"case_id": case_id}, footage(env, case_id),
                      object_ref="vault://av/2025/ZFJLY-0031-20251009-1400.mp4")
    with pytest.raises(ValidationFailed) as err:
        call(env, "record_av", payload, actor("officer"))
    assert list(err.value.details) == ["media.object_ref"]
    assert "vault's object id" in err.value.details["media.object_ref"][0]
    assert entries(env) == 1  # the opening only


def test_without_the_vault_deployed_av_is_refused_naming_it(env):
    case_id = opened(env)
    payload = request({"case_id": case_id}, footage(env, case_id))
    absent = VaultClient(PeerClient("vault", container=None, reply_listener=None, options={},
                                    directory=NoReviewBoard(), mode=ABSENT, timeout=10.0,
                                    identity=None, caller_token=None,
                                    label="the archive vault", label_zh="档案存储服务"))
    with pytest.raises(ServiceNotDeployed) as err:
        as_service(env, "record_av", payload, actor("officer"), records.record_av,
                   outbox=env.outbox, rules=env.rules, vault=absent)
    assert err.value.details["service"] == "vault" and "vault" in err.value.message_zh
    assert entries(env) == 1  # the opening only
    [(action, outcome, reason)] = access_log_rows(env, "action", "outcome", "reason")
    assert (action, outcome) == ("record_av", "refused") and "service `vault`" in reason
