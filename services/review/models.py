"""Tables of the review board. `reviews` holds each review's current state (its JSON columns
are the review's parts: materials, stops, assignments, findings, opinion, disagreement);
`review_log` is the append-only history of every act on a review, who did it and when;
`staff` the agency's officers and reviewers; `access_log` every read and every refused call;
`inbox`/`outbox` make events exactly-once in effect."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
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
from shared.persistence.schema import BigId, UtcDateTime, action_log_table, service_metadata

metadata = service_metadata()

# the reviews the clock watch may still owe a notice (the partial indexes it reads)
REMIND_PENDING = "remind_due IS NOT NULL"
OVERDUE_PENDING = "overdue_due IS NOT NULL"

reviews = Table(
    "reviews", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("ruleset", String(80), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("case_no", String(64), nullable=False),
    Column("case_title", String(200)),
    Column("proposal_seq", Integer, nullable=False),
    Column("decision", JSON, nullable=False),
    Column("party", JSON),
    Column("classification", JSON, nullable=False),     # {major, fired}
    Column("handlers", JSON, nullable=False),           # case handlers: must recuse
    Column("participants", JSON, nullable=False),       # everyone who acted in the case
    Column("state", String(40), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("source_message_id", String(64)),            # decision_proposed event, if any
    Column("materials", JSON, nullable=False),          # [{code, label, title, ref, …}]
    Column("applicable", JSON, nullable=False),         # when_applicable materials owed
    Column("received_on", Date),                        # first submission (CST day)
    Column("complete_on", Date),                        # materials complete (CST day)
    Column("clock_start", Date),                        # the day the period runs from
    Column("stops", JSON, nullable=False),              # [{stopped_on, resumed_on, reason, label}]
    Column("extension", JSON),                          # {approved_by, reason, approved_at}
    Column("deadline", JSON),                           # Deadline.to_dict(), current due
    Column("first_deadline", JSON),                     # before any extension
    Column("reminded_for", Date),                       # due date a reminder was sent for
    Column("overdue_for", Date),                        # due date an overdue event was sent for
    Column("assignments", JSON, nullable=False),
    Column("interests", JSON, nullable=False),
    Column("findings", JSON, nullable=False),           # point -> {result, note, by, at}
    Column("opinion", JSON),
    Column("disagreement", JSON),
    Column("collective", JSON),
    Column("document_info", JSON),                      # 意见书 number and units, if given
    Column("updated_at", UtcDateTime(), nullable=False),
    # what the clock watch may still owe (domain.watch_marks), worked out as the review is
    # saved: the watch reads only the reviews whose reminder or overdue notice has come due
    # from the partial indexes below, so a tick with nothing due costs nothing per review
    Column("remind_due", Date),                         # a reminder still owed for this due
    Column("overdue_due", Date),                        # an overdue notice still owed for it
    # the reviewers this review counts a penalty review for (domain.penalty_credits), kept so
    # that a save moves staff.penalty_reviews_in_system by what changed
    Column("credited", JSON),
    UniqueConstraint("case_id", "proposal_seq", name="uq_reviews_proposal"),
    Index("ix_reviews_agency_state", "agency", "state"),
    # an agency's reviews newest first (list_reviews and its pages), read backwards
    Index("ix_reviews_agency_requested_at", "agency", "requested_at", "id"),
    Index("ix_reviews_remind_due", "remind_due", postgresql_where=text(REMIND_PENDING),
          sqlite_where=text(REMIND_PENDING)),
    Index("ix_reviews_overdue_due", "overdue_due", postgresql_where=text(OVERDUE_PENDING),
          sqlite_where=text(OVERDUE_PENDING)),
)

review_log = action_log_table(metadata, "review_log", "review")

staff = Table(
    "staff", metadata,
    Column("agency", String(64), primary_key=True),
    Column("person_id", String(64), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("position", String(60)),                     # 职务, printed on the 意见书
    Column("roles", JSON, nullable=False),              # officer, reviewer, legal_counsel
    Column("legal_qualification", Boolean, nullable=False),
    Column("qualification_no", String(64)),
    Column("prior_penalty_reviews", Integer, nullable=False),
    # penalty reviews finished in the board (each review's `credited`), counted as they finish
    # so that assigning a reviewer reads one row, not the agency's finished reviews
    Column("penalty_reviews_in_system", Integer, nullable=False, default=0,
           server_default="0"),
    Column("active", Boolean, nullable=False),
    Column("note", Text),
    Column("updated_at", UtcDateTime(), nullable=False),
)

access_log = Table(
    # every read of the board's reviews and every refused call: who, when, what, why (002
    # 第十九条 实时调阅; 003 二(二) 调阅监督), as the record keeper keeps its own
    "access_log", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("actor_agency", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("review_id", String(36)),
    Column("case_id", String(64)),
    Column("agency", String(64)),
    Column("outcome", String(12), nullable=False),  # granted | refused
    Column("reason", Text),
    Index("ix_access_log_agency_id", "agency", "id"),
    Index("ix_access_log_reader_id", "actor_id", "id"),
    Index("ix_access_log_review_id", "review_id"),
)

inbox = inbox_table(metadata)
outbox = outbox_table(metadata)
idempotency = idempotency_table(metadata)  # write calls, once each, with their answers
