"""The templates folder on disk: templates/<template_id>/<version>/{template.docx,manifest.yaml}.
Reads each version folder into a TemplateVersion, reporting what is wrong with it instead of
raising, so one broken folder neither stops the service nor hides the others from `lint`."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from services.renderer.domain import TemplateVersion
from services.renderer.fields import schema_problems

ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
DOCX, MANIFEST = "template.docx", "manifest.yaml"
MANIFEST_KEYS = {"id", "version", "title", "description", "fields", "sample"}


def default_root() -> Path:
    return Path(__file__).resolve().parents[2] / "templates"


@dataclass
class Folder:
    path: Path
    template_id: str
    version: int
    template: TemplateVersion | None
    problems: list[str]


def version_dirs(root: Path) -> list[tuple[str, int, Path]]:
    """(template id, version, folder) of every <id>/<n>/ under root, sorted; other entries
    (e.g. _tools/) are not templates and are skipped."""
    out: list[tuple[str, int, Path]] = []
    if not root.is_dir():
        return out
    for tdir in root.iterdir():
        if not tdir.is_dir() or not ID.match(tdir.name):
            continue
        for vdir in tdir.iterdir():
            if vdir.is_dir() and vdir.name.isdigit() and int(vdir.name) > 0:
                out.append((tdir.name, int(vdir.name), vdir))
    return sorted(out, key=lambda t: (t[0], t[1]))


# (template id, version, file name, size, mtime in ns); size and mtime None for a missing file
FileStamp = tuple[str, int, str, int | None, int | None]


def fingerprint(root: Path) -> tuple[FileStamp, ...]:
    """Cheap change detector: size and mtime of every template file (no reads)."""
    out: list[FileStamp] = []
    for template_id, version, folder in version_dirs(root):
        for name in (DOCX, MANIFEST):
            try:
                st = (folder / name).stat()
                out.append((template_id, version, name, st.st_size, st.st_mtime_ns))
            except FileNotFoundError:
                out.append((template_id, version, name, None, None))
    return tuple(out)


def read_folder(template_id: str, version: int, folder: Path, root: Path) -> Folder:
    rel = folder.relative_to(root).as_posix()
    try:
        docx = (folder / DOCX).read_bytes()
    except OSError as exc:
        return _broken(folder, template_id, version, f"{rel}/{DOCX}: cannot read ({exc.strerror})")
    try:
        raw = (folder / MANIFEST).read_bytes()
        manifest = yaml.safe_load(raw.decode("utf-8"))
    except OSError as exc:
        return _broken(folder, template_id, version,
                       f"{rel}/{MANIFEST}: cannot read ({exc.strerror})")
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return _broken(folder, template_id, version, f"{rel}/{MANIFEST}: not valid YAML ({exc})")
    if not isinstance(manifest, dict):
        return _broken(folder, template_id, version, f"{rel}/{MANIFEST}: must be a mapping")
    problems = manifest_problems(manifest, template_id, version, f"{rel}/{MANIFEST}")
    if problems:
        return Folder(folder, template_id, version, None, problems)
    template = TemplateVersion(
        template_id=template_id, version=version, title=manifest["title"],
        sha256=hashlib.sha256(docx).hexdigest(), manifest_sha256=hashlib.sha256(raw).hexdigest(),
        manifest=manifest, docx=docx, source=rel)
    return Folder(folder, template_id, version, template, [])


def _broken(folder: Path, template_id: str, version: int, problem: str) -> Folder:
    return Folder(folder, template_id, version, None, [problem])


def manifest_problems(manifest: dict, template_id: str, version: int, where: str) -> list[str]:
    """What is wrong with a manifest read from the folder <template_id>/<version>/."""
    problems = []
    unknown = sorted(set(manifest) - MANIFEST_KEYS)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(unknown)}")
    if manifest.get("id") != template_id:
        problems.append(f"{where}: id {manifest.get('id')!r} does not match the folder "
                        f"{template_id!r}")
    if manifest.get("version") != version:
        problems.append(f"{where}: version {manifest.get('version')!r} does not match the "
                        f"folder {version}")
    if not isinstance(manifest.get("title"), str) or not manifest.get("title"):
        problems.append(f"{where}: title (the Chinese title) is required")
    if "sample" in manifest and not isinstance(manifest["sample"], dict):
        problems.append(f"{where}: sample must be a mapping")
    return problems + [f"{where}: {p}" for p in schema_problems(manifest.get("fields"))]


def scan(root: Path, template_id: str | None = None) -> list[Folder]:
    return [read_folder(tid, ver, folder, root) for tid, ver, folder in version_dirs(root)
            if template_id is None or tid == template_id]
