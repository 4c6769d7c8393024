"""nameko entrypoints of the record keeper: each goes through shared.service.entrypoint.handle —
the actor authenticated, its role checked and the payload validated against the contract, one
use case run, the contract's response dumped, every refusal recorded in the access log."""
from __future__ import annotations

from typing import Any

from nameko.timer import timer

from contracts.records import CONTRACT
from services.records import queries, store
from services.records.dependencies import ReviewBoard, SigningKey
from services.records.models import inbox as inbox_table
from services.records.models import outbox as outbox_table
from services.records.register import Register
from services.records.usecases import cases, checkpoints, decisions, events, records, secrets
from services.records.vault import Vault
from shared.calendar.clock import now
from shared.errors import NotFound
from shared.messaging.consumer import event_handler
from shared.messaging.outbox import Outbox
from shared.messaging.retention import Retention
from shared.messaging.rpc import rpc
from shared.persistence.db import Database
from shared.service import Service

VERSION = "0.1.0"


class RecordsService(Service):
    name = "records"
    metrics_port = 9461  # `sanxiang run`'s METRICS_ADDRESS 127.0.0.1:9461
    contract = CONTRACT
    version = VERSION
    store = store
    # the review board is the peer a major decision needs (DESIGN.md: name what is missing)
    peers_needed = ("review",)

    db = Database("services.records:migrations")
    outbox = Outbox(CONTRACT, outbox_table)
    retention = Retention(outbox_table, inbox_table)  # published and handled rows pruned
    signing_key = SigningKey()
    board = ReviewBoard()
    # the archive vault: the objects AV records name (record_av), the checkpoints and tree
    # heads verify_case checks a case against
    vault = Vault()
    # the officers register the findings check each officer a record names against
    register = Register()
    # what the `sanxiang` command asks of a service (shared.cli.services)
    signs_checkpoints = True

    @staticmethod
    def run_environment(running: list[str]) -> dict[str, str]:
        # whether the review board is part of what runs here, so a board restarting for a
        # moment never lets a legal unit's entry by hand slip in
        return {"REVIEW_BOARD": "required" if "review" in running else "absent",
                # and the vault: verify_case then never passes "not anchored" off for a vault
                # that is only restarting (services.records.vault)
                "VAULT": "required" if "vault" in running else "absent",
                # and the disclosure publisher: an officer is never judged qualified because
                # its register is only restarting (services.records.register)
                "DISCLOSURE": "required" if "disclosure" in running else "absent"}

    def _missing(self, request: dict) -> NotFound | None:
        return queries.missing_case(request)

    @rpc
    def open_case(self, **payload: Any) -> Any:
        return self._write("open_case", payload, cases.open_case)

    @rpc
    def approve_emergency_start(self, **payload: Any) -> Any:
        return self._write("approve_emergency_start", payload, cases.approve_emergency_start)

    @rpc
    def decide_source(self, **payload: Any) -> Any:
        return self._write("decide_source", payload, cases.decide_source)

    @rpc
    def advance_stage(self, **payload: Any) -> Any:
        return self._write("advance_stage", payload, cases.advance_stage)

    @rpc
    def append_record(self, **payload: Any) -> Any:
        return self._write("append_record", payload, records.append_record)

    @rpc
    def append_record_v2(self, **payload: Any) -> Any:
        return self._write("append_record_v2", payload, records.append_record)

    @rpc
    def record_av(self, **payload: Any) -> Any:
        return self._write("record_av", payload, records.record_av, vault=self.vault)

    @rpc
    def propose_decision(self, **payload: Any) -> Any:
        return self._write("propose_decision", payload, decisions.propose_decision)

    @rpc
    def enter_legal_review(self, **payload: Any) -> Any:
        return self._run("enter_legal_review", payload, decisions.enter_legal_review,
                         outbox=self.outbox, rules=self.rules, board=self.board)

    @rpc
    def issue_decision(self, **payload: Any) -> Any:
        return self._run("issue_decision", payload, decisions.issue_decision,
                         outbox=self.outbox, rules=self.rules, peers=self.peers)

    @event_handler("review", "opinion_issued.v1")
    def on_opinion_issued(self, body: dict) -> None:
        """The review board's opinion becomes a legal_review entry of the case's chain."""
        events.record_review_opinion(body, db=self.db, outbox=self.outbox, rules=self.rules,
                                        now=now())

    @rpc
    def close_case(self, **payload: Any) -> Any:
        return self._write("close_case", payload, cases.close_case)

    @rpc
    def archive_case(self, **payload: Any) -> Any:
        return self._write("archive_case", payload, cases.archive_case)

    @rpc
    def correct_entry(self, **payload: Any) -> Any:
        return self._write("correct_entry", payload, records.correct_entry)

    @rpc
    def get_case(self, **payload: Any) -> Any:
        return self._run("get_case", payload, queries.get_case)

    @rpc
    def get_entries(self, **payload: Any) -> Any:
        return self._run("get_entries", payload, queries.get_entries)

    @rpc
    def list_cases(self, **payload: Any) -> Any:
        return self._run("list_cases", payload, queries.list_cases)

    @rpc
    def list_cases_v2(self, **payload: Any) -> Any:
        return self._run("list_cases_v2", payload, queries.list_cases_page)

    @rpc
    def verify_case(self, **payload: Any) -> Any:
        return self._run("verify_case", payload, queries.verify_case,
                         signing_key=self.signing_key, vault=self.vault)

    @rpc
    def log_consistency(self, **payload: Any) -> Any:
        return self._run("log_consistency", payload, queries.log_consistency)

    @rpc
    def checkpoint_case(self, **payload: Any) -> Any:
        return self._write("checkpoint_case", payload, checkpoints.checkpoint_case,
                           signing_key=self.signing_key)

    @rpc
    def case_findings(self, **payload: Any) -> Any:
        return self._run("case_findings", payload, queries.case_findings, rules=self.rules,
                         register=self.register)

    @rpc
    def agency_findings(self, **payload: Any) -> Any:
        return self._run("agency_findings", payload, queries.agency_findings, rules=self.rules,
                         register=self.register)

    @rpc
    def agency_findings_v2(self, **payload: Any) -> Any:
        return self._run("agency_findings_v2", payload, queries.agency_findings_page,
                         rules=self.rules, register=self.register)

    @rpc
    def annual_figures(self, **payload: Any) -> Any:
        return self._run("annual_figures", payload, queries.annual_figures, rules=self.rules)

    @rpc
    def access_log(self, **payload: Any) -> Any:
        return self._run("access_log", payload, queries.access_log)

    @rpc
    def find_cases(self, **payload: Any) -> Any:
        return self._run("find_cases", payload, queries.find_cases)

    @rpc
    def due_deadlines(self, **payload: Any) -> Any:
        return self._run("due_deadlines", payload, queries.due_deadlines, rules=self.rules)

    @rpc
    def classify_entry(self, **payload: Any) -> Any:
        return self._write("classify_entry", payload, secrets.classify_entry)

    @rpc
    def replay_events(self, **payload: Any) -> Any:
        return self._run("replay_events", payload, events.replay_events, table=outbox_table,
                         rules=self.rules)

    @timer(interval=300)
    def checkpoint_heads(self) -> dict:
        """Sign every chain head that moved since its last checkpoint, once per head however
        many instances tick."""
        return checkpoints.checkpoint_moved_heads(db=self.db, signing_key=self.signing_key,
                                                  outbox=self.outbox, now=now())
