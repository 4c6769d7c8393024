"""The main job end to end: `sanxiang run` starts the suite as separate processes with the
shipped config files (here on PostgreSQL, in a vhost of its own), and `sanxiang demo` drives
the demo case through it exactly as a user would."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.brokers import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def vhost(rabbit_api):
    name = f"sanxiang-e2e-{uuid.uuid4().hex[:8]}"
    rabbit_api.put(f"vhosts/{quote(name, safe='')}").raise_for_status()
    rabbit_api.put(f"permissions/{quote(name, safe='')}/guest",
                   json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    yield name
    rabbit_api.delete(f"vhosts/{quote(name, safe='')}")


def wait_for_consumer(rabbit_api, vhost, queue="rpc-records", seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if rabbit_api.queues(vhost).get(queue, {}).get("consumers", 0):
            return
        time.sleep(0.3)
    pytest.fail(f"no consumer on {queue} after {seconds}s")


def assert_documents_in_the_vault(out: str) -> None:
    """The demo rendered the case's 决定书 and 意见书 before closing it; the renderer stored them
    in the vault, and the vault's package of the case passed its 四性检测."""
    for title in ("行政处罚决定书", "法制审核意见书"):
        assert re.search(rf"{title}  vault object [0-9a-f-]{{36}}  \(", out), out
    assert_packaged(out)


def assert_packaged(out: str) -> None:
    """The vault packaged the closed case (BagIt, 四性检测 passed) and recorded it archived; the
    findings are its lateness against the demo's 2025 dates and, where the disclosure publisher
    does not run, its officers unverified on the officers register — where it runs, the demo
    puts them on the register first, and they are found qualified."""
    assert re.search(r"package   BagIt [0-9a-f-]{36} .* 四性检测 passed: 真实性 \d+/\d+", out), out
    assert "the vault recorded the case archived at seq" in out
    assert "package_stored.v1×1" in out
    found = re.search(r"findings  (\d+)((?:\n          - .*)*)", out)
    assert found and "- archive_late:" in found.group(2), out
    if "register  " in out:   # the publisher ran: the officers were put on its register
        assert found.group(1) == "1", out
        assert "行政执法人员清单 revision" in out or "行政执法人员清单 unchanged" in out, out
    else:
        assert found.group(1) == "2" and "- officer_unverified:" in found.group(2), out


def assert_on_the_portal(out: str, portal: Path) -> None:
    """The demo ends with the case's decision published on the portal: the publisher reviewed
    it, the disclosure publisher wrote its page, and the demo served the portal folder and
    fetched the page's address (HTTP 200, the decision number on it) — the last thing it says."""
    found = re.search(r"\nportal    ✓ (陵应急罚〔2025〕\d+号) published after review by the "
                      r"publisher .*\n +(http://127\.0\.0\.1:\d+/p/([0-9a-f-]{36})\.html)  "
                      r"\(HTTP 200, the decision number on the page\)", out)
    assert found, out
    assert out.rstrip().splitlines()[-2].strip().startswith(found.group(2)), out
    page = (portal / "p" / f"{found.group(3)}.html").read_text("utf-8")
    assert found.group(1) in page
    listed = json.loads((portal / "list" / "page" / "1.json").read_text("utf-8"))
    assert [i["id"] for i in listed["items"]] == [found.group(3)]


def assert_call_reads_the_case(out: str, env: dict) -> None:
    found = re.search(r"\./sanxiang call (records\.get_case .*?) \\\n\s+(case_id=\S+)", out)
    assert found, out
    argv = [str(ROOT / "sanxiang"), "call", *found.group(1).split(), found.group(2)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    case = json.loads(done.stdout)
    assert case["id"] == found.group(2).split("=", 1)[1] and case["archived_at"]
    refused = subprocess.run(argv[:-1] + ["case_id=not-a-case"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("sanxiang call: not_found: no case with id 'not-a-case'")
    # its findings and its chain, by the lines printed after it
    for method, check in (("case_findings", lambda answer: isinstance(answer, list)),
                          ("get_entries", lambda answer: len(answer) >= 20)):
        line = re.search(rf"\./sanxiang call (records\.{method} .*?) \\\n\s+(case_id=\S+)", out)
        assert line, out
        argv = [str(ROOT / "sanxiang"), "call", *line.group(1).split(), line.group(2)]
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0 and check(json.loads(done.stdout)), done.stderr


# the vault runs beside the record keeper in both: the case's AV records name its objects
@pytest.mark.parametrize("services", ["records,review,renderer,vault", "records,vault"])
def test_demo_runs_against_the_running_suite(services, vhost, make_pg_database, tmp_path,
                                             rabbit_api):
    port = free_port()
    env = dict(os.environ, AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}",
               RECORDS_DATABASE_URL=make_pg_database(), REVIEW_DATABASE_URL=make_pg_database(),
               RENDERER_DATABASE_URL=make_pg_database(), SANXIANG_DATA=str(tmp_path),
               SANXIANG_PDF="off", VAULT_DATABASE_URL=make_pg_database(),
               VAULT_HTTP_ADDRESS=f"127.0.0.1:{port}", VAULT_UPLOAD_URL=f"http://127.0.0.1:{port}")
    sanxiang = [sys.executable, "-m", "shared.cli"]
    suite = subprocess.Popen(sanxiang + ["run", "--services", services], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for name in services.split(","):
            wait_for_consumer(rabbit_api, vhost, f"rpc-{name}")
        demo = subprocess.run(sanxiang + ["demo"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=180)
        assert demo.returncode == 0, demo.stdout + demo.stderr
        out = demo.stdout
        assert "✗" not in out and "ok=True" in out
        assert "decision_issued.v1×1" in out and "archive_due.v1×1" in out
        assert "starting records" not in out  # it used the suite that was already running
        if services == "records,vault":
            # alone, the record keeper names the missing review board; the legal unit
            # enters the review by RPC
            assert "[20/20] ✓" in out
            assert "refused as the rules require: service_not_deployed" in out
            assert "review board not deployed" in out
            assert "documents  renderer not deployed" in out
            assert_packaged(out)
        else:
            # the review board takes the request from decision_proposed; its opinion
            # reaches the chain through opinion_issued
            assert "[26/26] ✓" in out
            assert "refused as the rules require: legal_review_required" in out
            assert "refused as the rules require: recusal_required" in out
            assert "review    opinion_issued, opinion 同意, due 2025-10-29" in out
            assert "review_requested.v1×1" in out and "opinion_issued.v1×1" in out
            assert_documents_in_the_vault(out)
        # the next step without code: the line the demo prints reads the case back
        assert_call_reads_the_case(out, env)
    finally:
        suite.terminate()
        try:
            output, _ = suite.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            suite.kill()
            output, _ = suite.communicate()
    assert suite.returncode == 0, output


def test_demo_starts_the_suite_itself_when_none_runs(vhost, tmp_path, rabbit_api):
    port = free_port()
    env = dict(os.environ, AMQP_URI=f"pyamqp://guest:guest@127.0.0.1:5672/{quote(vhost, safe='')}",
               VAULT_HTTP_ADDRESS=f"127.0.0.1:{port}", VAULT_UPLOAD_URL=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    demo = subprocess.run([sys.executable, "-m", "shared.cli", "demo", "--data", str(tmp_path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "starting records, review, renderer, disclosure on embedded defaults" in demo.stdout
    assert "[26/26] ✓" in demo.stdout
    assert_on_the_portal(demo.stdout, tmp_path / "portal")
    assert (tmp_path / "records.sqlite3").exists() and (tmp_path / "review.sqlite3").exists()
    assert_documents_in_the_vault(demo.stdout)
    keys = tmp_path / "keys"
    assert (keys / "private" / "issuer" / "token.ed25519.pem").exists()
    assert len(list((keys / "public" / "token").glob("*.pem"))) == 1
    assert (keys / "private" / "records" / "checkpoint.ed25519.pem").exists()
    assert time.monotonic() - started < 120
    # each service ran as its own broker user with least rights, removed when it stopped
    seen = set()
    for name in ("records", "review"):
        log = (tmp_path / "logs" / f"{name}.log").read_text("utf-8")
        found = re.search(rf"Connected to amqp://(sanxiang-[0-9a-f]{{8}}-{name}):", log)
        assert found, log[-2000:]
        seen.add(found.group(1))
        assert (tmp_path / "broker" / f"{name}.password").stat().st_mode & 0o077 == 0
    assert not seen & {u["name"] for u in rabbit_api.get("users").json()}
