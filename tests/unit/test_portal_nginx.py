"""The portal's nginx config (compose/portal/default.conf.template), rendered as the nginx image
renders it, is valid (`nginx -t`) and serves the site: a page by its path, never the writer's
temporary files or the versions beside the site, and after a rebuild's swap the new version
(services/disclosure/portal/versions.py) — nginx follows the path's link on every request.
Needs the Debian package nginx (scripts/bootstrap installs it)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from services.disclosure.portal import versions

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import portal_serve  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None and not Path(
    "/usr/sbin/nginx").exists(), reason="nginx not installed (./scripts/bootstrap)")


def test_the_rendered_template_keeps_nginx_variables_and_sets_ours():
    text = portal_serve.render(portal_serve.TEMPLATE.read_text(encoding="utf-8"),
                               PORTAL_LISTEN="80", PORTAL_ROOT="/usr/share/nginx/html/site")
    assert "listen 80;" in text and "root /usr/share/nginx/html/site;" in text
    assert "try_files $uri $uri/ =404;" in text and "${" not in text


def test_nginx_accepts_the_compose_config(tmp_path):
    conf = portal_serve.configure(tmp_path, portal_serve.free_port(), tmp_path / "site")
    done = subprocess.run([portal_serve.nginx_binary(), "-t", "-c", str(conf), "-p",
                           str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


@pytest.fixture
def served_dir():
    """A folder nginx's workers (another user when the tests run as root) can reach: pytest's
    own temporary folders are private to their owner."""
    folder = Path(tempfile.mkdtemp(prefix="portal-nginx-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_nginx_serves_the_site_and_the_version_a_rebuild_swaps_in(served_dir):
    tmp_path = served_dir
    site = tmp_path / "portal"
    first = versions.fresh(site)
    (first / "p").mkdir()
    (first / "p" / "a.html").write_text("第一版", encoding="utf-8")
    (first / "p" / ".tmp-0123-a.html").write_text("half", encoding="utf-8")
    versions.swap_in(site, first)
    port = portal_serve.free_port()
    proc = portal_serve.start_nginx(portal_serve.configure(tmp_path, port, site), port)
    try:
        assert get(port, "p/a.html") == (200, "第一版".encode())
        assert get(port, "p/.tmp-0123-a.html")[0] == 404
        assert get(port, f"../.portal.versions/{first.name}/p/a.html")[0] in (400, 404)
        second = versions.fresh(site)
        (second / "p").mkdir()
        (second / "p" / "a.html").write_text("第二版", encoding="utf-8")
        versions.swap_in(site, second)
        deadline = time.monotonic() + 10   # open_file_cache revalidates within 5 s
        while get(port, "p/a.html")[1] != "第二版".encode():
            assert time.monotonic() < deadline, "the swapped-in version is not served"
            time.sleep(0.2)
    finally:
        portal_serve.stop(proc)
