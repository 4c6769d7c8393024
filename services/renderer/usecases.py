"""Commands of the renderer: render (validate → docxtpl off the hub → stamp → optional PDF →
each output stored in the vault, where one is deployed → record + event in one transaction)."""
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
    from services.renderer.domain import Stamp, TemplateVersion
    from services.renderer.registry import Registry
    from shared.messaging.calls import PeerClient
    from shared.messaging.outbox import OutboxWriter
    from shared.persistence.db import Db
    from shared.rulesets.provider import Rules


# a document's name in the vault: its title, the caller's reference, the format
NAME_MAX = 255


def _output(fmt: str, media_type: str, blob: bytes) -> dict[str, Any]:
    return {"format": fmt, "media_type": media_type, "sha256": hashlib.sha256(blob).hexdigest(),
            "size": len(blob), "object_ref": None,
            # no vault deployed: the bytes travel in the reply
            "content_base64": base64.b64encode(blob).decode("ascii")}


def _stored(outputs: list[dict[str, Any]], vault: PeerClient, *, p: dict[str, Any],
            actor: Actor, render_id: str, template: TemplateVersion, stamp: Stamp) -> None:
    """Each output stored in the vault as the renderer itself, once per render id and format
    (the idempotency key), with the stamp: the answer then carries its object id instead of
    the bytes."""
    for out in outputs:
        suffix = f".{out['format']}"
        title = f"{template.title}（{p['reference']}）" if p["reference"] else template.title
        stored = vault.call(
            "store_document", acting_for=actor.agency, agency=actor.agency,
            key=f"render-{render_id}-{out['format']}",
            render_id=render_id, format=out["format"], template_id=template.template_id,
            version=template.version, template_sha256=template.sha256,
            data_sha256=stamp.data_sha256, name=title[:NAME_MAX - len(suffix)] + suffix,
            media_type=out["media_type"], sha256=out["sha256"], size=out["size"],
            content_base64=out["content_base64"], case_id=p["case_id"])
        out["object_ref"], out["content_base64"] = stored["id"], None


def render(p: dict[str, Any], *, actor: Actor, db: Db, registry: Registry, renderer: Renderer,
           pdf: Pdf, outbox: OutboxWriter, rules: Rules, now: datetime,
           vault: PeerClient | None = None) -> dict[str, Any]:
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
    render_id = str(uuid.uuid4())
    if vault is not None and vault.deployed():
        _stored(outputs, vault, p=p, actor=actor, render_id=render_id, template=template,
                stamp=stamp)
    result = {"render_id": render_id, "template_id": template.template_id,
              "version": template.version, "title": template.title,
              "template_sha256": template.sha256, "data_sha256": stamp.data_sha256,
              "outputs": outputs, "notes": notes}
    made = [{k: o[k] for k in ("format", "sha256", "size", "object_ref")} for o in outputs]
    with db.transaction() as session:
        store.save_render(session, result, made, actor=actor, reference=p["reference"], now=now)
        store.emit_rendered(outbox, session, result, made, actor=actor, ruleset=ruleset,
                            reference=p["reference"], now=now)
    return result
