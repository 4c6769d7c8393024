"""A case of each agency over real RabbitMQ, walked by tests/plans.py's run_case: a 查封 whose
only AV record is of another day, and a coercive execution with no 催告书 before it. Each
agency's findings name its act and cite the article of its own rule set (its seed's, or base's
where its seeds are silent), never another agency's."""
from __future__ import annotations

import functools

from nameko.standalone.rpc import ClusterRpcProxy

from demo.case import Footage, stored_footage
from services.records.service import RecordsService
from shared.rulesets.repository import RuleSetRepository
from tests.agencies import AGENCIES, NAMES
from tests.builders import OFFICERS, Step, av_media, open_case_request
from tests.plans import run_case, start_vault


def _t(day: int, hm: str = "10:00") -> str:
    return f"2025-10-{day:02d}T{hm}:00+08:00"


def _advance(stage: str, day: int):
    return lambda ctx: {"case_id": ctx["case_id"], "to_stage": stage, "occurred_at": _t(day)}


def _record(record_type: str, day: int, content: dict):
    return lambda ctx: {"case_id": ctx["case_id"], "record_type": record_type,
                        "occurred_at": _t(day), "content": content}


SEALING = {"document": "onsite_record", "reason": "涉嫌违法储存危险物品，证据可能灭失",
           "objects": ["储罐 2 个"], "form": "加贴封条", "place": "仓库",
           "legal_basis": "《中华人民共和国行政强制法》第二十二条", "approved_by": "王建军",
           "officers": OFFICERS}


def plan(agency: str) -> list[Step]:
    """The case's steps: sealed on 10-20 with only an AV record of 10-01, then executed on
    10-28, filmed (陵川 films every 行政强制), with no 催告书."""
    case_no = f"{NAMES[agency]}立〔2025〕7号"
    # the footage of each AV record, stored in the vault before it (tests/plans.run_case)
    earlier, execution = (Footage(f"{day}.mp4", case_no, agency) for day in ("10-01", "10-28"))

    def video(ctx: dict, footage: Footage, **changes) -> dict:
        return dict({"party": "某公司", "handler": "李明", "device_no": "ZFJLY-0031",
                     "started_at": _t(1, "09:00"), "ended_at": _t(1, "09:30"),
                     "place": "仓库", "opening_statement_made": True, "situations": ["seal"],
                     "media": av_media(stored_footage(ctx, footage.name)),
                     "stored_at": _t(1, "09:30"), "case_id": ctx["case_id"]}, **changes)
    return [
        Step("case_opened", "立案", "officer", "open_case", lambda ctx: open_case_request(
            case_no, agency=agency, occurred_at=_t(1, "08:00"))),
        Step("investigation_started", "调查取证", "officer", "advance_stage",
             _advance("investigation", 1)),
        Step("credentials_shown", "亮证", "officer", "append_record",
             _record("credentials_shown", 1, {"officers": OFFICERS})),
        Step("earlier_video", "音像记录 of 10-01", "officer", "record_av",
             lambda ctx: video(ctx, earlier), footage=earlier),
        Step("sealed", "查封 on 10-20", "officer", "append_record",
             _record("sealing", 20, SEALING)),
        Step("decision_stage", "审查决定", "officer", "advance_stage", _advance("decision", 21)),
        Step("service_stage", "送达执行", "officer", "advance_stage",
             _advance("service_execution", 22)),
        Step("executed", "加处罚款 without a 催告书", "officer", "append_record",
             _record("coercive_execution", 28, {"measure": "additional_fine",
                                                "summary": "依法加处罚款"})),
        Step("execution_video", "音像记录 of the execution", "officer", "record_av",
             lambda ctx: video(ctx, execution, situations=["coercive_measure"],
                               started_at=_t(28, "09:30"), ended_at=_t(28, "10:30"),
                               stored_at=_t(28, "11:00")), footage=execution),
    ]


def test_a_case_of_each_agency_is_judged_act_by_act_under_its_own_rule_set(
        container_factory, rabbit_config, db_url, keys_dir, token_issuer, tmp_path):
    config = dict(rabbit_config, DATABASE_URL=db_url, KEYS_DIR=keys_dir, AGENCIES=AGENCIES)
    container_factory(RecordsService, config).start()
    start_vault(container_factory, config, tmp_path)  # the AV records name its objects

    def rpc(role: str, agency: str) -> ClusterRpcProxy:
        token = token_issuer.issue(actor_id=f"{role}-1", role=role, agency=agency)
        return ClusterRpcProxy(config, context_data={"actor_token": token}, timeout=20)

    repository = RuleSetRepository.default()
    for agency in AGENCIES:
        ctx = run_case(functools.partial(rpc, agency=agency), plan(agency))
        with rpc("head", agency) as head:
            entries = head.records.get_entries(case_id=ctx["case_id"], from_seq=1)
            found = head.records.case_findings(case_id=ctx["case_id"])
        seq = {e["content"].get("record_type"): e["seq"] for e in entries
               if e["kind"] == "record"}
        rs = repository.get(agency)
        # no disclosure publisher runs here: the officers the records name are unverified
        named = min(e["seq"] for e in entries
                    if e["kind"] == "record" and e["content"].get("officers"))
        assert [(f["code"], f["seq"], f["article"]) for f in found] == [
            ("av_missing", seq["sealing"], rs.av_mandatory_situations["seal"]["basis"]),
            ("execution_without_reminder", seq["coercive_execution"],
             rs.finding_article("execution_without_reminder")),
            ("officer_unverified", named, rs.finding_article("officer_unverified"))], agency
