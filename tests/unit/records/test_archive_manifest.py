"""The archive manifest (archive_due.v1): the storage labels of each AV object (001 附件2
第七条), only those an AV record has. On SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from demo.case import footage_file
from services.records import models, store
from services.records.usecases import cases
from tests.builders import PARTY, av_media, demo_step, open_case_request, request_of
from tests.unit.records.support import actor, call, footage, store_footage


@pytest.fixture
def env(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db


# ---- 4. the AV objects of the archive manifest carry their labels -------------------------

def test_archive_manifest_carries_each_av_objects_labels(env):
    opening = open_case_request("陵应急立〔2025〕41号")
    ctx = {"case_id": call(env, "open_case", opening, actor("officer"))["id"]}
    av = demo_step("onsite_video", "陵应急立〔2025〕41号")
    store_footage(env, av, ctx)
    labelled = dict(request_of(av, ctx), unit="执法监察股")
    other = footage(env, ctx["case_id"], data=footage_file("b.mp4", "陵应急立〔2025〕41号"))
    unlabelled = dict(request_of(av, ctx), device_no="ZFJLY-0032",
                      place="陵川县礼义镇宏泰煤矿调度室", media=av_media(other))
    first = call(env, "record_av", labelled, actor("officer"))
    second = call(env, "record_av", unlabelled, actor("officer"))
    call(env, "close_case", {"case_id": ctx["case_id"], "closed_at": "2025-10-20T10:00:00+08:00",
                             "reason": "经调查不构成违法"}, actor("officer"))
    event = env.events("archive_due.v1")[-1]
    assert event["schema_version"] == "1.1"
    assert event["data"]["av_objects"] == [
        {"seq": first["seq"], "object_ref": labelled["media"]["object_ref"],
         "sha256": labelled["media"]["sha256"], "party": PARTY["name"], "handler": "李明",
         "unit": "执法监察股", "device_no": "ZFJLY-0031",
         "started_at": "2025-10-09T14:00:00+08:00", "ended_at": "2025-10-09T15:10:00+08:00",
         "place": "陵川县礼义镇宏泰煤矿井口"},
        {"seq": second["seq"], "object_ref": other["id"],
         "sha256": other["sha256"], "party": PARTY["name"], "handler": "李明",
         "device_no": "ZFJLY-0032", "started_at": "2025-10-09T14:00:00+08:00",
         "ended_at": "2025-10-09T15:10:00+08:00", "place": "陵川县礼义镇宏泰煤矿调度室"}]


def test_archive_manifest_copies_only_the_labels_an_av_record_has(env):
    """An AV record registered without a unit (null) gives no unit label, not a null one."""
    opening = open_case_request("陵应急立〔2025〕42号")
    ctx = {"case_id": call(env, "open_case", opening, actor("officer"))["id"]}
    av = demo_step("onsite_video", "陵应急立〔2025〕42号")
    store_footage(env, av, ctx)
    done = call(env, "record_av", request_of(av, ctx), actor("officer"))
    with env.db.read() as s:
        case = store.load_case(s, ctx["case_id"])
        content = json.loads(s.execute(select(models.entries.c.body).where(
            models.entries.c.case_id == ctx["case_id"])
            .where(models.entries.c.seq == done["seq"])).scalar_one())["content"]
        assert "unit" in content and content["unit"] is None
        manifest = cases.archive_manifest(s, case, {}, env.rules.ruleset(case["ruleset"]))
    assert "unit" not in manifest["av_objects"][0]
    assert manifest["av_objects"][0]["device_no"] == "ZFJLY-0031"
