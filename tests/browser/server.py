"""A static folder over HTTP on 127.0.0.1, as nginx serves the portal: run as its own process
(`python -m tests.browser.server FOLDER [PREFIX=URL ...]`), outside the tests' eventlet, it
prints the port it listens on and serves until stopped. Content types are those the portal's
files need, Pagefind's index files and WebAssembly included; nothing is cached, so a test that
changes a served file sees the browser fetch the new bytes. Each PREFIX=URL passes the requests
whose path starts with PREFIX (any method, headers and body) to the HTTP service at URL, as a
reverse proxy in front of the portal would — a form on the portal posting to a service's
endpoint stays on the page's origin."""
from __future__ import annotations

import functools
import sys
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".csv": "text/csv; charset=utf-8",
    ".xml": "application/atom+xml",
    ".hex": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
    ".pagefind": "application/octet-stream",
    ".pf_meta": "application/octet-stream",
    ".pf_index": "application/octet-stream",
    ".pf_fragment": "application/octet-stream",
    ".pf_filter": "application/octet-stream",
}


HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}
    proxies: dict[str, str] = {}

    def _upstream(self) -> str | None:
        for prefix, url in self.proxies.items():
            if self.path.startswith(prefix):
                return url.rstrip("/") + self.path
        return None

    def _forward(self, url: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        request = urllib.request.Request(url, data=body, headers=headers, method=self.command)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                status, answer_headers, data = answer.status, answer.headers, answer.read()
        except urllib.error.HTTPError as refused:
            status, answer_headers, data = refused.code, refused.headers, refused.read()
        self.send_response(status)
        for key, value in answer_headers.items():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _route(self, static) -> None:
        url = self._upstream()
        if url is not None:
            self._forward(url)
        else:
            static()

    def do_GET(self) -> None:
        self._route(super().do_GET)

    def do_HEAD(self) -> None:
        self._route(super().do_HEAD)

    def do_POST(self) -> None:
        port = self.headers.get("Host", "").rpartition(":")[2]
        self._route(lambda: self.send_error(
            404, f"no service behind this path on port {port}"))

    def do_PUT(self) -> None:
        self.do_POST()

    def do_DELETE(self) -> None:
        self.do_POST()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def main(folder: str, *proxies: str) -> None:
    Handler.proxies = dict(p.split("=", 1) for p in proxies)
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(Handler, directory=folder))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(*sys.argv[1:])
