"""Tables of the record keeper. `entries` is the append-only chain (never updated or
deleted); `cases` is a projection of it (stage, head, due dates) kept for fast reads and
re-derivable from the chain; `access_log` records every read and every refusal."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from shared.messaging.consumer import inbox_table
from shared.messaging.outbox import outbox_table
from shared.persistence.idempotency import idempotency_table
from shared.persistence.merkle_log import MerkleLog
from shared.persistence.schema import BigId, UtcDateTime, service_metadata

metadata = service_metadata()

# a case whose head the checkpoint timer has not judged yet
JUDGE_PENDING = "checkpoint_hash IS NULL OR checkpoint_hash <> head_hash"

cases = Table(
    "cases", metadata,
    Column("id", String(36), primary_key=True),
    Column("case_no", String(64), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("ruleset", String(80), nullable=False),
    Column("act_type", String(32), nullable=False),
    Column("title", String(200), nullable=False),
    Column("start_mode", String(20), nullable=False),
    # approved | pending_approval (emergency) | pending_acceptance (application) |
    # pending_decision (complaint, referral) | not_started
    Column("start_state", String(20), nullable=False),
    Column("stage", String(24), nullable=False),
    Column("status", String(16), nullable=False),  # open | closed | archived
    Column("parties", JSON, nullable=False),
    Column("persons", JSON, nullable=False),      # informants, complainants, witnesses…
    Column("handlers", JSON, nullable=False),     # actor ids of the handling officers
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("emergency_due", JSON),               # Deadline.to_dict() of the 24h approval
    Column("emergency_approved_at", UtcDateTime()),
    Column("closed_at", UtcDateTime()),
    Column("archive_due", JSON),
    Column("archived_at", UtcDateTime()),
    Column("head_seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    # the head the checkpoint timer last judged (signed, or refused as not verifying): the
    # timer's candidates are the cases where it differs from the head, read from the partial
    # index below, so an idle tick costs nothing per case; what it finds is confirmed against
    # `checkpoints` and `checkpoint_refusals` themselves before anything is signed
    Column("checkpoint_hash", String(64)),
    UniqueConstraint("agency", "case_no", name="uq_cases_agency_case_no"),
    Index("ix_cases_agency_stage", "agency", "stage"),
    # pages of an agency's cases in opening order (list_cases, agency_findings)
    Index("ix_cases_agency_opened_at", "agency", "opened_at", "id"),
    Index("ix_cases_head_not_judged", "id", postgresql_where=text(JUDGE_PENDING),
          sqlite_where=text(JUDGE_PENDING)),
)

entries = Table(
    "entries", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("stage", String(24), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("corrects_seq", Integer),
    Column("body", Text, nullable=False),        # the canonical JSON that was hashed
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    # Where `body` holds salted commitments in place of a protected person's data
    # (services.records.domain.personal): the canonical body with the texts themselves, and the
    # [[path, salt hex], …] that re-derive each commitment. NULL: `body` is the plain body.
    Column("plain", Text),
    Column("openings", Text),
    UniqueConstraint("case_id", "seq", name="uq_entries_case_seq"),
    # the few sealed entries of a case, for staff verification, without scanning the rest
    Index("ix_entries_sealed", "case_id", "seq", postgresql_where=text("plain IS NOT NULL"),
          sqlite_where=text("plain IS NOT NULL")),
)

av_records = Table(
    # Index of AV entries (the entry body is authoritative) for deadline and mandatory-AV checks.
    "av_records", metadata,
    Column("entry_id", BigId, ForeignKey("entries.id"), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("ended_at", UtcDateTime(), nullable=False),
    Column("stored_at", UtcDateTime(), nullable=False),
    Column("storage_due", JSON, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("situations", JSON, nullable=False),
)

situations = Table(
    # Situations declared on any entry (seizure, sealing…) — what makes AV mandatory.
    "situations", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("code", String(40), nullable=False),
    Column("av_seq", Integer),                   # the AV entry covering it, if any
)

checkpoints = Table(
    "checkpoints", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("signed_at", UtcDateTime(), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("signature", String(128), nullable=False),
    Column("statement", Text, nullable=False),   # exactly the bytes that were signed
)

checkpoint_refusals = Table(
    # A head the checkpoint timer refused to sign because its chain does not verify: the
    # timer does not try that head again (a new head is judged afresh).
    "checkpoint_refusals", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False, index=True),
    Column("head_seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("failure", String(40), nullable=False),
    Column("first_bad_seq", Integer, nullable=False),
    Column("problem", Text, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

# The agency's append-only Merkle log of signed checkpoints (RFC 9162, shared.trust.merkle):
# `merkle_logs` its size and frontier (the roots of its perfect subtrees, appended to under the
# row's lock), `merkle_leaves` each leaf (a checkpoint's statement as signed), `merkle_nodes`
# every perfect subtree's root above the leaves (so a proof reads O(log n) rows), `tree_heads`
# each signed tree head.
# (shared.persistence.merkle_log declares them, the leaves with what each names)
merkle_log = MerkleLog(
    metadata,
    Column("case_id", String(36), nullable=False, index=True),
    Column("seq", Integer, nullable=False),
)
merkle_logs, merkle_leaves = merkle_log.logs, merkle_log.leaves
merkle_nodes, tree_heads = merkle_log.nodes, merkle_log.heads

access_log = Table(
    "access_log", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("actor_agency", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("case_id", String(36), index=True),
    Column("agency", String(64)),
    Column("outcome", String(12), nullable=False),  # granted | refused
    Column("reason", Text),
    # the supervisor's pages of the log (access_log RPC), newest first, per agency and reader
    Index("ix_access_log_agency_id", "agency", "id"),
    Index("ix_access_log_reader_id", "actor_id", "id"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)  # events consumed (review.opinion_issued.v1), once each
idempotency = idempotency_table(metadata)  # write calls, once each, with their answers
