"""AV records: stored within the rule set's period, mandatory where what a record says
requires it (not only where the officer tags it), the 股室 label of stored AV; records
provided outside the procedure (对外提供, 004 第五十七条（七）); the archive_due.v1 example as
the service emits it. Every test runs on SQLite and on PostgreSQL (the `db_url` fixture of
tests/conftest.py)."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from contracts.records import CONTRACT
from services.records import queries
from services.records.domain import stages
from services.records.models import cases
from shared.calendar.clock import local_date
from shared.errors import ValidationFailed
from shared.rulesets import provider as rulebook
from tests.builders import av_media, demo_plan, open_case_request, request_of
from tests.unit.records.support import actor, call, footage, run_demo, store_footage

LC, QY, ZC, AZ = "lingchuan-emergency", "qinyuan-energy", "zhoucun-district", "anze-county"


@pytest.fixture
def env(env_db):
    """On SQLite and on PostgreSQL."""
    return env_db


def t(day: str, hm: str = "10:00") -> str:
    return f"2025-10-{day}T{hm}:00+08:00"


RECORDED_AT = t("10")  # when a record is made, unless a test says
APPROVED_AT = t("10", "09:00")  # when a release is approved, unless a test says


def open_case(env, agency, case_no, stage="investigation") -> str:
    payload = open_case_request(case_no)
    payload.update(agency=agency, occurred_at=t("09", "08:00"))
    case_id = call(env, "open_case", payload, actor(agency=agency))["id"]
    for to in ("investigation", "decision", "service_execution"):
        if stages.STAGES.index(to) > stages.STAGES.index(stage):
            break
        call(env, "advance_stage", {"case_id": case_id, "to_stage": to,
                                    "occurred_at": t("09", "09:00")}, actor(agency=agency))
    return case_id


def append(env, case_id, agency, record_type, content, situations=(), at=RECORDED_AT):
    return call(env, "append_record", {"case_id": case_id, "record_type": record_type,
                                       "occurred_at": at, "content": content,
                                       "situations": list(situations)}, actor(agency=agency))


def record_av(env, case_id, agency, situations, **extra):
    return call(env, "record_av", {
        "case_id": case_id, "party": "某公司", "handler": "李明", "device_no": "ZFJLY-0031",
        "started_at": t("10", "09:00"), "ended_at": t("10", "09:40"), "place": "现场",
        "opening_statement_made": True, "situations": list(situations),
        "media": av_media(footage(env, case_id, agency)), "stored_at": t("10", "17:00"),
        **extra},
        actor(agency=agency))


def on_day(day: str) -> dict:
    """An AV record's times on 2025-10-`day` (it covers an act of that day: AV is judged
    act by act)."""
    return {"started_at": t(day, "09:00"), "ended_at": t(day, "09:40"),
            "stored_at": t(day, "17:00")}


def case_findings(env, case_id, agency, code=None):
    found = queries.case_findings({"case_id": case_id}, actor=actor("head", agency), db=env.db,
                              rules=env.rules, now=env.now)
    return [f for f in found if code in (None, f["code"])]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def inspection(kind="onsite_inspection"):
    return {"document_kind": kind, "summary": "检查现场", "place": "井口"}


def test_lingchuan_av_must_be_stored_the_same_working_day(env):
    ctx = run_demo(env, until="record_av")
    step = demo_plan("x")[1]
    store_footage(env, step, ctx)
    payload = request_of(step, ctx)
    payload["stored_at"] = "2025-10-10T09:00:00+08:00"
    result = call(env, "record_av", payload, actor())
    assert result["deadline"]["due"] == "2025-10-09" and result["deadline"]["amount"] == 0
    found = queries.case_findings({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                              rules=env.rules, now=env.now)
    assert [(f["code"], f["due"]) for f in found] == [("av_storage_late", "2025-10-09")]


def test_mandatory_av_situation_without_av_is_a_finding(env):
    ctx = run_demo(env, until="record_av")
    call(env, "advance_stage", {"case_id": ctx["case_id"], "to_stage": "investigation",
                                "occurred_at": "2025-10-10T08:00:00+08:00"}, actor())
    step = [s for s in demo_plan("x") if s.method == "append_record"][1]
    res = call(env, "append_record", request_of(step, ctx), actor())  # on-site inspection, no AV
    found = queries.case_findings({"case_id": ctx["case_id"]}, actor=actor("head"), db=env.db,
                              rules=env.rules, now=env.now)
    assert ("av_missing", res["seq"]) in [(f["code"], f["seq"]) for f in found]


# --- 1. mandatory AV from the record's content ------------------------------------------

def test_lingchuan_onsite_inspection_needs_av_without_being_tagged(env):
    case_id = open_case(env, LC, "陵应急立〔2025〕41号")
    seq = append(env, case_id, LC, "investigation_document", inspection())["seq"]
    assert case_findings(env, case_id, LC, "av_missing") == [{
        "code": "av_missing", "article": "001 工作方案 四(二)二", "case_id": case_id,
        "case_no": "陵应急立〔2025〕41号", "seq": seq, "due": None, "at": None,
        "message": "应当进行音像记录而未记录: 现场检查（含日常巡查）"}]
    record_av(env, case_id, LC, ["onsite_inspection"])
    assert case_findings(env, case_id, LC) == []


def test_declared_and_derived_situations_are_both_recorded(env):
    case_id = open_case(env, LC, "陵应急立〔2025〕42号")
    seq = append(env, case_id, LC, "investigation_document", inspection(),
                 situations=["dispute_prone"])["seq"]
    entry = call(env, "get_entries", {"case_id": case_id, "from_seq": seq, "limit": 1},
                 actor("head"))[0]
    assert entry["content"]["situations"] == ["dispute_prone", "onsite_inspection"]


@pytest.mark.parametrize("kind, code, article", [
    ("interview_party", "interview", "004 第三十三条"),
    ("interview_witness", "interview", "004 第三十三条"),
    ("sampling", "sampling", "004 第三十三条"),
    ("evidence_preservation", "evidence_preservation", "004 第二十五条第一款；第三十三条"),
    ("evidence_request", "evidence_collection", "004 第二十五条第一款"),
])
def test_zhoucun_investigation_documents_need_av_by_their_kind(env, kind, code, article):
    case_id = open_case(env, ZC, "周执立〔2025〕1号")
    seq = append(env, case_id, ZC, "investigation_document", inspection(kind))["seq"]
    assert [(f["seq"], f["article"]) for f in case_findings(env, case_id, ZC, "av_missing")] \
        == [(seq, article)]
    record_av(env, case_id, ZC, [code])
    assert case_findings(env, case_id, ZC, "av_missing") == []


def direct_service():
    return {"document": "行政处罚决定书", "method": "direct", "recipient": "赵某",
            "signed_by": "赵某", "served_at": t("20")}


def test_a_service_needs_av_where_the_rule_set_requires_it_for_its_method(env):
    zc = open_case(env, ZC, "周执立〔2025〕2号", stage="service_execution")
    seq = append(env, zc, ZC, "service", direct_service(), at=t("20"))["seq"]
    assert [(f["seq"], f["article"], f["message"])
            for f in case_findings(env, zc, ZC, "av_missing")] == [
        (seq, "004 第三十九条（一）", "应当进行音像记录而未记录: 直接送达")]
    record_av(env, zc, ZC, ["service"], **on_day("20"))
    assert case_findings(env, zc, ZC, "av_missing") == []
    # 沁源: a direct service may be filmed (000 第二十七条（一）), it need not be
    qy = open_case(env, QY, "沁能立〔2025〕2号", stage="service_execution")
    append(env, qy, QY, "service", direct_service(), at=t("20"))
    assert case_findings(env, qy, QY, "av_missing") == []


@pytest.mark.parametrize("measure, code, article", [
    ("substitute_performance", "substitute_performance", "000《全过程记录办法》第十七条（二）"),
    ("remove_obstruction", "remove_obstruction", "000《全过程记录办法》第十七条（二）"),
    ("restore_original_state", "restore_original_state", "000《全过程记录办法》第十七条（二）"),
])
def test_qinyuan_coercive_execution_by_its_measure_needs_av(env, measure, code, article):
    case_id = open_case(env, QY, "沁能立〔2025〕3号", stage="service_execution")
    seq = append(env, case_id, QY, "coercive_execution",
                 {"measure": measure, "summary": "依法强制执行"}, at=t("20"))["seq"]
    assert [(f["seq"], f["article"]) for f in case_findings(env, case_id, QY, "av_missing")] \
        == [(seq, article)]
    record_av(env, case_id, QY, [code], **on_day("20"))
    assert case_findings(env, case_id, QY, "av_missing") == []


# --- 2. external_release ------------------------------------------------------------------

def release(kind="court", approval=None, **changes):
    content = {"recipient": {"kind": kind, "name": "某某人民法院"},
               "purpose": "行政诉讼举证", "legal_basis": "《中华人民共和国行政诉讼法》第三十四条",
               "approval": approval,
               "released": [{"description": "案卷副本及现场执法视频", "seq": 1}]}
    content.update(changes)
    return content


def approval(role="agency_head", at=APPROVED_AT):
    return {"approved_by": "王建军", "approver_role": role, "approved_at": at}


def releases(env, case_id, agency):
    return [f for f in case_findings(env, case_id, agency)
            if f["code"] in ("release_unapproved", "records_kept_by_officer")]


def test_a_release_is_recorded_in_any_open_stage(env):
    case_id = open_case(env, AZ, "安司立〔2025〕1号", stage="initiation")
    seq = append(env, case_id, AZ, "external_release", release(approval=approval()))["seq"]
    entry = call(env, "get_entries", {"case_id": case_id, "from_seq": seq, "limit": 1},
                 actor("head", AZ))[0]
    assert entry["content"]["record_type"] == "external_release"
    assert entry["content"]["approval"]["approver_role"] == "agency_head"
    assert releases(env, case_id, AZ) == []


def test_a_release_without_recipient_is_refused_naming_the_field_and_nothing_is_written(env):
    case_id = open_case(env, AZ, "安司立〔2025〕2号")
    with env.db.read() as s:
        before = s.execute(select(cases.c.head_seq).where(cases.c.id == case_id)).scalar()
    content = release()
    del content["recipient"]
    with pytest.raises(ValidationFailed) as err:
        append(env, case_id, AZ, "external_release", content)
    assert list(err.value.details) == ["content.recipient"]
    assert err.value.details["content.recipient"] == ["Missing data for required field."]
    with env.db.read() as s:
        assert s.execute(select(cases.c.head_seq).where(cases.c.id == case_id)).scalar() \
            == before


# the release rule's basis and 安泽's own liability article (002 第二十二条（五）), not 周村's
ANZE = ("002《全过程记录办法》第十八条第一款；第二十条第二款; "
        "002《全过程记录办法》第二十二条（五）")


@pytest.mark.parametrize("given, message", [
    (None, "未经行政机关负责人批准对外提供执法记录 (to 某某人民法院)"),
    (approval("unit_head"),
     "未经行政机关负责人批准对外提供执法记录: approved by 王建军 (unit_head)"),
    (approval(at=t("10", "11:00")),
     "对外提供执法记录后才批准 (approved 2025-10-10T03:00:00+00:00, "
     "released 2025-10-10T02:00:00+00:00)"),
])
def test_anze_release_needs_the_heads_prior_approval(env, given, message):
    case_id = open_case(env, AZ, "安司立〔2025〕3号")
    seq = append(env, case_id, AZ, "external_release", release(approval=given))["seq"]
    assert [(f["code"], f["article"], f["seq"], f["message"])
            for f in releases(env, case_id, AZ)] == [("release_unapproved", ANZE, seq, message)]


def test_zhoucun_release_needs_an_approval_and_never_goes_to_an_officer(env):
    case_id = open_case(env, ZC, "周执立〔2025〕3号")
    unapproved = append(env, case_id, ZC, "external_release", release())["seq"]
    append(env, case_id, ZC, "external_release", release(approval=approval("legal_unit")))
    to_officer = append(env, case_id, ZC, "external_release",
                        release("officer", approval=approval()))["seq"]
    assert [(f["code"], f["article"], f["seq"]) for f in releases(env, case_id, ZC)] == [
        ("release_unapproved", "004 第四十五条第一款; 004 第五十七条（七）", unapproved),
        ("records_kept_by_officer",
         "004 第四十四条第一款（行政执法人员不得自行保存行政执法文字记录和音像记录资料）"
         "; 004 第五十七条（七）", to_officer)]


def test_lingchuan_release_by_legal_procedure_but_never_to_an_officer(env):
    case_id = open_case(env, LC, "陵应急立〔2025〕43号")
    append(env, case_id, LC, "external_release", release())
    to_officer = append(env, case_id, LC, "external_release", release("officer"))["seq"]
    assert [(f["code"], f["article"], f["seq"]) for f in releases(env, case_id, LC)] == [
        ("records_kept_by_officer", "001 附件2 第五条（每天工作结束后交由各股室专门人员存储）",
         to_officer)]
    # 沁源 sets no officers_may_keep_records: an approved release to an officer is no finding;
    # but it wants approval (000 第三十三条、第四十一条（五）): an unapproved one is
    qy = open_case(env, QY, "沁能立〔2025〕4号")
    append(env, qy, QY, "external_release", release("officer", approval=approval()))
    assert releases(env, qy, QY) == []
    unapproved = append(env, qy, QY, "external_release", release("officer"))["seq"]
    assert [(f["code"], f["seq"]) for f in releases(env, qy, QY)] == [
        ("release_unapproved", unapproved)]


# --- 4. the archive_due.v1 example is what the service emits ------------------------------

def test_archive_due_example_is_the_services_own(env):
    example = CONTRACT.event("archive_due.v1").example
    closed = CONTRACT.rpc("close_case")
    rs = env.rules.ruleset("lingchuan-emergency")
    period = rs.period("case_archive")
    closed_on = local_date(when(closed.example_request["closed_at"]))
    due = env.rules.calendar.due(closed_on, period.amount, period.unit, rule=period.name,
                                 basis=period.basis, agency=LC).to_dict()
    assert example["due"] == due == closed.example_response["deadline"]
    # the example case is a penalty whose AV is its evidence (000 第三十六条第一款（一）)
    assert example["retention"] == rulebook.retention_classes(rs, {"penalty_evidence"})
    # and it has every field the service's own event has
    case_id = open_case(env, LC, "陵应急立〔2025〕45号")
    call(env, "close_case", {"case_id": case_id, "closed_at": closed.example_request["closed_at"],
                             "reason": "不予处罚"}, actor(agency=LC))
    emitted = env.events("archive_due.v1")[0]["data"]
    assert emitted.keys() == example.keys() and emitted["due"] == due


def test_record_av_example_deadline_is_the_rule_sets_storage_period(env):
    rpc = CONTRACT.rpc("record_av")
    period = env.rules.ruleset("lingchuan-emergency").period("av_storage")
    due = env.rules.calendar.due(local_date(when(rpc.example_request["ended_at"])), period.amount,
                                 period.unit, rule=period.name, basis=period.basis, agency=LC)
    assert rpc.example_response["deadline"] == due.to_dict()


# --- 5. the 股室 label of stored AV -------------------------------------------------------

def test_av_record_carries_its_unit(env):
    case_id = open_case(env, LC, "陵应急立〔2025〕46号")
    seq = record_av(env, case_id, LC, ["onsite_inspection"], unit="执法监察股")["seq"]
    bare = record_av(env, case_id, LC, ["onsite_inspection"])["seq"]
    entries = call(env, "get_entries", {"case_id": case_id, "from_seq": seq, "limit": 2},
                   actor("head"))
    assert [(e["seq"], e["content"]["unit"]) for e in entries] == [(seq, "执法监察股"),
                                                                    (bare, None)]
    with pytest.raises(ValidationFailed) as err:
        record_av(env, case_id, LC, [], unit="")
    assert list(err.value.details) == ["unit"]
