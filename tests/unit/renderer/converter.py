"""One warm LibreOffice converter (unoserver with its own profile) per test session, shared by
the renderer's unit and integration tests: import the `unoserver` fixture into the module."""
from __future__ import annotations

import subprocess

import pytest

from services.renderer.pdf import LocalUnoserver, PdfUnavailable


@pytest.fixture(scope="session")
def unoserver():
    server = LocalUnoserver().start()
    try:
        server.wait_ready(120)
    except PdfUnavailable as exc:
        server.stop()
        pytest.fail(f"no PDF converter: {exc} (./scripts/bootstrap installs LibreOffice)",
                    pytrace=False)
    yield server
    server.stop()


def pdf_fonts(pdf: bytes, tmp_path) -> dict[str, str]:
    """pdffonts' table: font name (subset prefix removed) → 'yes'/'no' embedded."""
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    fonts = {}
    for line in out.stdout.splitlines()[2:]:
        cols = line.split()
        name = cols[0].split("+", 1)[-1]
        # columns from the right: emb sub uni object-id generation
        fonts[name] = cols[-5]
    return fonts
