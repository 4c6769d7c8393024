"""`sanxiang vault`: an object's retention as the vault holds it (`show`), a fixity audit run
now (`audit`) and a case archive package's 四性检测 run again (`verify-package`), against the
vault's database and stores as its environment sets them (DATABASE_URL, KEYS_DIR and the
VAULT_* settings of services.vault.storage.config). The audit's
events are staged in the vault's outbox, signed with its key; the running service publishes
them."""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path

from services.vault import models, queries, store
from services.vault.storage.config import open_stores
from services.vault.usecases.fixity import audit_agency
from services.vault.usecases.package import verify_package
from shared.calendar.clock import now
from shared.errors import SanxiangError
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import make_engine, migrate, open_db
from shared.trust.actor import Actor
from shared.trust.keys import KeyStore


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("vault", help="archive vault 档案存储: show an object, audit "
                                            "now, verify a package")
    sub = p.add_subparsers(dest="vault_command", metavar="COMMAND", required=True)
    s = sub.add_parser("show", help="an object's retention class, rule, hold and fixity")
    s.add_argument("object_id")
    s.add_argument("--json", action="store_true", help="the object as get_object answers it")
    s.set_defaults(func=_guarded(_show))
    a = sub.add_parser("audit", help="read back the agency's objects least recently audited")
    a.add_argument("--agency", required=True)
    a.add_argument("--limit", type=int, default=100)
    a.set_defaults(func=_guarded(_audit))
    v = sub.add_parser("verify-package", help="run a case archive package's 四性检测 again")
    v.add_argument("package_id")
    v.add_argument("--json", action="store_true", help="the report as verify_package answers")
    v.set_defaults(func=_guarded(_verify_package))


def _guarded(fn):
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except SanxiangError as exc:
            print(f"sanxiang vault: {exc.code}: {exc.message}", file=sys.stderr)
            return 1
    return run


def _config() -> dict:
    """The vault's settings as `sanxiang run` gives them — its database, keys, store and
    replica in the data folder (SANXIANG_DATA, else .data) — each replaced by the environment's
    DATABASE_URL, KEYS_DIR and VAULT_* where set."""
    data = Path(os.environ.get("SANXIANG_DATA") or ".data").resolve()
    config = {"DATABASE_URL": os.environ.get("VAULT_DATABASE_URL")
              or f"sqlite:///{data / 'vault'}.sqlite3",
              "KEYS_DIR": os.environ.get("SANXIANG_KEYS") or str(data / "keys"),
              "VAULT_DIR": str(data / "vault-store"),
              "VAULT_REPLICA_DIR": str(data / "vault-replica")}
    config.update({k: v for k, v in os.environ.items()
                   if k.startswith("VAULT_") or k in ("DATABASE_URL", "KEYS_DIR")})
    return config


def _db(config: dict):
    engine = make_engine(config["DATABASE_URL"])
    migrate(engine, "services.vault:migrations")
    return open_db(engine)


def _plain(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _show(args: argparse.Namespace) -> int:
    db = _db(_config())
    with db.read() as session:
        agency = store.load_object(session, args.object_id)["agency"]
    operator = Actor(id="cli", role="supervisor", agency=agency, name="sanxiang vault")
    obj = queries.get_object({"object_id": args.object_id}, actor=operator, db=db, now=now())
    if args.json:
        print(json.dumps(obj, default=_plain, ensure_ascii=False, indent=2))
        return 0
    kept = "永久 permanent" if obj["retain_until"] is None else f"until {obj['retain_until']}"
    retention = obj["retention"]
    print(f"{obj['id']}  {obj['name']}  ({obj['subject']}, {obj['size']} bytes)")
    print(f"  sha256      {obj['sha256']}")
    print(f"  class       {retention['label']} [{retention['class']}] — {kept}")
    print(f"  rule        {retention['basis']}")
    if retention.get("term"):
        print(f"  term        {retention['term']} — {retention['term_basis']}")
    print(f"  rule set    {retention['ruleset']}")
    print(f"  lock        {obj['lock_mode']}; legal hold {'on' if obj['legal_hold'] else 'off'}"
          f"; {obj['state']}")
    last = obj["last_fixity_at"]
    print(f"  fixity      {obj['last_fixity_outcome'] or 'not audited yet'}"
          + (f" at {last.isoformat()}" if last else ""))
    return 0


def _audit(args: argparse.Namespace) -> int:
    config = _config()
    db = _db(config)
    outbox = OutboxWriter(models.outbox, _contract(),
                          signer=KeyStore.from_config(config).event_signing_key("vault"))
    report = audit_agency(args.agency, args.limit, db=db, stores=open_stores(config),
                          outbox=outbox, now=now())
    print(json.dumps({"agency": args.agency, **report}, ensure_ascii=False))
    return 0 if set(report["outcomes"]) <= {"pass", "repaired"} else 1


def _verify_package(args: argparse.Namespace) -> int:
    """The package's 四性检测 again (services.vault.usecases.package.verify_package), against
    the record keeper's checkpoint keys published under KEYS_DIR; exit 1 when a check fails."""
    config = _config()
    db = _db(config)
    with db.read() as session:
        agency = store.load_package(session, args.package_id)["agency"]
    operator = Actor(id="cli", role="supervisor", agency=agency, name="sanxiang vault")
    keys = KeyStore.from_config(config).checkpoint_verification_keys("records")
    report = verify_package({"package_id": args.package_id}, actor=operator, db=db,
                            stores=open_stores(config), checkpoint_keys=keys, now=now())
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(f"{report['package_id']}  {report['case_no']}  head {report['head_seq']}  "
              f"{'通过 passed' if report['passed'] else '未通过 failed'}")
        for aspect, label in (("authenticity", "真实性"), ("integrity", "完整性"),
                              ("usability", "可用性"), ("security", "安全性")):
            print(f"  {label} {aspect:<13} {'pass' if report[aspect]['passed'] else 'FAIL'}")
            for check in report[aspect]["checks"]:
                if not check["passed"]:
                    print(f"      {check['check']}: {check['detail']}")
    return 0 if report["passed"] else 1


def _contract():
    from contracts.vault import CONTRACT
    return CONTRACT
