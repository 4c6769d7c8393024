"""What the render benchmarks share: the shipped 行政处罚决定书 with its list field grown to
N rows from the sample's first row, and the renderer started as production starts it
(`python -m nameko run` with its own config) on SQLite in a temp folder."""
from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import common
import yaml
from common import BenchError

TEMPLATE = "penalty_decision"
SERVICE = "services.renderer.service:RendererService"


def manifest() -> dict:
    from services.renderer.library import default_root
    path = default_root() / TEMPLATE / "1" / "manifest.yaml"
    if not path.is_file():
        raise BenchError(f"{path} is missing")
    return yaml.safe_load(path.read_text("utf-8"))


def grown_sample(rows: int) -> tuple[dict, str]:
    """The sample with its first list-of-objects field grown to `rows` rows (copies of the
    first row, numbered so no two are alike); returns (data, field name)."""
    m = manifest()
    data = copy.deepcopy(m["sample"])
    for name, spec in m["fields"].items():
        if spec["type"] == "list" and data.get(name):
            first = data[name][0]
            grown = []
            for i in range(rows):
                row = dict(first)
                for key, value in row.items():
                    limit = spec["items"].get("fields", {}).get(key, {}).get("max_length", 1000)
                    if isinstance(value, str) and len(value) + 6 <= limit:
                        row[key] = f"{value}（{i + 1}）"
                grown.append(row)
            data[name] = grown
            return data, name
    raise BenchError(f"{TEMPLATE}'s manifest has no list field with sample rows")


def start_renderer(workdir: Path, amqp_uri: str, *, pdf: str = "off", processes: int = 2,
                   unoserver: tuple[str, int] | None = None) -> common.Proc:
    from shared.trust.keys import init_deployment
    keys = workdir / "keys"
    # the deployment's keys, as `sanxiang keys init` makes them (none is overwritten)
    init_deployment(keys, ["renderer"], callers=["renderer"])
    config = {"AMQP_URI": amqp_uri, "max_workers": 10,
              "DATABASE_URL": f"sqlite:///{workdir / 'renderer.sqlite3'}",
              "KEYS_DIR": str(keys), "AGENCIES": common.AGENCIES, "PDF": pdf,
              "RENDER_PROCESSES": processes,
              # rendering alone is measured: no vault to store the documents in
              "DOCUMENT_VAULT": "absent",
              "LOGGING": {"version": 1, "disable_existing_loggers": False,
                          "handlers": {"console": {"class": "logging.StreamHandler"}},
                          "root": {"level": "WARNING", "handlers": ["console"]}}}
    if unoserver:
        config.update(UNOSERVER_HOST=unoserver[0], UNOSERVER_PORT=unoserver[1])
    path = workdir / "renderer.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True))
    return common.Proc([sys.executable, "-m", "nameko", "run", "--config", str(path), SERVICE],
                       workdir / "renderer.log", "renderer service")


def wait_ready(client, proc: common.Proc, timeout: float = 60) -> dict:
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.check_alive()
        try:
            reply = client.call("renderer.health", {}, timeout=1)
        except TimeoutError:
            continue
        if reply.get("error") is None:
            return reply["result"]
        raise BenchError(f"renderer.health failed: {reply['error']}")
    raise BenchError(f"renderer did not answer within {timeout:.0f}s:\n{proc.log_tail()}")


def headers(workdir: Path) -> dict:
    return common.officer_headers(workdir / "keys")


def cpu_count() -> int:
    return os.cpu_count() or 1
