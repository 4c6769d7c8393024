"""docx → PDF through a warm converter: the shipped 行政处罚决定书 with a 50-row list, rendered
once, then converted N times in a row by a unoserver (LibreOffice with its own profile, the
renderer's font aliases) that has already converted twice. Seconds per document, and the cold
start for context.

Target: ≤ 0.3 s per document (warm).

    .venv/bin/python bench/render_pdf.py [--quick] [--rows 50] [--docs 20]"""
from __future__ import annotations

import time

import common
from common import BenchError, row
from render_common import TEMPLATE, grown_sample

TARGET = 0.3
NAME = "render_pdf"


def _pages(pdf: bytes) -> str:
    import subprocess
    import tempfile
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(pdf)
        fh.flush()
        try:
            out = subprocess.run(["pdfinfo", fh.name], capture_output=True, text=True).stdout
        except OSError:
            return "?"
    return next((line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")), "?")


def run(args):
    import yaml

    from services.renderer import fields
    from services.renderer.domain import Stamp, data_sha256
    from services.renderer.library import default_root
    from services.renderer.pdf import LocalUnoserver, PdfUnavailable
    from services.renderer.rendering import render_docx
    docs = 5 if args.quick else args.docs
    data, field = grown_sample(args.rows)
    folder = default_root() / TEMPLATE / "1"
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text("utf-8"))
    data = fields.validate(manifest["fields"], data)
    docx = render_docx((folder / "template.docx").read_bytes(), data,
                       Stamp(TEMPLATE, 1, "0" * 64, data_sha256(data), manifest["title"]))
    t0 = time.perf_counter()
    server = LocalUnoserver().start()
    try:
        client = server.wait_ready()
        cold = time.perf_counter() - t0
        for _ in range(2):  # warm-up
            pdf = client.convert(docx)
        pages = _pages(pdf)
        times = []
        for _ in range(docs):
            t = time.perf_counter()
            client.convert(docx)
            times.append(time.perf_counter() - t)
    except PdfUnavailable as exc:
        raise BenchError(str(exc)) from None
    finally:
        server.stop()
    times.sort()
    mean = sum(times) / len(times)
    notes = [f"{TEMPLATE} with {args.rows} rows in `{field}`: {len(docx) // 1024} KiB docx, "
             f"{len(pdf) // 1024} KiB PDF, {pages} page(s); {docs} conversions after 2 warm-up"]
    rows = [row(NAME, "warm s/doc (mean)", f"{mean:.3f}", f"≤ {TARGET}", mean <= TARGET),
            row(NAME, "warm s/doc (p50)", f"{common.percentile(times, 50):.3f}"),
            row(NAME, "warm s/doc (max)", f"{times[-1]:.3f}"),
            row(NAME, "cold start to first answer, s", f"{cold:.1f}")]
    return rows, notes


if __name__ == "__main__":
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=50)
    p.add_argument("--docs", type=int, default=20)
    raise SystemExit(common.main(run, p))
