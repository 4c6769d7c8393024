"""Tables of the renderer. `template_versions` keeps every (template id, version) the registry
has registered, with its bytes and manifest, and is never updated: an old version re-renders
from here byte for byte even after its folder changed or went. `renders` records each render
(what from, what came out) once; `refusals` keeps every refused call; `outbox` carries
document_rendered events."""
from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, LargeBinary, String, Table, Text

from shared.messaging.outbox import outbox_table
from shared.persistence.idempotency import idempotency_table
from shared.persistence.schema import BigId, UtcDateTime, service_metadata

metadata = service_metadata()

template_versions = Table(
    "template_versions", metadata,
    Column("template_id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("title", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),           # of template.docx
    Column("manifest_sha256", String(64), nullable=False),  # of manifest.yaml
    Column("manifest", JSON, nullable=False),
    Column("docx", LargeBinary, nullable=False),
    # the folder it was read from; differs from `version` when an edited file was
    # registered as the next version
    Column("source", String(300), nullable=False),
    Column("registered_at", UtcDateTime(), nullable=False),
)

renders = Table(
    "renders", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("render_id", String(36), nullable=False, unique=True),
    Column("template_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("data_sha256", String(64), nullable=False),
    Column("outputs", JSON, nullable=False),  # [{format, sha256, size}]
    Column("actor_id", String(64), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("reference", Text),
    Column("rendered_at", UtcDateTime(), nullable=False),
)

# every refused call (wrong role or agency): who, what, why — as records and review keep theirs
refusals = Table(
    "refusals", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("actor_role", String(16), nullable=False),
    Column("actor_agency", String(64), nullable=False),
    Column("method", String(40), nullable=False),
    Column("template_id", String(64)),
    Column("reason", Text, nullable=False),
)

outbox = outbox_table(metadata)
idempotency = idempotency_table(metadata)  # renders, once each, with their answers
