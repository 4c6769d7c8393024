"""The standard templates have one source, their specs: every committed file is the build of
its spec, byte for byte, and rebuilding changes no byte and no mtime, so a running renderer
registers no new version."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from services.renderer.library import default_root
from services.renderer.registry import Registry
from shared.persistence.db import make_engine, migrate, open_db

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = default_root()


def build(templates: Path, *args: str) -> subprocess.CompletedProcess:
    """The build script of `templates` run as a maintainer runs it, from the project."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, str(templates / "_tools" / "build.py"), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def files(templates: Path) -> dict[str, tuple[bytes, int]]:
    """Every template file under `templates`: its bytes and mtime."""
    return {p.relative_to(templates).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(templates.glob("*/*/*"))
            if p.name in ("template.docx", "manifest.yaml")}


def test_every_shipped_template_file_is_the_build_of_its_spec():
    done = build(SHIPPED, "--check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok: ") == len(files(SHIPPED)) == 40   # 20 versions, two files each


@pytest.fixture
def copy(tmp_path):
    """The templates folder, tools included, copied; a registry on it as a renderer has it."""
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED, templates, ignore=shutil.ignore_patterns("__pycache__"))
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    migrate(engine, "services.renderer:migrations")
    registry = Registry(open_db(engine), templates, poll_seconds=0)
    registry.load()
    yield templates, registry
    engine.dispose()


def test_rebuilding_twice_changes_no_byte_and_registers_no_version(copy):
    templates, registry = copy
    registered = [(t.template_id, t.version, t.sha256) for t in registry.all()]
    assert len(registered) == 20
    before = files(templates)
    for _ in range(2):
        done = build(templates)
        assert done.returncode == 0, done.stdout + done.stderr
        assert files(templates) == before  # same bytes, and not even rewritten
        assert registry.refresh(force=True) == []
    assert [(t.template_id, t.version, t.sha256) for t in registry.all()] == registered
    assert {k: v[0] for k, v in before.items()} == {k: v[0] for k, v in files(SHIPPED).items()}


def test_a_changed_spec_rewrites_only_its_own_files(copy):
    templates, _ = copy
    specs = templates / "_tools" / "specs.py"
    text = specs.read_text("utf-8")
    assert 'GwDocument("送达回证")' in text
    specs.write_text(text.replace('GwDocument("送达回证")', 'GwDocument("送达回证（修订）")'),
                     "utf-8")
    before = files(templates)
    done = build(templates)
    assert done.returncode == 0, done.stdout + done.stderr
    after = files(templates)
    changed = sorted(k for k in before if before[k] != after[k])
    assert changed and all(k.startswith("service_receipt/") for k in changed), changed
    assert build(templates, "--check").returncode == 0
