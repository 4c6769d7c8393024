"""A long render must not starve eventlet's heartbeats: with a short heartbeat, a 4,000-row
register that takes seconds of CPU to render is rendered once — no broker redelivery, no
second render, one event. (Rendered on the hub instead of in a worker process, the same test
sees the broker drop the connection and the call rendered twice.)"""
from __future__ import annotations

import time
from urllib.parse import quote

from nameko.standalone.rpc import ServiceRpcProxy

from services.renderer.service import RendererService
from tests.unit.renderer.fixtures import (
    SAMPLE,
    WIDE_FIELDS,
    long_rows,
    wide_table_docx,
    write_template,
)
from tests.unit.renderer.support import AGENCIES, count, docx_of

ROWS, COLUMNS = 4000, 60
# Not shorter: nameko 2.14's consumer (kombu's ConsumerMixin) only sends heartbeats after a
# one-second lull, so a heartbeat of 1–2 s drops idle connections too.
HEARTBEAT = 3


def test_long_render_with_short_heartbeat_runs_once(container_factory, rabbit_config, tmp_path,
                                                    rabbit_api, keys_dir, token_issuer):
    db_url = f"sqlite:///{tmp_path / 'renderer.sqlite3'}"
    data = {"agency_name": SAMPLE["agency_name"], "decision_no": SAMPLE["decision_no"],
            "rows": long_rows(ROWS)}
    write_template(tmp_path / "templates", "register", docx=wide_table_docx(COLUMNS),
                   fields=WIDE_FIELDS, sample=dict(data, rows=data["rows"][:1]), title="登记表")
    config = dict(rabbit_config, DATABASE_URL=db_url, KEYS_DIR=keys_dir,
                  AGENCIES=AGENCIES, TEMPLATES_DIR=str(tmp_path / "templates"), PDF="off",
                  HEARTBEAT=HEARTBEAT)
    container_factory(RendererService, config).start()
    token = token_issuer.issue(
        actor_id="officer-1", role="officer", agency="lingchuan-emergency")
    started = time.monotonic()
    with ServiceRpcProxy("renderer", config, context_data={"actor_token": token},
                         timeout=180) as rpc:
        result = rpc.render(template_id="register", data=data)
    elapsed = time.monotonic() - started
    assert elapsed > 3 * HEARTBEAT, f"render took {elapsed:.1f} s: too short to prove anything"
    assert len(docx_of(result)) > 200_000
    time.sleep(2)  # a redelivered call would be rendering again by now
    assert count(db_url, "renders") == 1
    assert count(db_url, "outbox") == 1
    # the broker's own count of redeliveries (its statistics lag by up to ~5 s)
    path = f"queues/{quote(rabbit_config['vhost'], safe='')}/rpc-renderer"
    deadline, stats = time.monotonic() + 10, {}
    while "deliver_get" not in stats and time.monotonic() < deadline:
        stats = rabbit_api.get(path).json().get("message_stats", {})
        time.sleep(0.5)
    assert stats.get("deliver_get") == 1 and stats.get("redeliver", 0) == 0, stats
