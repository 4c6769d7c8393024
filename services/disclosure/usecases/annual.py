"""The annual statistics report (行政执法统计年报: 000《公示办法》第十六条, 003 二(一)1(3), base
国办发〔2018〕118号; services.disclosure.domain.annual): compiled from the publisher's own tables
and the record keeper's figures (records.annual_figures, called as this service), each compile a
new version kept; published by a publisher (a leaf of the agency's Merkle log,
annual_report_published.v1); the timer compiling each agency's report on the past year and
noticing, once, a report not published by its due day. Also publication_withheld.v1's twin
here: the supervisor's view of 004 第五十七条 is a read (queries)."""
from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from contracts.disclosure import CONTRACT
from services.disclosure import charts, store
from services.disclosure.domain import annual
from services.disclosure.domain import log as merkle_log
from services.disclosure.models import inbox
from services.disclosure.portal import Portal
from services.disclosure.portal import annual as portal_annual
from services.disclosure.usecases.common import SYSTEM, logged
from shared.calendar.clock import local_date
from shared.errors import (
    Conflict,
    DomainRuleViolated,
    SanxiangError,
    ServiceNotDeployed,
)
from shared.messaging import consumer
from shared.messaging.outbox import OutboxWriter
from shared.persistence import timers
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor

ANNUAL_WATCH = "disclosure.watch_annual_reports"


class PeerCalls(Protocol):
    """A peer called as this service (shared.messaging.calls.PeerClient)."""

    def call(self, method: str, *, acting_for: str, key: str | None = None,
             **request: Any) -> Any: ...


def records_figures(records: PeerCalls | None, agency: str,
                    year: int) -> tuple[dict | None, str | None]:
    """The record keeper's figures of the year, or None and why not (the report names them
    missing; a record keeper that is deployed and does not answer is Unavailable: retried)."""
    if records is None:
        return None, "本部署未部署记录保管服务，行政处罚、行政强制、投诉举报和执法检查数据无从统计"
    try:
        answer = records.call("annual_figures", acting_for=agency, agency=agency, year=year)
    except ServiceNotDeployed as exc:
        return None, f"记录保管服务未部署：{exc.message_zh or exc.message}"
    except SanxiangError as exc:
        if exc.code == "unavailable":
            raise
        return None, f"记录保管服务拒绝提供统计数据：{exc.code}：{exc.message_zh or exc.message}"
    return dict(answer["figures"]), None


def _charts(figures: dict) -> list[dict]:
    return [{"title": title[:60], "chart": charts.chart_image(title, bars)}
            for title, bars in annual.chart_series(figures)]


def rendered(renderer: PeerCalls | None, agency: str, report_id: str, data: dict) -> dict:
    """The report rendered by the renderer as this service (docx and PDF, stored in the vault
    by the renderer where one is deployed): what came out, or why nothing did. A renderer
    that is deployed and does not answer is Unavailable (the compile is retried)."""
    base = {"template_id": annual.TEMPLATE_ID, "version": annual.TEMPLATE_VERSION}
    if renderer is None:
        return dict(base, rendered=False, reason="no renderer in this deployment")
    try:
        answer = renderer.call("render", acting_for=agency, key=f"disclosure-annual-{report_id}",
                               template_id=annual.TEMPLATE_ID, version=annual.TEMPLATE_VERSION,
                               data=data, formats=["docx", "pdf"],
                               reference=f"{data['year']}年度行政执法数据统计报告")
    except ServiceNotDeployed as exc:
        return dict(base, rendered=False, reason=f"the renderer is not deployed: {exc.message}")
    except SanxiangError as exc:
        if exc.code == "unavailable":
            raise
        return dict(base, rendered=False, reason=f"the renderer refused the report: "
                                                 f"{exc.code}: {exc.message}")
    return dict(base, rendered=True, render_id=answer["render_id"], notes=answer["notes"],
                outputs=[{k: out.get(k) for k in ("format", "media_type", "sha256", "size",
                                                  "object_ref", "content_base64")}
                         for out in answer["outputs"]])


def _compiled(p: dict, *, by: Actor | dict, db: Db, rules: Rules, now: datetime,
              records: PeerCalls | None, renderer: PeerCalls | None,
              only_first: bool) -> dict | None:
    agency, year = p["agency"], p["year"]
    rs = rules.agency(agency).ruleset
    due = annual.due_of(rs, year)
    today = local_date(now)
    if year >= today.year:
        raise DomainRuleViolated(
            f"the report on {year} is compiled once the year is over", code="year_not_over",
            message_zh=f"{year}年度尚未结束，不能编制该年度统计年报", details={"year": year})
    with db.read() as session:
        own = annual.own_figures(store.annual_rows(session, agency),
                                 store.annual_corrections(session, agency), year, today)
        listed = len(store.standing((v for _, v in store.versions(
            session, agency, "inspections")), date(year, 12, 31)))
    kept, gap = records_figures(records, agency, year)
    figures, gaps = annual.merge_figures(due, own, kept, gap)
    annual.with_inspection_register(figures, listed)
    report_id = str(uuid.uuid4())
    document = rendered(renderer, agency, report_id, annual.document_data(
        due, rules.agency(agency).name, figures, gaps, _charts(figures), today))
    with db.transaction() as session:
        # one compile of an agency's year at a time, so that versions number without a clash
        if not timers.claim(session, ANNUAL_WATCH, f"{agency}:{year}"):
            if only_first:
                return None
            raise Conflict(f"the report of {agency} on {year} is being compiled; retry",
                           code="annual_report_compiling",
                           message_zh=f"{year}年度统计年报正在编制中，请稍后重试",
                           details={"agency": agency, "year": year, "retry": True})
        versions = store.annual_versions(session, agency, year, lock=True)
        if only_first and versions:
            return None
        row = {"id": report_id, "agency": agency, "ruleset": rs.ref, "year": year,
               "version": len(versions) + 1, "state": "compiled", "due": due.to_dict(),
               "figures": figures, "gaps": gaps,
               "document": document,
               "compiled_at": now, "compiled_by": _who(by), "published": None}
        store.insert_annual(session, row)
        store.log(session, row["id"], by, "annual_compiled",
                  {"agency": agency, "year": year, "version": row["version"],
                   "gaps": [g["figure"] for g in gaps]}, now)
        return store.annual_view(row, versions=len(versions) + 1)


def _who(by: Actor | dict) -> str:
    return by.id if isinstance(by, Actor) else str(by["id"])


def compile_annual_report(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                          records: PeerCalls | None = None,
                          renderer: PeerCalls | None = None, **_: object) -> dict:
    """A new version of the agency's report on the year (the earlier ones kept)."""
    actor.require(agency=p["agency"])
    out = _compiled(p, by=actor, db=db, rules=rules, now=now, records=records,
                    renderer=renderer, only_first=False)
    assert out is not None
    return out


def publish_annual_report(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter,
                          log_keys: merkle_log.LogKeys, now: datetime, **_: object) -> dict:
    """The version reviewed, published: a leaf of the agency's log, the event the portal
    follows. A report published already is refused (annual_report_published)."""
    actor.require(agency=p["agency"])
    with db.transaction() as session:
        versions = store.annual_versions(session, p["agency"], p["year"], lock=True)
        row = store.annual_version(versions, p)
        if any(v["published"] for v in versions):
            raise DomainRuleViolated(
                f"the report of {p['agency']} on {p['year']} is published already",
                code="annual_report_published", message_zh=f"{p['year']}年度统计年报已公开",
                details={"published_version": next(v["version"] for v in versions
                                                   if v["published"])})
        if not row["due"]["public"]:
            raise DomainRuleViolated(
                f"rule set {row['ruleset']} does not make the annual report public",
                code="annual_report_not_public",
                message_zh="规则集未规定统计年报向社会公开，仅报送本级人民政府和上级主管部门")
        body = {"year": row["year"], "version": row["version"], "figures": row["figures"],
                "gaps": row["gaps"]}
        index, head = logged(session, row["agency"], row["ruleset"], row["id"], 1,
                             "annual_report_published", body, actor, log_keys, now,
                             outbox=outbox)
        published = {"by": actor.id, "at": now.isoformat(), "leaf_index": index,
                     "on": local_date(now).isoformat(),
                     "late": local_date(now) > date.fromisoformat(row["due"]["due"])}
        store.save_annual(session, row["id"], state="published", published=published)
        store.log(session, row["id"], actor, "annual_published",
                  {"year": row["year"], "version": row["version"]}, now)
        store.emit(outbox, session, agency=row["agency"], ruleset=row["ruleset"], actor=actor,
                   event_type="annual_report_published.v1", data={
                       "report_id": row["id"], "year": row["year"], "version": row["version"],
                       "figures": row["figures"], "gaps": row["gaps"],
                       "late": published["late"], "leaf_index": index,
                       "tree_size": head["size"], "root": head["root"], "at": now.isoformat()})
        return store.annual_view(dict(row, state="published", published=published),
                                 versions=len(versions))


# ---- the timer ---------------------------------------------------------------------------------

def check_annual_reports(*, db: Db, outbox: OutboxWriter, rules: Rules, now: datetime,
                         records: PeerCalls | None,
                         renderer: PeerCalls | None = None) -> dict:
    """Each agency's report on the past year compiled once (the first tick of the year that
    finds none), and annual_report_overdue.v1 once for a report not published by its due day;
    once per agency and year however many instances tick."""
    today = local_date(now)
    year = annual.report_year(today)
    agencies = [code for code, a in sorted(rules.agencies.items())
                if a.ruleset.section("disclosure").get("annual_report")]
    done = timers.each(ANNUAL_WATCH, agencies, lambda agency: _tick(
        agency, year, db=db, outbox=outbox, rules=rules, now=now, records=records,
        renderer=renderer))
    return {"compiled": done.get("compiled", 0), "overdue": done.get("overdue", 0),
            "failed": done.get("failed", 0)}


def _tick(agency: str, year: int, *, db: Db, outbox: OutboxWriter, rules: Rules, now: datetime,
          records: PeerCalls | None, renderer: PeerCalls | None) -> str | None:
    with db.read() as session:
        versions = store.annual_versions(session, agency, year)
    if not versions:
        made = _compiled({"agency": agency, "year": year}, by=SYSTEM, db=db, rules=rules,
                         now=now, records=records, renderer=renderer, only_first=True)
        return "compiled" if made else None
    due = annual.due_of(rules.agency(agency).ruleset, year)
    today = local_date(now)
    if not annual.is_overdue(due, today, any(v["published"] for v in versions)):
        return None
    with db.transaction() as session:
        if not timers.claim(session, ANNUAL_WATCH, f"{agency}:{year}:overdue"):
            return None
        if not store.annual_noticed(session, agency, year, today):
            return None
        latest = versions[-1]
        store.emit(outbox, session, agency=agency, ruleset=latest["ruleset"], actor=SYSTEM,
                   event_type="annual_report_overdue.v1", data={
                       "agency": agency, "year": year, "due": due.due.isoformat(),
                       "workdays_late": -annual.workdays_left(rules.calendar, due, today,
                                                              agency),
                       "recipients": list(due.recipients), "basis": due.basis,
                       "latest_version": latest["version"], "state": latest["state"]})
        return "overdue"


# ---- the portal (its own annual_report_published.v1) -----------------------------------------

def vault_pdf(vault: PeerCalls | None, agency: str) -> Callable[[str], bytes | None]:
    """Reads a rendered PDF from the vault as this service (vault.read_document); None where
    no vault is deployed (the page then has no PDF). A vault deployed and not answering is
    Unavailable: the event is retried."""
    def read(object_ref: str) -> bytes | None:
        if vault is None:
            return None
        try:
            answer = vault.call("read_document", acting_for=agency, object_id=object_ref)
        except ServiceNotDeployed:
            return None
        return base64.b64decode(answer["content_base64"])
    return read


def on_annual_published(body: dict, *, db: Db, rules: Rules, portal: Portal, now: datetime,
                        vault: PeerCalls | None = None) -> tuple[str, ...] | None:
    """A report published: its page, charts, JSON and PDF (where the renderer answered its
    bytes) and the agency's list of reports on the portal, then the message remembered.
    Returns the paths written (None for a message handled before)."""
    event = consumer.incoming(CONTRACT, body)
    with db.read() as session:
        if consumer.already_handled(session, inbox, event["message_id"]):
            return None
        row = next(v for v in store.annual_versions(session, event["agency"],
                                                    event["data"]["year"])
                   if v["id"] == event["data"]["report_id"])
    figures = row["figures"]
    report = portal_annual.AnnualReport(
        agency=row["agency"], agency_name=rules.agency(row["agency"]).name, year=row["year"],
        version=row["version"], basis=row["due"]["basis"],
        published_on=(row["published"] or {}).get("on", local_date(now).isoformat()),
        tables=annual.tables(figures),
        charts=[portal_annual.Chart(title, charts.alt_text(title, bars),
                                    charts.bar_chart(title, bars))
                for title, bars in annual.chart_series(figures)],
        gaps=row["gaps"], figures=figures,
        pdf=portal_annual.pdf_of(row["document"], vault_pdf(vault, row["agency"])))
    written = portal_annual.publish_annual(portal, report)
    with db.transaction() as session:
        if not consumer.already_handled(session, inbox, event["message_id"]):
            consumer.remember(session, inbox, event, now)
    return tuple(written)
