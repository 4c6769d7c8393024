"""Persistence of the renderer: the registered template versions (never updated), the record of
each render with its document_rendered event in the same transaction, and the refused calls."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.renderer.domain import TemplateVersion
from services.renderer.models import refusals, renders, template_versions
from shared.messaging.outbox import OutboxWriter
from shared.service.entrypoint import refusal_reason
from shared.service.ports import Db
from shared.trust.actor import Actor


def _row(t: TemplateVersion, now: datetime) -> dict[str, Any]:
    return {"template_id": t.template_id, "version": t.version, "title": t.title,
            "sha256": t.sha256, "manifest_sha256": t.manifest_sha256, "manifest": t.manifest,
            "docx": t.docx, "source": t.source, "registered_at": now}


def _from_row(r: Row) -> TemplateVersion:
    return TemplateVersion(template_id=r.template_id, version=r.version, title=r.title,
                           sha256=r.sha256, manifest_sha256=r.manifest_sha256,
                           manifest=r.manifest, docx=bytes(r.docx), source=r.source)


def load_versions(db: Db) -> dict[tuple[str, int], TemplateVersion]:
    """Every registered template version, by (template id, version)."""
    with db.read() as session:
        rows = session.execute(select(template_versions)).all()
    return {(r.template_id, r.version): _from_row(r) for r in rows}


def register_version(db: Db, t: TemplateVersion, now: datetime) -> None:
    """Insert a new version in its own transaction; IntegrityError when its (id, version) is
    taken (another instance registered that number first)."""
    with db.transaction() as session:
        session.execute(template_versions.insert().values(**_row(t, now)))


def save_render(session: Session, result: dict[str, Any], outputs: list[dict[str, Any]], *,
                actor: Actor, reference: str | None, now: datetime) -> None:
    """The record of one render: what it was made from and what came out."""
    session.execute(renders.insert().values(
        render_id=result["render_id"], template_id=result["template_id"],
        version=result["version"], data_sha256=result["data_sha256"], outputs=outputs,
        actor_id=actor.id, agency=actor.agency, reference=reference, rendered_at=now))


def emit_rendered(outbox: OutboxWriter, session: Session, result: dict[str, Any],
                  outputs: list[dict[str, Any]], *, actor: Actor, ruleset: str,
                  reference: str | None, now: datetime) -> None:
    """document_rendered.v1, staged in the render's transaction."""
    outbox.stage(session, "document_rendered.v1", {
        "render_id": result["render_id"], "template_id": result["template_id"],
        "version": result["version"], "template_sha256": result["template_sha256"],
        "data_sha256": result["data_sha256"], "reference": reference, "outputs": outputs},
        agency=actor.agency, actor=actor.ref(), ruleset=ruleset, occurred_at=now)


def record_refusal(db: Db, actor: Actor, method: str, request: dict[str, Any],
                   exc: Exception, now: datetime) -> None:
    """A refused call is itself recorded, in its own transaction: who (for a refused token:
    who it claimed to be, role "unverified"), what, why."""
    template_id = request.get("template_id")
    with db.transaction() as session:
        session.execute(refusals.insert().values(
            at=now, actor_id=actor.id, actor_role=actor.role, actor_agency=actor.agency,
            method=method, template_id=template_id[:64] if isinstance(template_id, str) else None,
            reason=refusal_reason(exc)))
