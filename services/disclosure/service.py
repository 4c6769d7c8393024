"""nameko entrypoints of the disclosure publisher: each goes through shared.service's `_run` /
`_write` — the actor authenticated, its role checked and the payload validated against the
contract, one use case run, the contract's response dumped, every refusal recorded in the
disclosure log."""
from __future__ import annotations

from typing import Any

from eventlet import tpool
from nameko.dependency_providers import Config
from nameko.timer import timer
from nameko.web.handlers import http

from contracts.disclosure import CONTRACT
from services.disclosure import gauges, queries, store, usecases
from services.disclosure import http as web
from services.disclosure.dependencies import (
    AnswerRenderer,
    AttachmentVault,
    FormSettings,
    LogKey,
    PortalSite,
)
from services.disclosure.dependencies import health as rules_health
from services.disclosure.domain.limits import client_key
from services.disclosure.models import inbox as inbox_table
from services.disclosure.models import outbox as outbox_table
from services.disclosure.portal import SearchIndex
from services.disclosure.usecases import annual as annual_usecases
from services.disclosure.usecases import corrections as correction_usecases
from services.disclosure.usecases import outcomes as outcome_usecases
from services.disclosure.usecases import portal as portal_usecases
from services.disclosure.usecases import registers as register_usecases
from services.disclosure.usecases import submissions
from services.disclosure.usecases.common import recording
from shared.calendar.clock import now
from shared.errors import NotFound
from shared.messaging.calls import AUTO, Peer
from shared.messaging.consumer import event_handler
from shared.messaging.outbox import Outbox
from shared.messaging.retention import Retention
from shared.messaging.rpc import rpc
from shared.persistence.db import Database
from shared.service import Service

VERSION = "0.1.0"
# the deadline watch's tick; reminders go this many working days before a draft falls due
CLOCK_TICK_SECONDS = 600
REMIND_WORKDAYS = 2
# the lapse watch's tick: a certificate lapses at a day's turn; each lapse is alerted once
# (services.disclosure.usecases.registers), so an hourly tick only makes the alert timely
LAPSE_TICK_SECONDS = 3600
# the take-down watch's tick: a display window ends at a day's turn
WINDOW_TICK_SECONDS = 3600
# where the portal is written when DISCLOSURE_PORTAL_DIR is not set (the config file defaults
# it under the data folder)
PORTAL_DIR = "data/portal"
# the annual report watch's tick: a report falls due on a day of the year (disclosure.annual_report)
ANNUAL_TICK_SECONDS = 3600


class DisclosureService(Service):
    name = "disclosure"
    metrics_port = 9463  # `sanxiang run`'s METRICS_ADDRESS 127.0.0.1:9463
    contract = CONTRACT
    version = VERSION
    store = store
    _gauges = staticmethod(gauges.gauges)  # its own metrics (gauges.py)
    # its log key is made as a checkpoint key by `sanxiang keys init`
    signs_checkpoints = True

    db = Database("services.disclosure:migrations")
    outbox = Outbox(CONTRACT, outbox_table)
    retention = Retention(outbox_table, inbox_table)  # published and handled rows pruned
    config = Config()
    log_key = LogKey()
    portal = PortalSite(PORTAL_DIR)

    def _run(self, method: str, payload: dict, fn: Any, **deps: Any) -> Any:
        """Every RPC's path, the use case's own refusals recorded too (usecases.common)."""
        return super()._run(method, payload, recording(method, fn, self._refused), **deps)

    def _deps(self) -> dict[str, Any]:
        return {"db": self.db, "log_keys": self.log_key, "now": now()}

    def _missing(self, request: dict) -> NotFound | None:
        return store.missing(request)

    def _health(self) -> dict:
        return rules_health(self.rules)

    @rpc
    def create_draft(self, **payload: Any) -> Any:
        return self._write("create_draft", payload, usecases.create_draft)

    @rpc
    def review_publication(self, **payload: Any) -> Any:
        return self._write("review_publication", payload, usecases.review_publication)

    @rpc
    def resolve_redactions(self, **payload: Any) -> Any:
        return self._write("resolve_redactions", payload, usecases.resolve_redactions)

    @rpc
    def withdraw_publication(self, **payload: Any) -> Any:
        return self._write("withdraw_publication", payload, usecases.withdraw_publication)

    @rpc
    def get_publication(self, **payload: Any) -> Any:
        return self._run("get_publication", payload, queries.get_publication)

    @rpc
    def list_publications(self, **payload: Any) -> Any:
        return self._run("list_publications", payload, queries.list_publications)

    @rpc
    def tree_head(self, **payload: Any) -> Any:
        return self._run("tree_head", payload, queries.tree_head)

    @rpc
    def inclusion_proof(self, **payload: Any) -> Any:
        return self._run("inclusion_proof", payload, queries.inclusion_proof)

    @rpc
    def consistency_proof(self, **payload: Any) -> Any:
        return self._run("consistency_proof", payload, queries.consistency_proof)

    @event_handler("records", "decision_issued.v1")
    def on_decision_issued(self, body: dict) -> None:
        """A decision the record keeper issued, drafted for publication (usecases.drafts)."""
        usecases.on_decision_issued(body, db=self.db, rules=self.rules, outbox=self.outbox,
                                    now=now())

    @timer(interval=CLOCK_TICK_SECONDS)
    def watch_deadlines(self) -> dict:
        """Reminders before a draft falls due and an overdue event after, each once per
        publication and due date however many instances tick."""
        return usecases.check_deadlines(db=self.db, outbox=self.outbox, rules=self.rules,
                                        now=now(), remind_workdays=int(
                                            self.config.get("DISCLOSURE_REMIND_WORKDAYS",
                                                            REMIND_WORKDAYS)))

    # ---- the registers published before enforcement (usecases.registers, queries) ----

    @rpc
    def import_register(self, **payload: Any) -> Any:
        return self._write("import_register", payload, register_usecases.import_register)

    @rpc
    def export_register(self, **payload: Any) -> Any:
        return self._run("export_register", payload, queries.export_register)

    @rpc
    def get_register(self, **payload: Any) -> Any:
        return self._run("get_register", payload, queries.get_register)

    @rpc
    def register_history(self, **payload: Any) -> Any:
        return self._run("register_history", payload, queries.register_history)

    @rpc
    def officer_qualified(self, **payload: Any) -> Any:
        return self._run("officer_qualified", payload, queries.officer_qualified)

    @timer(interval=LAPSE_TICK_SECONDS)
    def watch_lapses(self) -> dict:
        """officer_lapsed.v1 for each officer whose certificate lapsed, once per officer and
        lapse however many instances tick."""
        return register_usecases.check_lapses(db=self.db, outbox=self.outbox, rules=self.rules,
                                              now=now())

    # ---- withdrawal from a 复议/诉讼 outcome (usecases.outcomes) ----

    @rpc
    def record_outcome(self, **payload: Any) -> Any:
        return self._write("record_outcome", payload, outcome_usecases.record_outcome)

    # ---- public display windows (信用修复管理办法; usecases.windows) ----

    @rpc
    def record_credit_repair(self, **payload: Any) -> Any:
        return self._write("record_credit_repair", payload, usecases.record_credit_repair)

    @timer(interval=WINDOW_TICK_SECONDS)
    def watch_windows(self) -> dict:
        """Takes down each publication the day after its display window ends, once however
        many instances tick."""
        return usecases.check_windows(db=self.db, outbox=self.outbox, log_keys=self.log_key,
                                      now=now())

    # ---- requests to correct a publication (usecases.corrections, queries) ----

    @rpc
    def file_correction(self, **payload: Any) -> Any:
        return self._write("file_correction", payload, correction_usecases.file_correction)

    @rpc
    def verify_correction(self, **payload: Any) -> Any:
        return self._write("verify_correction", payload, correction_usecases.verify_correction)

    @rpc
    def decide_correction(self, **payload: Any) -> Any:
        return self._write("decide_correction", payload, correction_usecases.decide_correction)

    @rpc
    def answer_correction(self, **payload: Any) -> Any:
        return self._write("answer_correction", payload, correction_usecases.answer_correction,
                           renderer=self.renderer)

    @rpc
    def get_correction(self, **payload: Any) -> Any:
        return self._run("get_correction", payload, queries.get_correction)

    @rpc
    def list_corrections(self, **payload: Any) -> Any:
        return self._run("list_corrections", payload, queries.list_corrections)

    # ---- the public portal following every public act (usecases.portal) ----

    def _to_portal(self, body: dict) -> None:
        site = self.portal.site
        search = SearchIndex(site.target)
        # one writer (the generator reads back what it wrote): in this instance, then across
        # instances sharing the folder; the event is acked only after the write
        with self.portal.lock, portal_usecases.writer_lock(self.db, self.portal.directory):
            portal_usecases.on_public_act(
                body, db=self.db, rules=self.rules, portal=site, now=now(),
                reindex=lambda p: tpool.execute(search.update, p))

    @event_handler("disclosure", "decision_published.v1")
    def portal_on_published(self, body: dict) -> None:
        """A publication made public: its page, lists, feed and search shard, and the
        agency's tree head, on the portal."""
        self._to_portal(body)

    @event_handler("disclosure", "publication_withdrawn.v1")
    def portal_on_withdrawn(self, body: dict) -> None:
        """A publication withdrawn: off the portal's lists, its page showing the reason."""
        self._to_portal(body)

    @event_handler("disclosure", "publication_corrected.v1")
    def portal_on_corrected(self, body: dict) -> None:
        """A publication corrected: its page and list entries show the corrected fields."""
        self._to_portal(body)

    @event_handler("disclosure", "publication_expired.v1")
    def portal_on_expired(self, body: dict) -> None:
        """A display window ended: off the lists and search, the page a notice."""
        self._to_portal(body)

    @event_handler("disclosure", "publication_repaired.v1")
    def portal_on_repaired(self, body: dict) -> None:
        """Taken down early on a 信用修复 decision: as an expired one."""
        self._to_portal(body)

    # ---- the 双公示 file for the provincial credit platform (queries.export_credit) ----

    @rpc
    def export_credit(self, **payload: Any) -> Any:
        return self._run("export_credit", payload, queries.export_credit, rules=self.rules)

    # ---- the portal's correction form, the one public write path (http, usecases.submissions) --

    form = FormSettings()
    vault = AttachmentVault()
    # the written answer's document (answer_correction above renders it through this)
    renderer = AnswerRenderer()

    @http("POST", "/disclosure/corrections")
    def correction_form(self, request: Any) -> Any:
        """A request to correct a publication sent by anyone through the portal: rate- and
        size-limited, its attachments scanned and kept in the vault, filed (channel portal)
        and acknowledged with its number — or refused naming the field and the rule."""
        at = now()
        client = client_key(web.client_address(request, self.form.client_header),
                            self.form.secret)
        return web.answer(
            request, client=client, form_limits=self.form.limits,
            admit=lambda: submissions.admit(self.db, "client", client,
                                            self.form.limits.per_client, at),
            submit=lambda form, uploads: submissions.submit(
                form, uploads, client=client, db=self.db, vault=self.vault,
                form_limits=self.form.limits, now=at),
            record=submissions.recorded(self.db, at))

    # ---- the annual statistics report and the supervisor's view (usecases.annual, queries) ----

    # the record keeper's figures of a year, called as this service (records.annual_figures
    # grants "service:disclosure"); config RECORD_KEEPER: required, absent or auto
    annual_records = Peer("records", as_service=True, presence="RECORD_KEEPER",
                          default_presence=AUTO, timeout=60.0, label="the record keeper",
                          label_zh="记录保管服务")
    # the renderer, rendering the report (annual_statistics_report version 2) as this service
    # (renderer.render grants "service:disclosure"); config RENDERER, as the answers'
    annual_renderer = Peer("renderer", as_service=True, presence="RENDERER",
                           default_presence=AUTO, timeout=120.0, label="the document renderer",
                           label_zh="文书生成服务")
    # the vault, where the renderer stores the report's PDF: read as this service
    # (vault.read_document grants "service:disclosure") to copy it to the portal
    annual_vault = Peer("vault", as_service=True, presence="VAULT",
                        default_presence=AUTO, timeout=60.0, label="the archive vault",
                        label_zh="档案存储服务")

    @staticmethod
    def run_environment(running: list[str]) -> dict[str, str]:
        # whether each peer is part of what runs here: the vault (the form's attachments, the
        # report's PDF), the renderer (the written answers, the report), the record keeper (the
        # report's figures) — a peer that runs is required, so a passing restart of it refuses
        # a call naming it instead of answering without it
        def presence(peer: str) -> str:
            return "required" if peer in running else "absent"
        return {"VAULT": presence("vault"), "RENDERER": presence("renderer"),
                "RECORD_KEEPER": presence("records")}

    @rpc
    def compile_annual_report(self, **payload: Any) -> Any:
        return self._write("compile_annual_report", payload,
                           annual_usecases.compile_annual_report, records=self.annual_records,
                           renderer=self.annual_renderer)

    @rpc
    def get_annual_report(self, **payload: Any) -> Any:
        return self._run("get_annual_report", payload, queries.get_annual_report)

    @rpc
    def publish_annual_report(self, **payload: Any) -> Any:
        return self._write("publish_annual_report", payload,
                           annual_usecases.publish_annual_report)

    @rpc
    def supervision_report(self, **payload: Any) -> Any:
        return self._run("supervision_report", payload, queries.supervision_report,
                         rules=self.rules)

    @timer(interval=ANNUAL_TICK_SECONDS)
    def watch_annual_reports(self) -> dict:
        """Each agency's report on the past year compiled once, and annual_report_overdue.v1
        once where it is not published by its due day, however many instances tick."""
        return annual_usecases.check_annual_reports(
            db=self.db, outbox=self.outbox, rules=self.rules, now=now(),
            records=self.annual_records, renderer=self.annual_renderer)

    @event_handler("disclosure", "annual_report_published.v1")
    def portal_on_annual_published(self, body: dict) -> None:
        """A report published: its page, charts and PDF, and the agency's list of reports."""
        with self.portal.lock:
            annual_usecases.on_annual_published(body, db=self.db, rules=self.rules,
                                                portal=self.portal.site, now=now(),
                                                vault=self.annual_vault)

    # ---- the registers published before enforcement on the portal (usecases.portal) ----

    def _registers_to_portal(self, body: dict) -> None:
        # the same one writer as _to_portal; the event is acked only after the write
        with self.portal.lock, portal_usecases.writer_lock(self.db, self.portal.directory):
            portal_usecases.on_register_change(body, db=self.db, rules=self.rules,
                                               portal=self.portal.site, now=now())

    @event_handler("disclosure", "register_revised.v1")
    def portal_on_register_revised(self, body: dict) -> None:
        """An import changed the agency's registers: its register pages written anew."""
        self._registers_to_portal(body)

    @event_handler("disclosure", "officer_lapsed.v1")
    def portal_on_officer_lapsed(self, body: dict) -> None:
        """An officer's certificate lapsed: the officers page no longer shows the officer."""
        self._registers_to_portal(body)
