"""What the renderer does, as functions taking their dependencies as keyword arguments:
render (validate → docxtpl off the hub → stamp → optional PDF → record + event in one
transaction), list the registry, describe a template."""
from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import datetime

from contracts.renderer import READ_ROLES, RENDER_ROLES
from services.renderer import fields
from services.renderer.models import refusals, renders
from services.renderer.pdf import PDF_TYPE, PdfUnavailable
from services.renderer.rendering import DOCX_TYPE, Stamp, data_sha256
from shared.trust.actor import Actor
from shared.service.entrypoint import refusal_reason


def _output(fmt: str, media_type: str, blob: bytes) -> dict:
    return {"format": fmt, "media_type": media_type, "sha256": hashlib.sha256(blob).hexdigest(),
            "size": len(blob), "object_ref": None,
            # no vault is deployed yet: the bytes travel in the reply
            "content_base64": base64.b64encode(blob).decode("ascii")}


def render(p: dict, *, actor: Actor, db, registry, renderer, pdf, outbox, rules,
           now: datetime) -> dict:
    ruleset = rules.agency(actor.agency).ruleset.ref  # an agency this deployment serves
    actor.require(*RENDER_ROLES, agency=actor.agency)
    template = registry.get(p["template_id"], p["version"])
    data = fields.validate(template.fields, p["data"])
    stamp = Stamp(template.template_id, template.version, template.sha256, data_sha256(data),
                  template.title)
    docx = renderer.render_docx(template.docx, data, stamp)
    outputs, notes = [_output("docx", DOCX_TYPE, docx)], []
    if "pdf" in p["formats"]:
        try:
            outputs.append(_output("pdf", PDF_TYPE, pdf.convert(docx)))
        except PdfUnavailable as exc:
            notes.append({"code": "pdf_unavailable", "message": str(exc)})
    result = {"render_id": str(uuid.uuid4()), "template_id": template.template_id,
              "version": template.version, "title": template.title,
              "template_sha256": template.sha256, "data_sha256": stamp.data_sha256,
              "outputs": outputs, "notes": notes}
    made = [{k: o[k] for k in ("format", "sha256", "size", "object_ref")} for o in outputs]
    with db.transaction() as session:
        session.execute(renders.insert().values(
            render_id=result["render_id"], template_id=template.template_id,
            version=template.version, data_sha256=stamp.data_sha256, outputs=made,
            actor_id=actor.id, agency=actor.agency, reference=p["reference"], rendered_at=now))
        outbox.stage(session, "document_rendered.v1", {
            "render_id": result["render_id"], "template_id": template.template_id,
            "version": template.version, "template_sha256": template.sha256,
            "data_sha256": stamp.data_sha256, "reference": p["reference"], "outputs": made},
            agency=actor.agency, actor=actor.ref(), ruleset=ruleset, occurred_at=now)
    return result


def list_templates(p: dict, *, actor: Actor, registry, **_) -> list[dict]:
    actor.require(*READ_ROLES)
    found = [t for t in registry.all()
             if p["template_id"] is None or t.template_id == p["template_id"]]
    if not p["all_versions"]:
        latest = {}
        for t in found:  # all() is sorted by (id, version)
            latest[t.template_id] = t
        found = list(latest.values())
    return [t.summary() for t in found]


def get_template(p: dict, *, actor: Actor, registry, **_) -> dict:
    actor.require(*READ_ROLES)
    t = registry.get(p["template_id"], p["version"])
    return dict(t.summary(), fields=t.fields, json_schema=fields.to_json_schema(t.fields),
                sample=t.sample)


def record_refusal(db, actor: Actor, method: str, request: dict, exc, now: datetime) -> None:
    """A refused call is itself recorded, in its own transaction: who (for a refused token:
    who it claimed to be, role "unverified"), what, why."""
    template_id = request.get("template_id")
    with db.transaction() as session:
        session.execute(refusals.insert().values(
            at=now, actor_id=actor.id, actor_role=actor.role, actor_agency=actor.agency,
            method=method, template_id=template_id[:64] if isinstance(template_id, str) else None,
            reason=refusal_reason(exc)))
