"""The template registry on a real SQLite database: folders registered, an edited file
registered as the next version with the old one kept byte for byte, unknown ids and versions
named, broken folders skipped; the version rule itself without a database."""
import dataclasses

import pytest

from services.renderer.domain import TemplateVersion, latest_versions, version_for
from services.renderer.library import scan
from services.renderer.registry import Registry
from shared.errors import NotFound
from shared.persistence.db import make_engine, migrate, open_db
from tests.unit.renderer.fixtures import template_docx, write_template


def found(version, sha, source=None):
    return TemplateVersion("t", version, "题", sha, "m", {}, b"", source or f"t/{version}")


def test_version_rule():
    known = [found(1, "a"), found(2, "b")]
    assert version_for(found(1, "a"), known, [1, 2]) is None      # seen before
    assert version_for(found(3, "c"), known, [1, 2, 3]) == 3      # a new folder
    assert version_for(found(1, "z"), known, [1, 2]) == 3         # file 1 edited in place
    assert version_for(found(1, "z"), known, [1, 2, 5]) == 6


@pytest.fixture
def registry(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'r.sqlite3'}")
    migrate(engine, "services.renderer:migrations")
    root = tmp_path / "templates"
    write_template(root)
    reg = Registry(open_db(engine), root, poll_seconds=0)
    reg.load()
    yield reg, root, engine
    engine.dispose()


def test_edited_file_becomes_the_next_version_and_the_old_survives_a_restart(registry):
    reg, root, engine = registry
    v1 = reg.get("fixture_penalty")
    write_template(root, docx=template_docx("修订"))
    v2 = reg.get("fixture_penalty")
    assert (v1.version, v2.version, v2.source) == (1, 2, "fixture_penalty/1")
    assert v1.docx != v2.docx
    (root / "fixture_penalty" / "1" / "template.docx").unlink()  # even gone from disk
    restarted = Registry(open_db(engine), root, poll_seconds=0)
    restarted.load()
    assert restarted.get("fixture_penalty", 1).docx == v1.docx
    assert restarted.get("fixture_penalty").version == 2
    assert [(t.version, t.sha256) for t in restarted.all()] == [(1, v1.sha256), (2, v2.sha256)]


def test_unknown_template_or_version_lists_what_exists(registry):
    reg, root, _ = registry
    write_template(root, "other", 1, title="其他")
    with pytest.raises(NotFound) as err:
        reg.get("nope")
    assert err.value.details == {"template_id": "nope", "known": ["fixture_penalty", "other"]}
    with pytest.raises(NotFound) as err:
        reg.get("fixture_penalty", 4)
    assert err.value.message == "template 'fixture_penalty' has no version 4; versions: 1"


def test_a_broken_folder_is_skipped_and_reported(registry):
    reg, root, _ = registry
    bad = write_template(root, "broken", 1)
    (bad / "manifest.yaml").write_text("id: broken\nversion: 2\ntitle: 坏\nfields: {}\n", "utf-8")
    assert [t.template_id for t in reg.all()] == ["fixture_penalty"]
    assert reg.problems == [
        "broken/1/manifest.yaml: version 2 does not match the folder 1",
        "broken/1/manifest.yaml: fields: must be a non-empty mapping of field name to spec"]
    assert [f.template_id for f in scan(root)] == ["broken", "fixture_penalty"]


def test_the_latest_version_of_each_template():
    versions = [found(1, "a"), found(2, "b"), dataclasses.replace(found(1, "c"), template_id="u")]
    assert [(t.template_id, t.version) for t in latest_versions(versions)] == [("t", 2), ("u", 1)]
