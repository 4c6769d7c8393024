"""docx → PDF through a warm LibreOffice: a unoserver (XML-RPC) either configured
(UNOSERVER_HOST, e.g. the compose container) or started here with its own LibreOffice profile
— parallel soffice runs sharing one profile silently lose output. Without LibreOffice the
renderer makes docx only and says why (`unavailable_reason`)."""
from __future__ import annotations

import http.client
import logging
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import xmlrpc.client
from importlib import metadata
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FONTS_CONF = Path(__file__).resolve().parent / "fonts" / "sanxiang-fonts.conf"
PDF_TYPE = "application/pdf"
# unoserver must run under the interpreter that can import uno: Debian's python3-uno
UNO_PYTHON = os.environ.get("SANXIANG_UNO_PYTHON", "/usr/bin/python3")


class PdfUnavailable(RuntimeError):
    """No converter: the caller gets docx only and this reason."""


class _Transport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        conn = super().make_connection(host)
        conn.timeout = self.timeout
        return conn


class UnoserverClient:
    """Talks unoserver's XML-RPC API (version 3): convert(inpath, indata, outpath, convert_to,
    filtername, filter_options, update_index, infiltername)."""

    def __init__(self, host: str, port: int, timeout: float = 120) -> None:
        self.url = f"http://{host}:{int(port)}"
        self.timeout = timeout

    def _proxy(self, timeout: float | None = None) -> xmlrpc.client.ServerProxy:
        return xmlrpc.client.ServerProxy(self.url, transport=_Transport(timeout or self.timeout),
                                         allow_none=True)

    def convert(self, docx: bytes) -> bytes:
        try:
            with self._proxy() as proxy:
                result = proxy.convert(None, xmlrpc.client.Binary(docx), None, "pdf", None, [],
                                       True, None)
        except (OSError, http.client.HTTPException, xmlrpc.client.Error) as exc:
            raise PdfUnavailable(f"the PDF converter at {self.url} failed: {exc}") from None
        if isinstance(result, xmlrpc.client.Binary):
            return result.data
        if isinstance(result, bytes | bytearray):
            return bytes(result)
        raise PdfUnavailable(f"the PDF converter at {self.url} answered "
                             f"{type(result).__name__}, not a document")

    def ready(self, timeout: float = 3) -> bool:
        try:
            with self._proxy(timeout) as proxy:
                info = proxy.info()
            return isinstance(info, dict) and info["api"] == "3"
        except (OSError, http.client.HTTPException, xmlrpc.client.Error, KeyError):
            return False


def local_unavailable_reason(soffice: str | None = None) -> str | None:
    """Why a local converter cannot start here, or None when it can."""
    if not (soffice or shutil.which("soffice")):
        return ("LibreOffice (soffice) is not installed on this host and no UNOSERVER_HOST is "
                "configured; documents are made as docx only (install libreoffice-writer-nogui "
                "and python3-uno, or point UNOSERVER_HOST at a unoserver)")
    try:
        metadata.distribution("unoserver")
    except metadata.PackageNotFoundError:
        return "the unoserver package is not installed; documents are made as docx only"
    probe = subprocess.run([UNO_PYTHON, "-c", "import uno"], capture_output=True)
    if probe.returncode != 0:
        return (f"{UNO_PYTHON} cannot import uno (Debian package python3-uno); documents are "
                "made as docx only")
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalUnoserver:
    """A unoserver + LibreOffice of our own: own profile folder, own ports, our font aliases.
    start() returns at once; wait_ready() blocks until it converts (about 12 s cold)."""

    def __init__(self, soffice: str | None = None,
                 workdir: str | os.PathLike | None = None) -> None:
        self.soffice = soffice or shutil.which("soffice")
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="sanxiang-uno-"))
        self.proc: subprocess.Popen | None = None
        self.client: UnoserverClient | None = None

    def start(self) -> LocalUnoserver:
        reason = local_unavailable_reason(self.soffice)
        if reason or self.soffice is None:
            raise PdfUnavailable(reason or "LibreOffice (soffice) is not installed on this host")
        shim = self.workdir / "pythonpath"
        shim.mkdir(parents=True, exist_ok=True)
        dist = metadata.distribution("unoserver")
        # only unoserver itself (and its metadata) onto the system interpreter's path
        for name in ("unoserver", f"{dist.metadata['Name']}-{dist.version}.dist-info"):
            target = Path(str(dist.locate_file(name)))
            link = shim / name
            if target.exists() and not link.exists():
                link.symlink_to(target)
        fc = self.workdir / "fonts.conf"
        fc.write_text('<?xml version="1.0"?>\n<fontconfig>\n'
                      '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
                      f'  <include>{FONTS_CONF}</include>\n</fontconfig>\n', "utf-8")
        port, uno_port = _free_port(), _free_port()
        env = dict(os.environ, PYTHONPATH=str(shim), FONTCONFIG_FILE=str(fc),
                   HOME=str(self.workdir))
        env.pop("PYTHONHOME", None)
        with open(self.workdir / "unoserver.log", "ab") as logfile:
            self.proc = subprocess.Popen(
                [UNO_PYTHON, "-c", "from unoserver.server import main; main()",
                 "--interface", "127.0.0.1", "--port", str(port), "--uno-port", str(uno_port),
                 "--user-installation", str(self.workdir / "profile"),
                 "--executable", self.soffice, "--conversion-timeout", "300"],
                env=env, stdout=logfile, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)  # its own group: stop() ends soffice with it
        self.client = UnoserverClient("127.0.0.1", port)
        return self

    def wait_ready(self, timeout: float = 90) -> UnoserverClient:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            client = self.client
            if self.proc is None or client is None or self.proc.poll() is not None:
                raise PdfUnavailable(f"the local unoserver exited: {self._log_tail()}")
            if client.ready():
                return client
            time.sleep(0.5)
        raise PdfUnavailable(f"the local unoserver did not answer within {timeout:g} s: "
                             f"{self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            return (self.workdir / "unoserver.log").read_text("utf-8", "replace")[-600:].strip()
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """End unoserver and LibreOffice at once (their process group), mid-conversion."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if proc is not None:
            # unoserver's exit leaves LibreOffice's launcher (oosplash) behind; it is in
            # our process group, which nothing else shares
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
