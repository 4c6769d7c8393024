"""The browser level: the portal's static site served over HTTP on 127.0.0.1 and driven in a
real Chromium (Debian's /usr/bin/chromium, headless, through the Python playwright package —
its own browser download is not used), axe-core injected from tests/browser/node_modules
(./scripts/bootstrap runs `npm ci` here).

Fixtures, for any test that needs a browser on a folder of static files:
- ``chromium`` (session): the browser.
- ``serve`` (function): ``serve(folder, proxy=None) -> Served`` (``.url``, ``.folder``): the
  folder over HTTP (tests/browser/server.py in a process of its own), stopped after the test;
  ``proxy={"/prefix/": "http://127.0.0.1:PORT"}`` passes the requests under a prefix to an HTTP
  service (e.g. the disclosure service's endpoint a portal form posts to), same origin.
- ``browser_context`` (function): ``browser_context(**options) -> Watched``: a fresh context
  (e.g. ``java_script_enabled=False``) whose pages' console errors, page errors and failed
  requests are collected in ``.problems``; ``.page()`` opens a page.
- ``page`` (function): a page of a default context, its watcher at ``page.watched``.
- ``axe_violations(page)``: axe-core's WCAG 2.1 A/AA violations on the page as it stands.

Environment: SANXIANG_CHROMIUM (default /usr/bin/chromium)."""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("SANXIANG_CHROMIUM", "/usr/bin/chromium")
# headless as root: no sandbox, no GPU, nothing fetched by the browser on its own
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT_MS = 20_000


@dataclass
class Served:
    url: str          # ends with "/"
    folder: Path


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./scripts/bootstrap (Debian package chromium)")
    # not `with`: stopping the driver waits on it forever under eventlet's hub, so the driver
    # (a child process) ends with the test run instead
    driver = sync_playwright().start()
    # Playwright launches with a fresh temporary profile (--user-data-dir) of its own
    browser = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
    yield browser
    browser.close()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen] = []

    def start(folder: Path, proxy: dict[str, str] | None = None) -> Served:
        root = Path(__file__).resolve().parents[2]
        routes = [f"{prefix}={url}" for prefix, url in (proxy or {}).items()]
        proc = subprocess.Popen([sys.executable, "-m", "tests.browser.server", str(folder),
                                 *routes], cwd=root, stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        return Served(f"http://127.0.0.1:{port}/", folder)
    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=10)


@dataclass
class Watched:
    context: Any
    problems: list[str] = field(default_factory=list)

    def page(self) -> Any:
        page = self.context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        def console(message: Any) -> None:
            if message.type == "error":
                self.problems.append(f"console error on {page.url}: {message.text}")

        def response(answer: Any) -> None:
            if answer.status >= 400:
                self.problems.append(f"HTTP {answer.status}: {answer.url}")
        page.on("console", console)
        page.on("pageerror", lambda e: self.problems.append(f"page error on {page.url}: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(
            f"request failed: {r.url} ({r.failure})"))
        page.on("response", response)
        page.watched = self
        return page


@pytest.fixture
def browser_context(chromium) -> Iterator[Any]:
    made: list[Watched] = []

    def new(**options: Any) -> Watched:
        watched = Watched(chromium.new_context(locale="zh-CN", **options))
        made.append(watched)
        return watched
    yield new
    for watched in made:
        watched.context.close()


@pytest.fixture
def page(browser_context) -> Any:
    return browser_context().page()


def axe_violations(page: Any) -> list[dict]:
    """axe-core's violations of WCAG 2.0/2.1 A and AA on the page (each with its nodes)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run ./scripts/bootstrap (npm ci in tests/browser)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           WCAG)
    return [{"id": v["id"], "help": v["help"],
             "nodes": [n["html"][:200] for n in v["nodes"]]} for v in result["violations"]]
