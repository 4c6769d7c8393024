"""The render worker keeps templates by sha256: bytes cross the pipe once per worker, a worker
that lacks them says so and gets them, and bytes never go under another template's hash."""
from __future__ import annotations

import hashlib

import pytest

from services.renderer.dependencies import Renderer
from services.renderer.domain import Stamp, data_sha256
from services.renderer.library import default_root
from services.renderer.rendering import render_docx
from shared.errors import ConfigurationError

TEMPLATE = default_root() / "penalty_decision" / "1"


@pytest.fixture(scope="module")
def case():
    import yaml

    from services.renderer.fields import validate
    manifest = yaml.safe_load((TEMPLATE / "manifest.yaml").read_text("utf-8"))
    template = (TEMPLATE / "template.docx").read_bytes()
    data = validate(manifest["fields"], manifest["sample"])
    stamp = Stamp("penalty_decision", 1, hashlib.sha256(template).hexdigest(),
                  data_sha256(data), manifest.get("title", "t"))
    return template, data, stamp


@pytest.fixture
def renderer():
    r = Renderer(1)
    yield r
    r.close()


def test_template_sent_once_and_resent_when_the_worker_lacks_it(renderer, case):
    template, data, stamp = case
    expected = render_docx(template, data, stamp)
    assert renderer.render_docx(template, data, stamp) == expected
    (p,) = renderer._all
    assert p.sent == {stamp.template_sha256}
    assert renderer.render_docx(template, data, stamp) == expected  # from the worker's cache
    other = Stamp(stamp.template_id, stamp.version, "0" * 64, stamp.data_sha256, stamp.title)
    p.sent.add(other.template_sha256)  # the parent believes the worker has it; it has not
    with pytest.raises(ConfigurationError):  # resent — and refused: bytes don't match the hash
        renderer.render_docx(template, data, other)
    assert renderer.render_docx(template, data, stamp) == expected
