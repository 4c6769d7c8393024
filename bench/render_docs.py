"""renderer.render of the shipped 行政处罚决定书 with a 50-row list (rows grown from the
sample's first row), docx only: documents/s through the service (RPC, validation, worker
process, stamp, deterministic zip, base64 reply, render record and event) against bare docxtpl
(DocxTemplate → render with autoescape and the templates' filters → save to memory) on the
same template and data in this process. The bare loop runs before and after the service; its
mean is the baseline. One caller (sequential, like for like) and, for context, two callers (the
service's two worker processes).

Target: ≥ 0.8× bare docxtpl (one caller).

    .venv/bin/python bench/render_docs.py [--quick] [--rows 50] [--seconds 8]"""
from __future__ import annotations

import io
import time

import common
from common import row
from loadgen import RpcClient, noise_warning
from render_common import TEMPLATE, grown_sample, headers, start_renderer, wait_ready

TARGET_RATIO = 0.8
NAME = "render_docs"


def bare_rate(template: bytes, data: dict, seconds: float) -> float:
    from docxtpl import DocxTemplate

    from services.renderer.rendering import jinja_env
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        tpl = DocxTemplate(io.BytesIO(template))
        tpl.render(data, jinja_env=jinja_env(), autoescape=True)  # the templates' filters
        tpl.save(io.BytesIO())
        n += 1
    return n / (time.perf_counter() - t0)


def run(args):
    from services.renderer.library import default_root
    seconds = 3 if args.quick else args.seconds
    data, field = grown_sample(args.rows)
    template = (default_root() / TEMPLATE / "1" / "template.docx").read_bytes()
    results, notes = [], []
    with common.rabbit_vhost("render") as amqp, common.workdir("render") as wd:
        bare_before = bare_rate(template, data, seconds)
        proc = start_renderer(wd, amqp, processes=2)
        client = RpcClient(amqp)
        try:
            wait_ready(client, proc)
            hdrs = headers(wd)
            make = lambda caller, n: ({"template_id": TEMPLATE, "data": data}, hdrs)
            one = client.closed_loop("renderer.render", make, callers=1, warmup=1,
                                     duration=seconds, server_pid=proc.pid)
            two = client.closed_loop("renderer.render", make, callers=2, warmup=1,
                                     duration=seconds, server_pid=proc.pid)
            results += [one, two]
        finally:
            client.conn.release()
            proc.stop()
        bare_after = bare_rate(template, data, seconds)
    bare = (bare_before + bare_after) / 2
    ratio = one["rate"] / bare
    notes.append(f"{TEMPLATE} with {args.rows} rows in `{field}`; bare docxtpl "
                 f"{bare_before:.1f} → {bare_after:.1f} docs/s (before → after the service)")
    notes += noise_warning(results)
    p50 = common.percentile(one["latencies"], 50) * 1000
    rows = [row(NAME, "bare docxtpl docs/s (mean)", f"{bare:.1f}"),
            row(NAME, "service docs/s, 1 caller", f"{one['rate']:.1f}"),
            row(NAME, "service / bare, 1 caller", f"{ratio:.2f}×", f"≥ {TARGET_RATIO}×",
                ratio >= TARGET_RATIO),
            row(NAME, "service p50 ms, 1 caller", f"{p50:.0f}"),
            row(NAME, "service docs/s, 2 callers", f"{two['rate']:.1f}"),
            row(NAME, "service / bare, 2 callers", f"{two['rate'] / bare:.2f}×")]
    return rows, notes


if __name__ == "__main__":
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=50)
    p.add_argument("--seconds", type=float, default=8)
    raise SystemExit(common.main(run, p))
