"""The template registry: every (template id, version, sha256) the renderer has seen, kept in
its own database with the bytes (through `store`), and a cache of them in memory. It polls the
templates folder (at most every `poll_seconds`, on use): a new folder registers as its version,
an edited file as the next version — the old one stays and re-renders as it did."""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from services.renderer import library, store
from services.renderer.domain import TemplateVersion, version_for
from shared.errors import NotFound
from shared.persistence.db import Db

log = logging.getLogger(__name__)


class Registry:
    def __init__(self, db: Db, root: Path, poll_seconds: float = 2.0) -> None:
        self.db = db
        self.root = Path(root)
        self.poll_seconds = poll_seconds
        self._versions: dict[tuple[str, int], TemplateVersion] = {}
        self._fingerprint: tuple | None = None
        self._checked = float("-inf")
        self._lock = threading.RLock()  # green under eventlet's monkey patching
        self.problems: list[str] = []

    # ---- reading ---------------------------------------------------------------------------

    def get(self, template_id: str, version: int | None = None) -> TemplateVersion:
        self.refresh()
        versions = self._of(template_id)
        if not versions:
            self._reload()  # registered by another instance since we last looked?
            versions = self._of(template_id)
        if not versions:
            known = sorted({k[0] for k in self._versions})
            raise NotFound(f"unknown template {template_id!r}; known: {', '.join(known) or 'none'}",
                           code="template_not_found",
                           message_zh=f"未找到文书模板 {template_id!r}；现有模板："
                                      f"{'、'.join(known) or '无'}",
                           details={"template_id": template_id, "known": known})
        if version is None:
            return versions[-1]
        for t in versions:
            if t.version == version:
                return t
        self._reload()
        found = self._versions.get((template_id, version))
        if found:
            return found
        have = [t.version for t in self._of(template_id)]
        raise NotFound(f"template {template_id!r} has no version {version}; versions: "
                       f"{', '.join(map(str, have))}", code="template_version_not_found",
                       message_zh=f"文书模板 {template_id!r} 没有第 {version} 版；现有版本："
                                  f"{'、'.join(map(str, have))}",
                       details={"template_id": template_id, "version": version,
                                "known": have})

    def all(self) -> list[TemplateVersion]:
        self.refresh()
        return [self._versions[k] for k in sorted(self._versions)]

    def _of(self, template_id: str) -> list[TemplateVersion]:
        return [self._versions[k] for k in sorted(self._versions) if k[0] == template_id]

    # ---- keeping up with the folder --------------------------------------------------------

    def load(self) -> None:
        """Read every registered version, then register what the folder has that is new."""
        self._reload()
        self.refresh(force=True)

    def _reload(self) -> None:
        versions = store.load_versions(self.db)
        with self._lock:
            self._versions = versions

    def refresh(self, force: bool = False) -> list[TemplateVersion]:
        """Register new or changed template files; returns what was registered."""
        now = time.monotonic()
        if not force and now - self._checked < self.poll_seconds:
            return []
        with self._lock:
            self._checked = now
            fp = library.fingerprint(self.root)
            if fp == self._fingerprint and not force:
                return []
            folders = library.scan(self.root)
            self.problems = [p for f in folders for p in f.problems]
            for problem in self.problems:
                log.warning("template skipped: %s", problem)
            added = []
            folder_versions: dict[str, list[int]] = {}
            for f in folders:
                folder_versions.setdefault(f.template_id, []).append(f.version)
            for f in folders:
                if f.template is not None:
                    t = self._register(f.template, folder_versions[f.template_id])
                    if t is not None:
                        added.append(t)
            self._fingerprint = fp
            return added

    def _register(self, found: TemplateVersion,
                  folder_versions: list[int]) -> TemplateVersion | None:
        for _attempt in range(3):
            version = version_for(found, self._of(found.template_id), folder_versions)
            if version is None:
                return None
            t = dataclasses.replace(found, version=version)
            try:
                store.register_version(self.db, t, datetime.now(UTC))
            except IntegrityError:
                self._reload()  # another instance registered this number first
                continue
            self._versions[(t.template_id, t.version)] = t
            if version != found.version:
                log.info("template %s: %s changed; registered as version %d (version %d kept)",
                         t.template_id, found.source, version, found.version)
            else:
                log.info("template %s version %d registered (sha256 %s)", t.template_id,
                         version, t.sha256[:12])
            return t
        raise RuntimeError(f"could not register {found.source}: version numbers kept colliding")
