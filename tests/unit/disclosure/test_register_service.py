"""The registers published before enforcement (事前公开) in the disclosure publisher, on SQLite
and PostgreSQL: an agency's workbook made from the template imported whole or not at all (a
bad cell refused by sheet, row and column, the refusal recorded), a change kept as new versions
never overwriting the old (at the database itself), the register read on a day, diffed, and
exported back; an officer's qualification on the last valid day and the next; the lapse watch
alerting once."""
from __future__ import annotations

import base64
import csv
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from services.disclosure import models, queries, spreadsheets
from services.disclosure.usecases import registers as uc
from shared.errors import DomainRuleViolated, Forbidden, ValidationFailed
from shared.trust.actor import Actor
from tests import agencies
from tests.unit.disclosure.support import PUBLISHER, Env, actor, rpc

OFFICERS = "行政执法人员清单"
ITEMS = "行政执法事项清单"
# 姓名 单位 所属机构 职务 执法证件号 发证日期 有效期 执法类别 执法区域
WANG = ["王某", "沁源县能源局", "执法监察大队", "执法队员", "14043100123", "2023-03-01",
        "2025-10-31", "行政检查、行政处罚", "沁源县"]
LI = ["李某", "沁源县能源局", None, "科员", "14043100456", None, "2027-12-31", "行政检查",
      "沁源县、安泽县"]
ZHAO = ["赵某", "沁源县能源局", None, "科员", "14043100789", "2024-01-01", "2028-06-30",
        "行政处罚", "沁源县"]
ITEM = ["行政处罚", "对未按规定报送统计资料的处罚", "《统计法》第四十一条", None, "沁源县能源局",
        "90日", "行政复议、行政诉讼"]
# an item's name, part of what names it, may run to a thousand characters
LONG_ITEM = ["行政检查", "对" + "煤" * 998 + "查", "《安全生产法》第六十五条", None, "沁源县能源局",
             None, "行政复议"]


def workbook(sheets: dict[str, Sequence[Sequence[object]]]) -> str:
    """The template (services.disclosure.spreadsheets.template) with these rows filled in
    under the headers, as the request carries it (base64)."""
    book = load_workbook(io.BytesIO(spreadsheets.template()))
    for title, rows in sheets.items():
        for row in rows:
            book[title].append(list(row))
    out = io.BytesIO()
    book.save(out)
    return base64.b64encode(out.getvalue()).decode("ascii")


def at(day: str, hour: int = 2) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=UTC)


def call(env: Env, method: str, payload: dict, who: Actor = PUBLISHER, key: str | None = None):
    fn = uc.import_register if method == "import_register" else getattr(queries, method)
    return rpc(env, fn, method, payload, who, key)


def importing(env: Env, sheets: dict, **more: object) -> dict:
    return call(env, "import_register", {"agency": agencies.QINYUAN,
                                         "workbook_base64": workbook(sheets), **more})


def officers(env: Env, on: str | None = None) -> dict:
    return call(env, "get_register", {"agency": agencies.QINYUAN, "kind": "officers",
                                      "on": on})


def test_a_workbook_from_the_template_is_the_register(env_db: Env):
    env_db.now = at("2025-10-20")
    done = importing(env_db, {OFFICERS: [WANG, LI], ITEMS: [ITEM]})
    assert [(r["kind"], r["revision"], r["revised"], r["added"]) for r in done["registers"]] == [
        ("officers", 1, True, 2), ("items", 1, True, 1)]
    got = officers(env_db)
    assert got["revision"] == 1 and [e["key"] for e in got["entries"]] == [
        ["14043100123"], ["14043100456"]]
    wang = got["entries"][0]
    assert wang["number"] == 1 and wang["recorded_by"] == PUBLISHER.id and wang["public"]
    assert wang["values"]["valid_until"] == "2025-10-31"
    assert wang["values"]["categories"] == ["行政检查", "行政处罚"]
    assert got["entries"][1]["values"]["regions"] == ["沁源县", "安泽县"]
    # the template's empty sheets leave their registers alone
    assert call(env_db, "get_register", {"agency": agencies.QINYUAN, "kind": "subjects"}
                )["entries"] == []
    assert [(r["publication_id"], r["body"]["revision"]) for r in env_db.log(
        "register_revised")] == [("register:officers", 1), ("register:items", 1)]


def test_a_bad_row_is_refused_naming_row_and_column_and_nothing_is_written(env_db: Env):
    bad = list(LI)
    bad[6] = "2027-13-01"          # 有效期 not a day
    worse = list(ZHAO)
    worse[4] = "14043 100789"      # 执法证件号 with a space
    with pytest.raises(ValidationFailed) as refused:
        importing(env_db, {OFFICERS: [WANG, bad, worse], ITEMS: [ITEM]})
    assert refused.value.details["officers.3.valid_until"] == ["is not a day of the calendar"]
    assert "officers.4.certificate_no" in refused.value.details
    assert "第3行「有效期」" in refused.value.message_zh
    assert "第4行「执法证件号」" in refused.value.message_zh
    for table in (models.registers, models.register_revisions, models.register_versions):
        assert env_db.rows(table) == []
    [log] = env_db.log("refused")
    assert log["body"]["method"] == "import_register"
    assert log["body"]["code"] == "validation_failed"
    assert log["body"]["agency"] == agencies.QINYUAN


def test_a_workbook_that_is_not_base64_or_not_a_workbook_is_refused_and_recorded(env: Env):
    with pytest.raises(ValidationFailed) as refused:
        call(env, "import_register", {"agency": agencies.QINYUAN,
                                      "workbook_base64": base64.b64encode(b"PK not a zip")
                                      .decode()})
    assert refused.value.message_zh.startswith("Excel文件无法导入")
    with pytest.raises(ValidationFailed) as empty:
        importing(env, {})
    assert "workbook_base64" in empty.value.details
    with pytest.raises(ValidationFailed) as absent:
        call(env, "import_register", {"agency": agencies.QINYUAN, "kinds": ["officers"],
                                      "workbook_base64": base64.b64encode(
                                          spreadsheets.export_workbook({"items": ()})).decode()})
    assert "「行政执法人员清单」" in absent.value.message_zh
    assert [r["body"]["method"] for r in env.log("refused")] == ["import_register"] * 3


def test_a_second_import_makes_new_versions_and_overwrites_nothing(env_db: Env):
    env_db.now = at("2025-10-20")
    importing(env_db, {OFFICERS: [WANG, LI]})
    renewed = list(WANG)
    renewed[6] = "2028-10-31"
    env_db.now = at("2025-11-03")
    # the whole officers register: 李某 is taken off, 赵某 added, 王某's 有效期 changed
    done = importing(env_db, {OFFICERS: [renewed, ZHAO]}, kinds=["officers"])
    assert done["registers"] == [{"kind": "officers", "title": OFFICERS, "revision": 2,
                                  "revised": True, "entries": 2, "added": 1, "changed": 1,
                                  "removed": 1}]
    rows = env_db.rows(models.register_versions)
    assert sorted((r["entry_key"][0], r["number"], r["revision"], r["entry"] is None)
                  for r in rows) == [("14043100123", 1, 1, False), ("14043100123", 2, 2, False),
                                     ("14043100456", 1, 1, False), ("14043100456", 2, 2, True),
                                     ("14043100789", 1, 2, False)]
    first = next(r for r in rows if r["entry_key"] == ["14043100123"] and r["number"] == 1)
    assert first["entry"]["valid_until"] == "2025-10-31"   # the old version as it was

    now = officers(env_db)
    assert [(e["key"][0], e["number"]) for e in now["entries"]] == [
        ("14043100123", 2), ("14043100789", 1)]
    assert [r["revision"] for r in now["revisions"]] == [1, 2]
    then = officers(env_db, "2025-10-31")
    assert then["revision"] == 1 and [e["key"][0] for e in then["entries"]] == [
        "14043100123", "14043100456"]
    assert then["entries"][0]["values"]["valid_until"] == "2025-10-31"

    diff = call(env_db, "register_history", {"agency": agencies.QINYUAN, "kind": "officers",
                                             "from_revision": 1, "to_revision": 2})
    assert [e["certificate_no"] for e in diff["added"]] == ["14043100789"]
    assert [e["certificate_no"] for e in diff["removed"]] == ["14043100456"]
    [change] = diff["changed"]
    assert change["fields"] == ["valid_until"] and change["headers"] == ["有效期"]
    assert (change["before"]["valid_until"], change["after"]["valid_until"]) == (
        "2025-10-31", "2028-10-31")
    assert [r["revision"] for r in diff["revisions"]] == [2]

    # the same workbook again records nothing; so does the same call key again
    again = importing(env_db, {OFFICERS: [renewed, ZHAO]}, kinds=["officers"])
    assert again["registers"][0]["revised"] is False and again["registers"][0]["revision"] == 2
    assert len(env_db.rows(models.register_versions)) == 5
    assert len(env_db.rows(models.register_revisions)) == 2


def test_versions_refuse_to_be_rewritten_at_the_database(env_db: Env):
    importing(env_db, {OFFICERS: [WANG]})
    for statement in ("UPDATE register_versions SET number = 7",
                      "DELETE FROM register_versions", "DELETE FROM register_revisions"):
        with pytest.raises(Exception, match="append-only"):
            with env_db.db.transaction() as session:
                session.execute(text(statement))
    assert len(env_db.rows(models.register_versions)) == 1


def test_a_revision_beyond_the_latest_is_refused(env: Env):
    importing(env, {OFFICERS: [WANG]})
    with pytest.raises(DomainRuleViolated) as refused:
        call(env, "register_history", {"agency": agencies.QINYUAN, "kind": "officers",
                                       "from_revision": 0, "to_revision": 3})
    assert refused.value.details["rule"] == "no_such_revision" and "第 3 版" in (
        refused.value.message_zh)
    with pytest.raises(ValidationFailed):
        call(env, "register_history", {"agency": agencies.QINYUAN, "kind": "officers",
                                       "from_revision": 1, "to_revision": 0})
    assert [r["body"]["method"] for r in env.log("refused")] == ["register_history"] * 2


def test_an_export_reads_back_as_the_same_register(env_db: Env):
    importing(env_db, {OFFICERS: [WANG, LI], ITEMS: [ITEM, LONG_ITEM]})
    out = call(env_db, "export_register", {"agency": agencies.QINYUAN, "format": "xlsx"})
    blob = base64.b64decode(out["content_base64"])
    assert out["size"] == len(blob) and out["filename"].endswith(".xlsx")
    back = call(env_db, "import_register", {"agency": agencies.QINYUAN,
                                            "workbook_base64": out["content_base64"]})
    assert {r["kind"]: r["revised"] for r in back["registers"]} == {"officers": False,
                                                                   "items": False}
    as_csv = call(env_db, "export_register", {"agency": agencies.QINYUAN, "format": "csv",
                                              "kinds": ["officers"]})
    rows = list(csv.reader(io.StringIO(base64.b64decode(as_csv["content_base64"])
                                       .decode("utf-8-sig"))))
    assert rows[0][:2] == ["姓名", "单位"] and [r[4] for r in rows[1:]] == [
        "14043100123", "14043100456"]
    with pytest.raises(ValidationFailed) as refused:
        call(env_db, "export_register", {"agency": agencies.QINYUAN, "format": "csv"})
    assert "CSV" in refused.value.message_zh


def qualified(env: Env, on: str, who: Actor = PUBLISHER, **more: object) -> dict:
    return call(env, "officer_qualified", {"agency": agencies.QINYUAN,
                                           "certificate_no": "14043100123", "on": on, **more},
                who)


def test_an_officer_is_qualified_on_the_last_valid_day_and_not_the_day_after(env_db: Env):
    importing(env_db, {OFFICERS: [WANG, LI]})
    last = qualified(env_db, "2025-10-31", category="行政处罚", region="沁源县")
    assert (last["qualified"], last["status"]) == (True, "qualified")
    assert last["officer"]["name"] == "王某" and "有效期至2025-10-31" in last["reason_zh"]
    after = qualified(env_db, "2025-11-01")
    assert (after["qualified"], after["status"]) == (False, "expired")
    assert "已过期" in after["reason_zh"]
    assert qualified(env_db, "2025-10-31", category="行政强制")["status"] == (
        "category_not_covered")
    assert qualified(env_db, "2023-02-28")["status"] == "not_yet_valid"
    # the record keeper asks as itself, for its agency
    records = Actor(id="records", role="service", agency=agencies.QINYUAN)
    assert qualified(env_db, "2025-10-31", records)["qualified"] is True
    assert call(env_db, "officer_qualified", {"agency": agencies.QINYUAN, "on": "2025-10-31",
                                              "certificate_no": "999"})["status"] == (
        "unknown_officer")


def test_roles_and_agencies(env: Env):
    importing(env, {OFFICERS: [WANG]})
    with pytest.raises(Forbidden):
        importing_as = actor("reviewer")
        call(env, "import_register", {"agency": agencies.QINYUAN,
                                      "workbook_base64": workbook({OFFICERS: [LI]})},
             importing_as)
    with pytest.raises(Forbidden):
        qualified(env, "2025-10-31", Actor(id="vault", role="service",
                                           agency=agencies.QINYUAN))
    stranger = actor("publisher", agency=agencies.LINGCHUAN, id="publisher-lc")
    with pytest.raises(Forbidden):
        officers_of = call(env, "get_register", {"agency": agencies.QINYUAN,
                                                 "kind": "officers"}, stranger)
    officers_of = call(env, "get_register", {"agency": agencies.QINYUAN, "kind": "officers"},
                       actor("supervisor", agency=agencies.LINGCHUAN))
    assert len(officers_of["entries"]) == 1
    assert [r["body"]["method"] for r in env.log("refused")] == [
        "import_register", "officer_qualified", "get_register"]
    assert env.rows(models.register_revisions)[0]["revision"] == 1


def lapse_ticks(env: Env, day: str, hour: int = 2) -> dict:
    env.now = at(day, hour)
    return uc.check_lapses(db=env.db, outbox=env.outbox, rules=env.rules, now=env.now)


def test_the_lapse_watch_alerts_once_per_officer_and_lapse(env_db: Env):
    gone_before = list(ZHAO)
    gone_before[5:7] = ["2020-01-01", "2024-12-31"]   # lapsed before it was on the register
    env_db.now = at("2025-10-20")
    importing(env_db, {OFFICERS: [WANG, LI, gone_before]})
    assert lapse_ticks(env_db, "2025-10-31", 15) == {"lapsed": 0, "agencies": 0, "failed": 0}
    assert lapse_ticks(env_db, "2025-11-01") == {"lapsed": 1, "agencies": 1, "failed": 0}
    assert lapse_ticks(env_db, "2025-11-01") == {"lapsed": 0, "agencies": 0, "failed": 0}
    assert lapse_ticks(env_db, "2025-11-02", 5)["lapsed"] == 0
    [alert] = env_db.events("officer_lapsed.v1")
    assert alert["agency"] == agencies.QINYUAN
    assert alert["data"] == {"certificate_no": "14043100123", "name": "王某",
                             "unit": "沁源县能源局", "valid_until": "2025-10-31",
                             "noticed_on": "2025-11-01", "categories": ["行政检查", "行政处罚"],
                             "regions": ["沁源县"]}
    assert [r["action"] for r in env_db.log() if r["publication_id"] == "register:officers"
            ] == ["register_revised", "officer_lapsed"]
    assert officers(env_db, "2025-11-01")["entries"][0]["public"] is False
    # renewed, then lapsed again: a second alert, for the new 有效期
    renewed = list(WANG)
    renewed[6] = "2025-11-30"
    env_db.now = at("2025-11-05")
    importing(env_db, {OFFICERS: [renewed, LI, gone_before]})
    assert lapse_ticks(env_db, "2025-12-01")["lapsed"] == 1
    assert [e["data"]["valid_until"] for e in env_db.events("officer_lapsed.v1")] == [
        "2025-10-31", "2025-11-30"]
    assert lapse_ticks(env_db, "2025-12-01")["lapsed"] == 0
    assert date(2025, 11, 30) in {r["valid_until"] for r in env_db.rows(models.officer_lapses)}


def test_the_same_call_again_is_answered_as_before_and_records_nothing(env_db: Env):
    payload = {"agency": agencies.QINYUAN, "workbook_base64": workbook({OFFICERS: [WANG]})}
    first = call(env_db, "import_register", payload, key="import-1")
    env_db.now = at("2025-11-03")
    again = call(env_db, "import_register", payload, key="import-1")
    # the answer kept for the key (revised: true), not a second run (which would say false)
    assert again == first and first["registers"][0]["revised"] is True
    assert len(env_db.rows(models.register_revisions)) == 1
    assert officers(env_db, "2025-10-28")["revision"] == 1   # imported that day
    assert officers(env_db, "2025-10-27") == {
        "agency": agencies.QINYUAN, "kind": "officers", "title": OFFICERS, "on": "2025-10-27",
        "revision": 0, "entries": [], "revisions": []}


@pytest.mark.postgres
def test_an_agency_another_instance_is_watching_is_passed_by_then_alerted_once(fresh_database):
    from shared.persistence import timers
    from shared.persistence.db import make_engine, migrate, open_db

    engine = make_engine(fresh_database)
    migrate(engine, "services.disclosure:migrations")
    env = Env(open_db(engine))
    try:
        env.now = at("2025-10-20")
        importing(env, {OFFICERS: [WANG]})
        with env.db.transaction() as other:             # another instance, mid-tick
            assert timers.claim(other, uc.LAPSE_WATCH, agencies.QINYUAN)
            assert lapse_ticks(env, "2025-11-01")["lapsed"] == 0
        assert lapse_ticks(env, "2025-11-01")["lapsed"] == 1
        assert lapse_ticks(env, "2025-11-01")["lapsed"] == 0
        assert len(env.events("officer_lapsed.v1")) == 1
    finally:
        engine.dispose()
