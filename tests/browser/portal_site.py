"""A portal generated the way the disclosure service generates it: the service's use cases on a
real SQLite database (tests.unit.disclosure.support's environment: contract-validated calls,
the agency logs signed with a real key), each public act's event handed to the portal use case
(usecases.portal.on_public_act, the search shard re-indexed by the real Pagefind), the keys
published — five publications of two agencies: published, corrected, withdrawn, expired (its
display window over) and, for the consistency checks, the tree head 沁源县能源局's log had after its
first two acts."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from services.disclosure import usecases
from services.disclosure.portal import SearchIndex
from services.disclosure.usecases import corrections
from services.disclosure.usecases import portal as portal_usecases
from shared.persistence.db import make_engine, migrate, open_db
from tests.agencies import CHANGZHI, QINYUAN
from tests.unit.disclosure.support import Env, actor, draft_request


@dataclass
class Site:
    folder: Path
    env: Env
    ids: dict[str, str] = field(default_factory=dict)        # name -> publication id
    old_heads: dict[str, dict] = field(default_factory=dict)  # agency -> a head kept earlier
    published: dict[str, dict] = field(default_factory=dict)  # name -> what its review showed

    def head(self, agency: str) -> dict:
        return json.loads((self.folder / portal_usecases.tree_head_path(agency)).read_text())


# name, agency, decision_no, case name, 违法事实, decision date
DECISIONS = [
    ("training", QINYUAN, "沁能罚〔2025〕12号", "沁源县某某煤业有限公司未按规定进行安全培训案",
     "未如实记录安全生产教育和培训情况", "2025-10-27"),
    ("boundary", QINYUAN, "沁能罚〔2025〕13号", "沁源县某某焦化有限公司超层越界开采案",
     "超层越界开采煤炭资源，破坏矿产资源", "2025-10-20"),
    ("boiler", CHANGZHI, "长能罚〔2025〕31号", "长治市某某热力有限公司使用未经检验锅炉案",
     "使用未经定期检验的承压锅炉", "2025-10-21"),
    ("gas", CHANGZHI, "长能罚〔2025〕32号", "长治市某某燃气有限公司瓦斯监测失效案",
     "瓦斯监测系统传感器失效未及时维修", "2024-12-30"),
]
AUTHORITY = {QINYUAN: "沁源县能源局", CHANGZHI: "长治市能源局"}


def build(folder: Path, database: Path) -> Site:
    engine = make_engine(f"sqlite:///{database}")
    migrate(engine, "services.disclosure:migrations")
    env = Env(open_db(engine))
    env.now = datetime(2025, 10, 28, 1, 0, tzinfo=UTC)
    site = Site(folder, env)
    portal = portal_usecases.site(folder)
    portal_usecases.publish_keys(portal.target, env.log_keys.verifying, {})
    search = SearchIndex(portal.target)
    delivered: set[str] = set()

    def deliver() -> None:
        for event in env.events():
            if event["event_type"] in portal_usecases.EVENTS \
                    and event["message_id"] not in delivered:
                portal_usecases.on_public_act(event, db=env.db, rules=env.rules, portal=portal,
                                              now=env.now, reindex=search.update)
                delivered.add(event["message_id"])
            if event["event_type"] in portal_usecases.REGISTER_EVENTS:
                portal_usecases.on_register_change(event, db=env.db, rules=env.rules,
                                                   portal=portal, now=env.now)

    def publish(name: str, agency: str, no: str, case: str, facts: str, decided: str,
                **review: str) -> None:
        who = actor("publisher", agency=agency)
        draft = env.call(usecases.create_draft, "create_draft", draft_request(
            agency=agency, decision_no=no, case_name=case, facts=facts, decision_date=decided,
            authority=AUTHORITY[agency]), who)
        done = env.call(usecases.review_publication, "review_publication",
                        {"publication_id": draft["id"], "outcome": "publish", **review}, who)
        site.ids[name] = draft["id"]
        site.published[name] = done["published"]
        deliver()

    for decision in DECISIONS[:2]:
        publish(*decision)
    site.old_heads[QINYUAN] = site.head(QINYUAN)
    for decision in DECISIONS[2:]:
        publish(*decision)
    correct(site, "boiler", CHANGZHI)
    deliver()
    env.now = datetime(2025, 12, 2, 2, 0, tzinfo=UTC)
    env.call(usecases.withdraw_publication, "withdraw_publication", {
        "publication_id": site.ids["boundary"], "ground": "revoked",
        "reason": "经行政复议，原行政处罚决定被撤销", "decided_on": "2025-12-01",
        "by": "沁源县人民政府"}, actor("head", agency=QINYUAN))
    deliver()
    env.now = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    publish("expired", QINYUAN, "沁能罚〔2026〕5号", "沁源县某某洗煤厂未按规定储存煤矸石案",
            "露天堆放煤矸石未采取防尘措施", "2026-05-29", display_class="general")
    env.now = datetime(2027, 5, 30, 1, 0, tzinfo=UTC)   # the day after its window
    usecases.check_windows(db=env.db, outbox=env.outbox, log_keys=env.log_keys, now=env.now)
    deliver()
    import_registers(env)
    deliver()
    return site


def import_registers(env: Env) -> None:
    """沁源县能源局's officers (one whose certificate has lapsed, not shown) and enforcement
    items, imported from the template as an agency fills it in."""
    from services.disclosure.usecases import registers
    from tests.unit.disclosure.test_register_service import (
        ITEM,
        ITEMS,
        LI,
        OFFICERS,
        WANG,
        ZHAO,
        workbook,
    )
    env.call(registers.import_register, "import_register", {
        "agency": QINYUAN, "workbook_base64": workbook({OFFICERS: [WANG, LI, ZHAO],
                                                        ITEMS: [ITEM]}),
        "reason": "functions_changed", "reason_text": "机构改革后职能调整"},
        actor("publisher", agency=QINYUAN))


def correct(site: Site, name: str, agency: str) -> None:
    """A correction filed, verified and decided: the first summary field of the publication
    gains 「（更正）」 (the correction use cases, as tests/unit/disclosure do)."""
    env, legal = site.env, actor("legal_unit", agency=agency)
    code, before = next(iter(site.published[name]["summary"].items()))
    c = env.call(corrections.file_correction, "file_correction", {
        "publication_id": site.ids[name], "problem": "信息有误", "evidence": ["送达回证"],
        "requester": {"kind": "person", "name": "张某某", "contact": "13912345678"}},
        actor("publisher", agency=agency))
    env.call(corrections.verify_correction, "verify_correction",
             {"correction_id": c["id"], "findings": "与决定书不符"}, legal)
    env.call(corrections.decide_correction, "decide_correction", {
        "correction_id": c["id"], "decision": "correct", "reason": "经核实",
        "fields": {f"summary.{code}": before + "（更正）"}}, legal)
