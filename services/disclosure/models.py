"""Tables of the disclosure publisher. `publications` holds each decision's publication — its
summary fields and 双公示 record, deadline, state, review and withdrawal, and the clock marks;
`publication_history` its append-only history (drafted, published, withheld, corrected,
withdrawn, expired), a public act naming its leaf; `merkle_logs`, `merkle_leaves`,
`merkle_nodes` and `tree_heads` each agency's Merkle log of public acts and its signed heads;
`disclosure_log` every act and refusal; `inbox`, `outbox` and `idempotency` the events handled,
the events of the same transactions and the write calls answered."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.messaging.consumer import inbox_table
from shared.messaging.outbox import outbox_table
from shared.persistence.idempotency import idempotency_table
from shared.persistence.merkle_log import MerkleLog
from shared.persistence.schema import BigId, UtcDateTime, action_log_table, service_metadata

metadata = service_metadata()

publications = Table(
    "publications", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("ruleset", String(80), nullable=False),
    Column("source", String(8), nullable=False),              # records | rpc
    Column("case_id", String(64)),
    Column("decision_no", String(100), nullable=False),
    Column("act_type", String(20), nullable=False),
    Column("party_kind", String(16), nullable=False),
    Column("decision_date", Date, nullable=False),
    Column("state", String(12), nullable=False),               # draft | published | ...
    Column("summary", JSON, nullable=False),                  # code → {label, value}
    Column("credit", JSON, nullable=False),                   # code → {label, value, public}
    Column("missing", JSON, nullable=False),                  # summary codes lacking a value
    Column("published", JSON),                                # what the public sees
    Column("deadline", JSON, nullable=False),
    Column("due", Date, nullable=False),                      # deadline.due, for the clock
    Column("review", JSON),
    Column("withdrawal", JSON),
    # the party's fields masked, the free text's hits and their resolutions, and the record of
    # the redactions published (usecases.redactions)
    Column("redaction", JSON),
    Column("reminded_for", Date),                             # the due date reminded of
    Column("overdue_for", Date),                              # the due date called overdue
    # the public display window set at publishing (domain.windows: class, end, first day a
    # 信用修复 may end it), its end day for the take-down watch, and the 信用修复 recorded
    Column("display_window", JSON),
    Column("display_until", Date),
    Column("credit_repair", JSON),
    Column("history_seq", Integer, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("agency", "decision_no", name="uq_publications_agency_decision_no"),
    # the clock reads the drafts by due date; a publisher's queue an agency's by state and due
    Index("ix_publications_state_due", "state", "due"),
    Index("ix_publications_agency_state_due", "agency", "state", "due", "id"),
    # the take-down watch reads the published by the end of their window
    Index("ix_publications_state_display_until", "state", "display_until", "id"),
)

publication_history = Table(
    "publication_history", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("publication_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("body", JSON, nullable=False),
    Column("leaf_index", BigInteger),                         # a public act's leaf
    UniqueConstraint("publication_id", "seq", name="uq_publication_history_seq"),
)

# Each agency's Merkle log of public acts: `merkle_logs` its size and frontier (appended to under
# the row's lock), `merkle_leaves` each leaf, `merkle_nodes` every perfect subtree's root above
# the leaves (a proof reads O(log n) rows), `tree_heads` each signed tree head.
# (shared.persistence.merkle_log declares them, the leaves with what each names)
merkle_log = MerkleLog(
    metadata,
    Column("publication_id", String(36), nullable=False, index=True),
)
merkle_logs, merkle_leaves = merkle_log.logs, merkle_log.leaves
merkle_nodes, tree_heads = merkle_log.nodes, merkle_log.heads

# The registers published before enforcement (事前公开, services.disclosure.domain.registers):
# `registers` each agency's register of one kind with its latest revision (the row locked while
# a revision is made); `register_revisions` each import that changed a register;
# `register_versions` every version of every entry, appended, never rewritten (an entry taken
# off is a version without an entry); `officer_lapses` each officer's lapse alerted, once.
# The last three refuse UPDATE and DELETE at the database itself (migration 0003).
registers = Table(
    "registers", metadata,
    Column("agency", String(64), primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

register_revisions = Table(
    "register_revisions", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("agency", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("by", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),            # of the workbook imported
    Column("counts", JSON, nullable=False),                  # added, changed, removed
    # why (000《公示办法》第十八条): law_changed, functions_changed, other; None: not given
    Column("reason", String(20)),
    Column("reason_text", Text),
    UniqueConstraint("agency", "kind", "revision", name="uq_register_revisions_revision"),
)

register_versions = Table(
    "register_versions", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("agency", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("entry_key", JSON, nullable=False),                # the key columns' values
    Column("key_hash", String(64), nullable=False),           # SHA-256 of entry_key (JSON)
    Column("number", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("entry", JSON),                                    # None: taken off the register
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(64), nullable=False),
    UniqueConstraint("agency", "kind", "key_hash", "number", name="uq_register_versions_number"),
    Index("ix_register_versions_agency_kind_revision", "agency", "kind", "revision"),
)

officer_lapses = Table(
    "officer_lapses", metadata,
    Column("agency", String(64), primary_key=True),
    Column("certificate_no", String(40), primary_key=True),
    Column("valid_until", Date, primary_key=True),
    Column("noticed_on", Date, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

# Requests to correct a publication (000 第十九条, 002 第十八条, 004 第二十一条,
# services.disclosure.domain.corrections): `correction_counters` each agency's last number of a
# year (the row locked while a number is given, so numbers run without gaps); `corrections`
# each request — who asks (personal data, never published), what is wrong, its evidence, its
# state, every step with its time and actor, the decision and the written answer.
correction_counters = Table(
    "correction_counters", metadata,
    Column("agency", String(64), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last", Integer, nullable=False),
)

corrections = Table(
    "corrections", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("number", String(40), nullable=False),             # 更正〔2026〕7号
    Column("publication_id", String(36), nullable=False),
    Column("state", String(12), nullable=False),
    Column("requester", JSON, nullable=False),                # name, contact: never published
    Column("problem", Text, nullable=False),
    Column("evidence", JSON, nullable=False),                 # references
    Column("steps", JSON, nullable=False),                    # act, state, by, role, at, body
    Column("decision", JSON),
    Column("answer", JSON),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("agency", "year", "seq", name="uq_corrections_agency_year_seq"),
    Index("ix_corrections_agency_id", "agency", "id"),
    Index("ix_corrections_publication_id", "publication_id"),
)

disclosure_log = action_log_table(metadata, "disclosure_log", "publication")

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
idempotency = idempotency_table(metadata)

# The public portal's list slots (usecases.portal): each list page a publication was given when
# the portal first listed it, kept after it leaves the list (its place stays a hole), so a
# rebuild from these tables lays every list page as the incremental writer left it.
# Insert-only.
portal_slots = Table(
    "portal_slots", metadata,
    Column("publication_id", String(36), primary_key=True),
    Column("folder", String(200), primary_key=True),          # list/, agency/<code>/, ...
    Column("title", String(200), nullable=False),
    Column("page", Integer, nullable=False),
)

# ---- requests to correct a publication from the public portal ----------------------------------
# (services.disclosure.usecases.submissions): each request's `channel` and `attachments` (added
# to `corrections` by 0007), and `form_windows` the portal form's fixed-window counters
# (services.disclosure.domain.limits) — scope `client` (key: the keyed hash of the client's
# address, never the address) or `agency`, the window's start in epoch seconds, its count.
corrections.append_column(Column("channel", String(8), nullable=False, server_default="staff"))
corrections.append_column(Column("attachments", JSON))

form_windows = Table(
    "form_windows", metadata,
    Column("scope", String(8), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("window", BigInteger, primary_key=True, autoincrement=False),
    Column("count", Integer, nullable=False),
)

# The annual statistics report (行政执法统计年报, services.disclosure.domain.annual): every version
# compiled of an agency's report on a year, kept (a recompile is a new version, nothing
# overwritten) with its figures, the figures missing and why, the rendered document, and its
# publishing; `annual_report_notices` each overdue notice sent, once per agency and year.
annual_reports = Table(
    "annual_reports", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("ruleset", String(80), nullable=False),
    Column("year", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("state", String(12), nullable=False),              # compiled | published
    Column("due", JSON, nullable=False),                      # domain.annual.Due.to_dict()
    Column("figures", JSON, nullable=False),
    Column("gaps", JSON, nullable=False),                     # [{figure, label, reason}]
    Column("document", JSON, nullable=False),                 # rendered outputs, or why not
    Column("compiled_at", UtcDateTime(), nullable=False),
    Column("compiled_by", String(64), nullable=False),
    Column("published", JSON),                                # by, at, leaf_index, portal
    UniqueConstraint("agency", "year", "version", name="uq_annual_reports_agency_year_version"),
)

annual_report_notices = Table(
    "annual_report_notices", metadata,
    Column("agency", String(64), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("noticed_on", Date, nullable=False),
)
