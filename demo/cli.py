"""`sanxiang demo`: drive one realistic case through the running suite (starting it on
embedded defaults when it is not running), with a progress display, then print what happened
— chain verification, findings, the events seen — and where to look. Registered as a
`sanxiang` command through the entry points "sanxiang.commands"."""
from __future__ import annotations

import base64
import contextlib
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from demo.case import (
    ACTORS,
    AGENCY,
    REGISTER_OFFICERS,
    Step,
    decision_document,
    perform,
    remember,
    steps,
    store_footage,
    until,
)
from shared.cli import run as runner

# the demo's services: the record keeper, the archive vault (its AV records name the vault's
# objects), and the review board, the document renderer and the disclosure publisher (which
# puts the decision on the public portal) when they are installed
SUITE: list[str] = [name for name in ("records", "vault", "review", "renderer", "disclosure")
                    if name in runner.SERVICES]
# the loopback port the demo serves the portal on when it is free (else any free one)
PORTAL_PORT = 8080


def register(sub) -> None:
    p = sub.add_parser("demo", help="run the demo case against the suite (starts it if needed)")
    p.add_argument("--data", default=os.environ.get("SANXIANG_DATA", ".data"))
    p.add_argument("--keep-running", action="store_true",
                   help="leave the services it started running afterwards")
    p.set_defaults(func=main)


def _config():
    return {"AMQP_URI": os.environ.get("AMQP_URI", runner.DEFAULT_AMQP)}


def _broker_ok(uri: str) -> str | None:
    from kombu import Connection
    try:
        with Connection(uri, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
    except Exception as exc:  # any connection failure is reported the same way
        return str(exc)
    return None


def _health(timeout: float, service: str = "records") -> dict | None:
    from nameko.standalone.rpc import ClusterRpcProxy
    try:
        with ClusterRpcProxy(_config(), timeout=timeout) as rpc:
            return getattr(rpc, service).health()
    except Exception:
        return None


def _consumers(uri: str, queue: str = "rpc-records") -> int:
    """Consumers on the service's RPC queue (0 if it does not exist): a quiet readiness probe."""
    from kombu import Connection
    try:
        with Connection(uri, connect_timeout=3) as conn:
            return conn.default_channel.queue_declare(queue, passive=True).consumer_count
    except Exception:  # absent queue or broker hiccup: not ready yet
        return 0


def _wait_healthy(procs, seconds: float, service: str = "records") -> dict:
    deadline = time.monotonic() + seconds
    uri = _config()["AMQP_URI"]
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise SystemExit("demo: a service exited while starting; see the logs")
        if _consumers(uri, f"rpc-{service}") and (health := _health(5, service)):
            return health
        time.sleep(0.3)
    raise SystemExit(f"demo: {service} did not answer health within "
                     f"{seconds:.0f}s; see its log")


class EventTap:
    """A private queue bound to the services' event exchanges, to show which events the
    case produced (counted by kind, the data of the latest of each kept)."""

    def __init__(self, uri: str, services=("records", "review", "vault", "disclosure")):
        from kombu import Connection, Exchange, Queue, binding
        self.conn = Connection(uri)
        self.queue = Queue(f"demo-tap-{os.getpid()}", bindings=[
            binding(Exchange(f"{name}.events", type="topic", durable=True), routing_key="#")
            for name in services], exclusive=True, auto_delete=True)
        self.queue(self.conn.default_channel).declare()
        self.counts: dict[str, int] = {}
        self.latest: dict[str, dict] = {}

    def drain(self) -> dict[str, int]:
        """Every event seen so far, by kind."""
        bound = self.queue(self.conn.default_channel)
        while (msg := bound.get(no_ack=True)) is not None:
            kind = msg.delivery_info["routing_key"]
            self.counts[kind] = self.counts.get(kind, 0) + 1
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                self.latest[kind] = json.loads(msg.body).get("data") or {}
        return dict(self.counts)

    def wait_for(self, kind: str, seconds: float) -> dict | None:
        """The data of a `kind` event seen, waiting up to `seconds` for one."""
        deadline = time.monotonic() + seconds
        while kind not in self.latest and time.monotonic() < deadline:
            self.drain()
            time.sleep(0.2)
        return self.latest.get(kind)

    def close(self):
        self.conn.release()


def _ensure_suite(uri: str, data: Path) -> tuple[list[runner.ServiceProcess], list[str]]:
    """The processes started (none when the suite is already running) and the services that
    answer."""
    running = [name for name in SUITE if _consumers(uri, f"rpc-{name}")]
    if running:
        return [], running
    (data / "logs").mkdir(parents=True, exist_ok=True)
    peers = [name for name in SUITE if name != "vault"]
    vault = ", with the archive vault" if "vault" in SUITE else ""
    print(f"starting {', '.join(peers)} on embedded defaults{vault} (data in {data}) …",
          flush=True)
    return runner.start(SUITE, data, log_dir=data / "logs"), SUITE


def _drive(plan: list[Step], rpc: dict[str, Any], ctx: dict, *, first: int = 1,
           total: int | None = None) -> bool:
    """Perform the plan's steps in order, printing each (numbered from `first` of `total`);
    True when one went otherwise than the rules say (stopping at an unexpected refusal)."""
    from nameko.exceptions import RemoteError

    from shared.errors import SanxiangError

    failed = False
    total = total or len(plan)
    for i, step in enumerate(plan, first):
        started = time.perf_counter()
        method = getattr(getattr(rpc[step.role], step.service), step.method)
        try:
            _store_footage(rpc, step, ctx)
            result = perform(step, method, ctx)
            remember(ctx, step, result)
            note = _describe(step, result)
            mark = "✗" if step.expect_error else "✓"
            failed |= bool(step.expect_error)
        except (RemoteError, SanxiangError) as exc:
            if not step.expect_error or getattr(exc, "code", None) != step.expect_error:
                print(f"[{i:2}/{total}] ✗ {step.title}\n        {exc}")
                return True
            mark, note = "✓", f"refused as the rules require: {exc.code}"
        ms = (time.perf_counter() - started) * 1000
        print(f"[{i:2}/{total}] {mark} {_pad(step.title, 56)} {note}  ({ms:.0f} ms)")
    return failed


def _store_footage(rpc: dict[str, Any], step: Step, ctx: dict) -> None:
    """An AV record names the vault object holding its file: the step's footage is stored
    first, as the officer stores it (begin_upload, its bytes, complete_upload)."""
    from nameko.exceptions import UnknownService
    try:
        stored = store_footage(rpc["officer"].vault, step, ctx)
    except UnknownService:
        raise SystemExit("demo: the archive vault is not running: its AV records name vault "
                         "objects (start it with `sanxiang run`)") from None
    if stored is not None:
        print(f"        ↑ {stored['name']} stored in the vault: object {stored['id']}, "
              f"sha256 {stored['sha256'][:16]}…, {stored['retention']['label']}")


def main(args) -> int:
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.trust.actor import TokenIssuer
    from shared.trust.keys import KeyStore

    uri = _config()["AMQP_URI"]
    if problem := _broker_ok(uri):
        print(f"demo: RabbitMQ is not reachable at {uri}: {problem}\n"
              "      start it with ./scripts/bootstrap (or set AMQP_URI)", file=sys.stderr)
        return 1
    data = Path(args.data).resolve()
    procs, running = _ensure_suite(uri, data)
    health = {name: _wait_healthy(procs, 90, name) for name in running}
    with_review = "review" in health
    keys = Path(os.environ.get("SANXIANG_KEYS", data / "keys"))
    for name, h in health.items():
        print(f"{name} {h['version']} up · rule sets {', '.join(h['rulesets'])}")
    if not with_review:
        print("review board not deployed: the legal unit enters the review by RPC")
    signer = TokenIssuer(KeyStore(keys).token_issuer_key())
    tap = EventTap(uri)
    case_no = f"陵应急立〔2025〕{random.randint(100, 9999)}号"
    ctx = {"decision_no": case_no.replace("立", "罚"), "case_no": case_no}
    with_vault = "vault" in health
    plan = steps(case_no, with_review=with_review, archived_by_vault=with_vault)
    # the documents are rendered before the case closes, so the case file's package holds them
    before = until(plan, "case_closed")
    proxies = {role: ClusterRpcProxy(_config(), timeout=30, context_data={
        "actor_token": signer.issue(actor_id=aid, role=role, agency=AGENCY, name=aid)})
        for role, aid in ACTORS.items()}
    rpc = {role: proxy.start() for role, proxy in proxies.items()}
    failed = False
    server: runner.ServiceProcess | None = None
    try:
        _officers_on_the_register(rpc, health)
        print(f"\n案件 {case_no} — 陵川县应急管理局, fine 60,000 CNY on a company (major)\n")
        failed = _drive(before, rpc, ctx, total=len(plan))
        documents = [] if failed else _documents(rpc, ctx, data / "documents", health)
        failed = failed or _drive(plan[len(before):], rpc, ctx, first=len(before) + 1,
                                  total=len(plan))
        if not failed and with_vault:
            failed = not _package(rpc, ctx, tap)
        if not failed:
            _summary(rpc, ctx, tap, data, with_review)
            print("  documents  " + "\n             ".join(documents))
            _try(ctx, keys)
        if not failed:
            server, failed = _on_the_portal(rpc, ctx, data, health)
    finally:
        for proxy in proxies.values():
            proxy.stop()
        tap.close()
        if server is not None and not args.keep_running:
            runner.stop([server])
        if procs and not args.keep_running:
            runner.stop(procs)
    return 1 if failed else 0


def _officers_on_the_register(rpc: dict[str, Any], health: dict) -> None:
    """The agency's officers register, as its publisher keeps it (事前公开): the workbook the
    disclosure publisher exports, the case's officers added, imported back — a new revision
    only when something changed, and on the portal. Nothing where no publisher runs."""
    if "disclosure" not in health:
        return
    import base64
    import io

    from openpyxl import load_workbook

    publisher = rpc["publisher"].disclosure
    exported = publisher.export_register(agency=AGENCY, kinds=["officers"])
    book = load_workbook(io.BytesIO(base64.b64decode(exported["content_base64"])))
    sheet = book["行政执法人员清单"]
    listed = {str(row[4]) for row in sheet.iter_rows(min_row=2, values_only=True) if row[4]}
    for officer in REGISTER_OFFICERS:
        if officer[4] not in listed:
            sheet.append(officer)
    out = io.BytesIO()
    book.save(out)
    done = publisher.import_register(agency=AGENCY, kinds=["officers"], reason="other",
                                     reason_text="演示案件的执法人员",
                                     workbook_base64=base64.b64encode(out.getvalue()).decode())
    revised = ", ".join(f"{r['title']} revision {r['revision']}" for r in done["registers"]
                        if r["revised"])
    print(f"register  {revised or '行政执法人员清单 unchanged'}: "
          f"{'、'.join(o[0] for o in REGISTER_OFFICERS)} (certificates to 2028-12-31)")


def _pad(text: str, width: int) -> str:
    """Left-justify counting CJK characters as two columns, as terminals show them."""
    import unicodedata
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - cols)


def _describe(step, result) -> str:
    if step.method == "open_case":
        return f"case {result['id'][:8]}…, stage {result['stage']}"
    if step.method == "list_reviews":
        fired = ", ".join(f["code"] for f in result[0]["classification"]["fired"])
        return f"review {result[0]['id'][:8]}… ({fired})"
    if step.method == "register_staff":
        return f"{result['name']} {', '.join(result['roles'])}"
    if step.service == "review":
        review = result
        parts = [review["state"]]
        if review.get("deadline"):
            parts.append(f"due {review['deadline']['due']} ({review['deadline']['rule']})")
        if step.method == "assign_reviewer":
            parts.append(review["assignments"][-1]["name"])
        if review.get("opinion"):
            parts.append(f"opinion {review['opinion']['label']}, "
                         f"on time={review['opinion']['on_time']}")
        return ", ".join(parts)
    parts = [f"seq {result['seq']}"]
    if result.get("classification"):
        fired = ", ".join(f["code"] for f in result["classification"]["fired"])
        parts.append(f"major={result['classification']['major']} ({fired})")
    if result.get("deadline"):
        parts.append(f"due {result['deadline']['due']} ({result['deadline']['rule']})")
    return ", ".join(parts)


def _summary(rpc, ctx, tap, data, with_review: bool) -> None:
    case_id = ctx["case_id"]
    head = rpc["head"].records
    checkpoint = head.checkpoint_case(case_id=case_id)
    verdict = head.verify_case(case_id=case_id)
    found = head.case_findings(case_id=case_id)
    time.sleep(0.5)  # let the outbox relay publish the last events
    events = tap.drain()
    print(f"\nchain     {verdict['entries_checked']} entries, ok={verdict['ok']}, head "
          f"{verdict['head_hash'][:16]}…, checkpoint signed by key {checkpoint['key_id']}")
    print(f"findings  {len(found)}" + "".join(f"\n          - {f['code']}: {f['message']}"
                                                for f in found))
    if ctx.get("package_id") and "archive_late" in {f["code"] for f in found}:
        print("          (the demo case is dated 2025 and the vault archived it today, when it "
              "ran: late by\n          the 30 days of 000 第三十二条 — the rule judges the real "
              "date)")
    if "officer_unverified" in {f["code"] for f in found}:
        print("          (the disclosure publisher is not part of the demo: the officers the "
              "records name\n          could not be checked on its officers register)")
    if with_review:
        review = rpc["legal_unit"].review.get_review(review_id=ctx["review_id"])
        doc = rpc["legal_unit"].review.opinion_document(review_id=ctx["review_id"])
        print(f"review    {review['state']}, opinion {review['opinion']['label']}, due "
              f"{review['deadline']['due']}, {len(review['history'])} acts recorded; 意见书 "
              + " / ".join(c["label"] for c in doc["copies"]))
    print("events    " + ", ".join(f"{k}×{v}" for k, v in sorted(events.items())))
    _av_objects(rpc, ctx, data)
    print(f"""
where to look
  data       {data}  (records.sqlite3: cases, entries, access_log, outbox;
             review.sqlite3: reviews, review_log, staff; vault.sqlite3: objects, fixity)
  logs       {data / 'logs'}
  broker     http://127.0.0.1:15672  (guest/guest) — exchanges nameko-rpc, records.events,
             review.events; dead letters in queues dlq.<service>
  contract   contracts/records/asyncapi.yaml, contracts/review/asyncapi.yaml — every RPC
             and event, with examples""")


def _av_objects(rpc, ctx, data: Path) -> None:
    """Where the case's AV is: each vault object its records name, as the vault holds it."""
    lines = []
    for name, stored in ctx.get("footage", {}).items():
        held = rpc["officer"].vault.get_object(object_id=stored["id"])
        lines.append(f"{name}  object {held['id']} ({held['size']:,} bytes, sha256 "
                     f"{held['sha256'][:16]}…), {held['retention']['label']}, "
                     f"{held['lock_mode']}, replica {held['replica']}")
    print("AV        " + "\n          ".join(lines or ["none"]))
    print(f"          (the vault's files under {data / 'vault-store'}, its replica under "
          f"{data / 'vault-replica'})")


def _documents(rpc, ctx, folder: Path, health: dict) -> list[str]:
    """Render the case's 行政处罚决定书 and, with the review board, its 法制审核意见书 through the
    renderer, for the case, and say where they are: the vault's objects where it keeps them
    (then in the case's archive package too), else files under `folder` (the renderer then
    answers with their content)."""
    if "renderer" not in health:
        return ["renderer not deployed: no 决定书 or 意见书 rendered"]
    officer = rpc["officer"].renderer
    wanted = [("行政处罚决定书", "officer", "penalty_decision",
               lambda sample: decision_document(ctx, ctx["case_no"], sample))]
    if "review" in health:
        opinion = rpc["legal_unit"].review.opinion_document(review_id=ctx["review_id"])
        wanted.append(("法制审核意见书", "legal_unit", opinion["template_id"],
                       lambda sample: opinion["data"]))
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for title, role, template_id, data in wanted:
        latest = officer.list_templates(template_id=template_id, all_versions=False)[0]
        sample = officer.get_template(template_id=template_id, version=latest["version"])
        done = rpc[role].renderer.render(
            template_id=template_id, version=latest["version"], data=data(sample["sample"]),
            formats=["docx"], reference=ctx["case_no"], case_id=ctx["case_id"])
        out = done["outputs"][0]
        if out.get("object_ref"):
            lines.append(f"{title}  vault object {out['object_ref']}  ({out['size']:,} bytes, "
                         f"sha256 {out['sha256'][:16]}…)")
            continue
        path = folder / f"{ctx['decision_no']}-{title}.docx"
        path.write_bytes(base64.b64decode(out["content_base64"]))
        lines.append(f"{title}  {path}  ({out['size']:,} bytes, sha256 {out['sha256'][:16]}…)")
    return lines


def _package(rpc, ctx, tap: EventTap, seconds: float = 90) -> bool:
    """The vault packages the closed case on archive_due.v1 and records it archived: wait for
    its package_stored.v1, then run the package's 四性检测 again and show it."""
    stored = tap.wait_for("package_stored.v1", seconds)
    if stored is None or stored.get("case_id") != ctx["case_id"]:
        print(f"[vault] ✗ no archive package of the case within {seconds:.0f}s; see the "
              "vault's log and its dead letters (dlq.vault)")
        return False
    report = rpc["head"].vault.verify_package(package_id=stored["package_id"])
    aspects = ", ".join(
        f"{label} {sum(c['passed'] for c in report[a]['checks'])}/{len(report[a]['checks'])}"
        for a, label in (("authenticity", "真实性"), ("integrity", "完整性"),
                         ("usability", "可用性"), ("security", "安全性")))
    verdict = "passed" if report["passed"] else "FAILED"
    print(f"\npackage   BagIt {stored['package_id']} (sha256 {stored['sha256'][:16]}…), head "
          f"seq {stored['head_seq']}; 四性检测 {verdict}: {aspects}\n"
          f"          the vault recorded the case archived at seq {stored['archive_seq']}; "
          f"again: ./sanxiang vault verify-package {stored['package_id']}")
    ctx["package_id"] = stored["package_id"]
    return bool(report["passed"])


def _try(ctx, keys: Path) -> None:
    """The next step without code: the case read back as its head, with `sanxiang call`."""
    from shared.cli.keys import default_root
    where = "" if keys.resolve() == default_root().resolve() else f" --keys {keys}"
    print(f"""  try        ./sanxiang call records.get_case --as head --agency {AGENCY}{where} \\
               case_id={ctx["case_id"]}
             ./sanxiang call records.case_findings --as head --agency {AGENCY}{where} \\
               case_id={ctx["case_id"]}   (what the rules found in it)
             ./sanxiang call records.get_entries --as head --agency {AGENCY}{where} \\
               case_id={ctx["case_id"]}   (its chain, entry by entry)
             ./sanxiang call --list   (every RPC and the roles it admits)""")
    for stored in list(ctx.get("footage", {}).values())[:1]:
        call = f"./sanxiang call vault.get_object --as officer --agency {AGENCY}{where}"
        print(f"""             {call} \\
               object_id={stored["id"]}   (an AV object: retention, hold, fixity)""")


# ---- the decision on the public portal ---------------------------------------------------------

def _portal_dir(data: Path) -> Path:
    """Where the disclosure publisher writes the portal (`sanxiang run`: the data folder's)."""
    return Path(os.environ.get("DISCLOSURE_PORTAL_DIR") or data / "portal")


def _on_the_portal(rpc, ctx, data: Path, health: dict,
                   seconds: float = 60) -> tuple[runner.ServiceProcess | None, bool]:
    """The case's decision published as the publisher does it — the draft the disclosure
    publisher made of records' decision_issued.v1, its redaction hits resolved (masked), then
    reviewed and published — and its page on the portal, served over HTTP on a loopback port:
    the static server started beside the demo and whether it failed."""
    if "disclosure" not in health:
        print("\nportal    disclosure publisher not deployed: the decision is not published")
        return None, False
    portal = _portal_dir(data)
    publisher = rpc["publisher"].disclosure
    draft = _draft(publisher, ctx["decision_no"], seconds)
    if draft is None:
        print(f"\nportal    ✗ no draft of {ctx['decision_no']} within {seconds:.0f}s; see the "
              "disclosure log and its dead letters (dlq.disclosure)")
        return None, True
    pub = publisher.get_publication(publication_id=draft["id"])
    hits = [h for h in (pub.get("redaction") or {}).get("hits", []) if h["resolution"] is None]
    if hits:
        publisher.resolve_redactions(publication_id=pub["id"], resolutions=[
            {"hit": h["id"], "action": "mask", "kind": None, "reason": None} for h in hits])
    done = publisher.review_publication(publication_id=pub["id"], outcome="publish")
    page = portal / "p" / f"{pub['id']}.html"
    deadline = time.monotonic() + seconds
    while not (page.exists() and ctx["decision_no"] in page.read_text("utf-8")):
        if time.monotonic() > deadline:
            print(f"\nportal    ✗ {page} not written within {seconds:.0f}s; see the disclosure "
                  "log")
            return None, True
        time.sleep(0.3)
    server, port = _serve(portal)
    url = f"http://127.0.0.1:{port}/p/{pub['id']}.html"
    status, body = _get(url)
    ok = status == 200 and ctx["decision_no"] in body
    print(f"\nportal    {'✓' if ok else '✗'} {ctx['decision_no']} {done['state']} after review by "
          f"the publisher ({len(hits)} redaction hit(s) masked), leaf "
          f"{done['history'][-1].get('leaf_index')} of the agency's signed log\n"
          f"          {url}  (HTTP {status}{', the decision number on the page' if ok else ''})"
          f"\n          the portal's files in {portal}; the site's lists at "
          f"http://127.0.0.1:{port}/list/")
    return server, not ok


def _draft(publisher, decision_no: str, seconds: float) -> dict | None:
    deadline = time.monotonic() + seconds
    while True:
        page = publisher.list_publications(agency=AGENCY, state="draft", cursor=None, limit=50)
        found = [i for i in page["items"] if i["decision_no"] == decision_no]
        if found or time.monotonic() > deadline:
            return found[0] if found else None
        time.sleep(0.3)


def _serve(portal: Path) -> tuple[runner.ServiceProcess, int]:
    """A static HTTP server of the portal folder on a loopback port (PORTAL_PORT when free),
    a process beside the demo (kept with --keep-running, as the services are)."""
    import socket
    port = PORTAL_PORT
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
    proc = runner.ServiceProcess(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory",
         str(portal)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            break
        time.sleep(0.1)
    return proc, port


def _get(url: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""
