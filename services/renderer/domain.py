"""What a template version is, the registry's rule for a changed file (never overwrite a
registered version — content the registry has not seen becomes the next version), and the
stamp a rendered document carries: what it was made from, never when. Pure: no I/O."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TemplateVersion:
    template_id: str
    version: int
    title: str
    sha256: str            # of template.docx
    manifest_sha256: str   # of manifest.yaml
    manifest: dict[str, Any]
    docx: bytes = field(repr=False)
    source: str = ""       # folder it was read from, e.g. "penalty_decision/1"

    @property
    def fields(self) -> dict[str, Any]:
        return self.manifest["fields"]

    @property
    def sample(self) -> dict[str, Any]:
        return self.manifest.get("sample") or {}

    @property
    def description(self) -> str | None:
        return self.manifest.get("description")

    def same_content(self, other: TemplateVersion) -> bool:
        return (self.sha256, self.manifest_sha256) == (other.sha256, other.manifest_sha256)

    def summary(self) -> dict[str, Any]:
        return {"template_id": self.template_id, "version": self.version, "title": self.title,
                "description": self.description, "sha256": self.sha256, "source": self.source}


def version_for(found: TemplateVersion, known: list[TemplateVersion],
                folder_versions: list[int]) -> int | None:
    """The version a template read from disk registers as: None when its content is already
    registered; its folder's number when that is free; else the next number after every
    registered and every folder version of the template (an edited file, old version kept)."""
    if any(found.same_content(k) for k in known):
        return None
    taken = {k.version for k in known}
    if found.version not in taken:
        return found.version
    return max(taken | set(folder_versions)) + 1


def latest_versions(versions: list[TemplateVersion]) -> list[TemplateVersion]:
    """The highest version of each template, of versions sorted by (id, version)."""
    latest: dict[str, TemplateVersion] = {}
    for t in versions:
        latest[t.template_id] = t
    return list(latest.values())


@dataclass(frozen=True)
class Stamp:
    """What a rendered document says it was made from, in its core properties."""
    template_id: str
    version: int
    template_sha256: str
    data_sha256: str
    title: str

    @property
    def identifier(self) -> str:
        return f"sanxiang:{self.template_id}@{self.version}"

    @property
    def keywords(self) -> str:
        return (f"template={self.template_id}; version={self.version}; "
                f"template_sha256={self.template_sha256}; data_sha256={self.data_sha256}")


def data_sha256(data: dict[str, Any]) -> str:
    """Hash of the render data in canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp_for(template: TemplateVersion, data: dict[str, Any]) -> Stamp:
    """The stamp of `data` (already validated) rendered from `template`."""
    return Stamp(template.template_id, template.version, template.sha256, data_sha256(data),
                 template.title)
