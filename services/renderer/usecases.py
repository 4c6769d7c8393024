"""Commands of the renderer: render (validate → docxtpl off the hub → stamp → optional PDF →
record + event in one transaction)."""
from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from contracts.renderer import RENDER_ROLES
from services.renderer import fields, store
from services.renderer.domain import stamp_for
from services.renderer.pdf import PDF_TYPE, PdfUnavailable
from services.renderer.rendering import DOCX_TYPE
from shared.trust.actor import Actor

if TYPE_CHECKING:  # the providers' types, for the hints only
    from services.renderer.dependencies import Pdf, Renderer
    from services.renderer.registry import Registry
    from shared.messaging.outbox import OutboxWriter
    from shared.persistence.db import Db
    from shared.rulesets.provider import Rules


def _output(fmt: str, media_type: str, blob: bytes) -> dict[str, Any]:
    return {"format": fmt, "media_type": media_type, "sha256": hashlib.sha256(blob).hexdigest(),
            "size": len(blob), "object_ref": None,
            # no vault is deployed yet: the bytes travel in the reply
            "content_base64": base64.b64encode(blob).decode("ascii")}


def render(p: dict[str, Any], *, actor: Actor, db: Db, registry: Registry, renderer: Renderer,
           pdf: Pdf, outbox: OutboxWriter, rules: Rules, now: datetime) -> dict[str, Any]:
    ruleset = rules.agency(actor.agency).ruleset.ref  # an agency this deployment serves
    actor.require(*RENDER_ROLES, agency=actor.agency)
    template = registry.get(p["template_id"], p["version"])
    data = fields.validate(template.fields, p["data"])
    stamp = stamp_for(template, data)
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
        store.save_render(session, result, made, actor=actor, reference=p["reference"], now=now)
        store.emit_rendered(outbox, session, result, made, actor=actor, ruleset=ruleset,
                            reference=p["reference"], now=now)
    return result
