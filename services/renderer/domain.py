"""What a template version is, and the registry's rule for a changed file: never overwrite a
registered version — content the registry has not seen becomes the next version."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TemplateVersion:
    template_id: str
    version: int
    title: str
    sha256: str            # of template.docx
    manifest_sha256: str   # of manifest.yaml
    manifest: dict
    docx: bytes = field(repr=False)
    source: str = ""       # folder it was read from, e.g. "penalty_decision/1"

    @property
    def fields(self) -> dict:
        return self.manifest["fields"]

    @property
    def sample(self) -> dict:
        return self.manifest.get("sample") or {}

    @property
    def description(self) -> str | None:
        return self.manifest.get("description")

    def same_content(self, other: "TemplateVersion") -> bool:
        return (self.sha256, self.manifest_sha256) == (other.sha256, other.manifest_sha256)

    def summary(self) -> dict:
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
