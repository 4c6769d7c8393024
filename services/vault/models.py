"""Tables of the vault. `objects` holds each stored object with its digests, the retention
class, rule and rule set that set it, its lock and legal hold, and where its last fixity audit
left it; `uploads` the files announced and not yet (or already) stored; `fixity_events` one row
per copy audited (PREMIS-style: when, algorithm, outcome); `disposals` each disposal asked for
and approved; `vault_log` the append-only history of every act and refusal; `packages` each
case's archive package and its 四性 report, `package_intents` each package's writes announced
before they are made; `inbox` the events handled, `outbox` the events of
the same transactions."""
from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
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
from shared.persistence.schema import BigId, UtcDateTime, action_log_table, service_metadata

metadata = service_metadata()

objects = Table(
    "objects", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("key", String(200), nullable=False, unique=True),   # the store's key
    Column("subject", String(16), nullable=False),
    Column("name", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("digests", JSON, nullable=False),                  # {algorithm: hex}
    Column("case_id", String(36)),
    Column("facts", JSON, nullable=False),                    # retention conditions that hold
    Column("retention", JSON, nullable=False),                # domain.Retention.to_dict()
    Column("retain_until", Date),                             # last day kept; NULL: permanent
    Column("lock_mode", String(12), nullable=False),
    Column("legal_hold", Boolean, nullable=False),
    Column("state", String(12), nullable=False),              # stored | disposed
    Column("store", String(200), nullable=False),             # the store it was written to
    Column("replica", String(12)),                            # ok | missing | NULL: none
    Column("stored_at", UtcDateTime(), nullable=False),
    Column("stored_by", String(64), nullable=False),
    Column("last_fixity_at", UtcDateTime()),
    Column("last_fixity_outcome", String(12)),
    # a rendered document's stamp (store_document): what it was made from; NULL otherwise
    Column("stamp", JSON),
    UniqueConstraint("agency", "sha256", name="uq_objects_agency_sha256"),
    # the fixity audit's rolling cycle: the least recently audited first
    Index("ix_objects_agency_fixity", "agency", "state", "last_fixity_at"),
)

uploads = Table(
    "uploads", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("request", JSON, nullable=False),                  # the begin_upload request
    Column("retention", JSON, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("state", String(12), nullable=False),              # open | completed
    Column("object_id", String(36)),
)

fixity_events = Table(
    "fixity_events", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("object_id", String(36), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("outcome", String(12), nullable=False),            # pass | fail | missing | repaired
    Column("copy", String(8), nullable=False),                # primary | replica
    Column("detail", JSON),
)

disposals = Table(
    "disposals", metadata,
    Column("id", String(36), primary_key=True),
    Column("object_id", String(36), nullable=False, index=True),
    Column("agency", String(64), nullable=False),
    Column("state", String(12), nullable=False),              # requested | approved
    Column("reason", Text, nullable=False),
    Column("requested_by", String(64), nullable=False),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("approved_by", String(64)),
    Column("approved_at", UtcDateTime()),
    Column("note", Text),
    Column("sha256", String(64), nullable=False),
    Column("retention", JSON, nullable=False),
)

vault_log = action_log_table(metadata, "vault_log", "object")

# a case's archive package (BagIt, stored as an object) and its 四性检测 report, one per case
packages = Table(
    "packages", metadata,
    Column("id", String(36), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("case_no", String(64), nullable=False),
    Column("head_seq", Integer, nullable=False),              # the chain head it seals
    Column("head_hash", String(64), nullable=False),
    Column("object_id", String(36), nullable=False),          # the bag, as an object
    Column("report_object_id", String(36), nullable=False),   # its 四性 report, as an object
    Column("report", JSON, nullable=False),
    Column("state", String(12), nullable=False),              # stored | archived
    Column("message_id", String(64), nullable=False),         # the archive_due.v1 it answers
    Column("built_at", UtcDateTime(), nullable=False),
    Column("archived_at", UtcDateTime()),                     # records told: archive_case
    Column("archive_seq", Integer),                           # the case_archived entry
    UniqueConstraint("agency", "case_id", name="uq_packages_agency_case"),
)

# The record keeper's signed statements kept write-once (services.vault.usecases.anchors): the
# checkpoint verification keys pinned, each case checkpoint and each tree head of an agency's
# Merkle log, each row naming the object that holds it.
pinned_keys = Table(
    "pinned_keys", metadata,
    Column("key_id", String(16), primary_key=True),
    Column("signer", String(40), nullable=False),
    Column("public_key", Text, nullable=False),               # PEM
    Column("object_key", String(200), nullable=False),        # where the store keeps it
    Column("sha256", String(64), nullable=False),
    Column("pinned_at", UtcDateTime(), nullable=False),
)


def _kept_statement() -> list[Column]:
    """A signed statement of the record keeper the vault keeps: when and by which key it was
    signed, the signature and the statement itself, the object holding it, the event that
    brought it and when it was kept."""
    return [Column("signed_at", String(40), nullable=False),
            Column("key_id", String(16), nullable=False),
            Column("signature", String(128), nullable=False),
            Column("statement", Text, nullable=False),
            Column("object_id", String(36), nullable=False),
            Column("message_id", String(64), nullable=False),
            Column("stored_at", UtcDateTime(), nullable=False)]

anchored_checkpoints = Table(
    "anchored_checkpoints", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("agency", String(64), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("head_hash", String(64), nullable=False),
    Column("leaf_index", BigInteger, nullable=False),
    *_kept_statement(),
    UniqueConstraint("agency", "case_id", "seq", name="uq_anchored_checkpoints_case_seq"),
)

# each agency's tree heads of each service's log the vault keeps (`source`: records — the log
# of checkpoints —, or disclosure — the log of public acts; services.vault.usecases.anchors)
anchored_tree_heads = Table(
    "anchored_tree_heads", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("agency", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("root", String(64), nullable=False),
    *_kept_statement(),
    Column("source", String(40), nullable=False, server_default="records"),
    UniqueConstraint("source", "agency", "size", name="uq_anchored_tree_heads_source_size"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
idempotency = idempotency_table(metadata)

# the write of a case's package announced before it is made (its own transaction), so that a
# crash between writing to the write-once store and recording the package leaves a row naming
# what was written: a redelivery adopts the stored objects (their digests checked) instead of
# writing again, and the fixity audit reports one left unfinished
package_intents = Table(
    "package_intents", metadata,
    Column("package_id", String(36), primary_key=True),
    Column("agency", String(64), nullable=False),
    Column("case_id", String(36), nullable=False),
    Column("message_id", String(64), nullable=False),         # the archive_due.v1 that began it
    Column("built_at", UtcDateTime(), nullable=False),        # the package's time, kept on adopting
    Column("bag_key", String(200), nullable=False),           # the bag's key in the store
    Column("bag_sha256", String(64), nullable=False),
    Column("report_key", String(200)),                        # its report's, once computed
    Column("report_sha256", String(64)),
    Column("state", String(12), nullable=False),              # pending | stored
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("reported_at", UtcDateTime()),                     # found unfinished by the audit
    UniqueConstraint("agency", "case_id", name="uq_package_intents_agency_case"),
)
