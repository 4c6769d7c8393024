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
                               PORTAL_LISTEN="80", PORTAL_ROOT="/usr/share/nginx/html/site",
                               PORTAL_FORM_UPSTREAM="disclosure:8000")
    assert "listen 80;" in text and "root /usr/share/nginx/html/site;" in text
    assert "try_files $uri $uri/ =404;" in text and "${" not in text
    assert "proxy_pass http://disclosure:8000/disclosure/corrections;" in text


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


def test_the_correction_form_is_the_one_path_passed_to_the_service(served_dir):
    """A POST to the form's public path reaches the disclosure service's endpoint with the
    client's address in X-Real-IP; any other write, and any other /api/ path, stops at nginx."""
    import http.server
    import threading

    seen: list[tuple[str, str | None, bytes]] = []

    class Service(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((self.path, self.headers.get("X-Real-IP"), body))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Service)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    site = served_dir / "portal"
    site.mkdir()
    (site / "index.html").write_text("公示", encoding="utf-8")
    port = portal_serve.free_port()
    proc = portal_serve.start_nginx(portal_serve.configure(
        served_dir, port, site, f"127.0.0.1:{upstream.server_address[1]}"), port)

    def post(path: str) -> int:
        req = urllib.request.Request(f"http://127.0.0.1:{port}/{path}", data=b"a=1",
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code
    try:
        assert post("api/disclosure/corrections") == 201
        assert seen == [("/disclosure/corrections", "127.0.0.1", b"a=1")]
        assert post("index.html") == 403
        assert post("api/disclosure/other") == 404
        assert get(port, "api/disclosure/corrections")[0] == 403
        assert len(seen) == 1
    finally:
        portal_serve.stop(proc)
        upstream.shutdown()
