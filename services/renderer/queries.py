"""Reads of the renderer: the template registry, listed and described."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.renderer import READ_ROLES
from services.renderer import fields
from services.renderer.domain import latest_versions
from shared.trust.actor import Actor

if TYPE_CHECKING:  # the provider's type, for the hints only
    from services.renderer.registry import Registry


def list_templates(p: dict[str, Any], *, actor: Actor, registry: Registry,
                   **_: Any) -> list[dict[str, Any]]:
    actor.require(*READ_ROLES)
    found = [t for t in registry.all()  # sorted by (id, version)
             if p["template_id"] is None or t.template_id == p["template_id"]]
    if not p["all_versions"]:
        found = latest_versions(found)
    return [t.summary() for t in found]


def get_template(p: dict[str, Any], *, actor: Actor, registry: Registry,
                 **_: Any) -> dict[str, Any]:
    actor.require(*READ_ROLES)
    t = registry.get(p["template_id"], p["version"])
    return dict(t.summary(), fields=t.fields, json_schema=fields.to_json_schema(t.fields),
                sample=t.sample)
