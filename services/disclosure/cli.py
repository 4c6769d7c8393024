"""`sanxiang disclosure verify`: what a reader can check of a publication from what the
disclosure service answers over RPC (get_publication, tree_head, inclusion_proof,
consistency_proof) — the tree head's signature under the service's published verification key
(public/checkpoint/disclosure/ of the key root), each public act of the publication included in
the agency's signed tree head (RFC 9162, shared.trust.merkle), and, with `--known FILE`, that
the log only grew since the head the reader last kept there (the file is updated when it did).

`sanxiang disclosure export-credit --from --to --template --format`: the 双公示 file
(export_credit) written to a file, its sha256 checked against the service's answer.

`sanxiang disclosure portal rebuild [--agency A]`: the static portal written anew from the
service's database (usecases.portal.rebuild) into a fresh folder swapped in at once — the way
back from a lost or damaged portal folder; safe beside running instances (their writer lock).

Exit codes: 0 verified (written, rebuilt); 1 verification failed; 2 usage, or the service
unreachable or refusing."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.disclosure.domain.log import TREE_HEAD_TYPE, statement_holds
from shared.errors import SanxiangError, ValidationFailed
from shared.trust import merkle

Call = Callable[[str, dict], dict]
CONFIG = Path(__file__).resolve().parents[2] / "compose" / "disclosure" / "config.yml"
OK, FAILED, USAGE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    from shared.cli.caller import actor_options
    p = subparsers.add_parser("disclosure", help="行政执法公示 disclosure: verify a publication "
                                                 "against the agency's signed log")
    sub = p.add_subparsers(dest="disclosure_command", metavar="COMMAND", required=True)
    v = sub.add_parser("verify", parents=[actor_options()],
                       help="a publication's public acts in the agency's signed tree head, and "
                            "the log consistent with the head last seen")
    v.add_argument("publication_id")
    v.add_argument("--known", type=Path, metavar="FILE",
                   help="the tree heads last seen, by agency (JSON); checked for consistency "
                        "and updated when consistent (made when absent)")
    v.add_argument("--json", action="store_true", help="the report as JSON")
    v.set_defaults(func=_verify_command)
    e = sub.add_parser("export-credit", parents=[actor_options()],
                       help="the 双公示 file of the agency's public penalties for the "
                            "provincial credit platform (export_credit), of the agency "
                            "--agency (else the token's)")
    e.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD",
                   help="the first decision date exported")
    e.add_argument("--to", dest="end", required=True, metavar="YYYY-MM-DD",
                   help="the last decision date exported")
    e.add_argument("--template", required=True, choices=("legal_person", "natural_person"))
    e.add_argument("--format", default="xlsx", choices=("csv", "xlsx"))
    e.add_argument("--output", type=Path, metavar="FILE",
                   help="where the file is written (default: the name the service gives it)")
    e.set_defaults(func=_export_credit_command)
    portal = sub.add_parser("portal", help="the static public portal")
    psub = portal.add_subparsers(dest="portal_command", metavar="COMMAND", required=True)
    r = psub.add_parser("rebuild", help="write the whole portal anew from the database into a "
                                        "fresh folder and swap it in at once")
    r.add_argument("--agency", help="index again only this agency's search shard (the whole "
                                    "site is written; the other shards are taken over when "
                                    "unchanged)")
    r.add_argument("--config", type=Path, default=CONFIG, metavar="FILE",
                   help="the service's nameko config (DATABASE_URL, DISCLOSURE_PORTAL_DIR, "
                        "KEYS_DIR, RULESETS_DIR, AGENCIES; ${VAR:default} from the "
                        "environment; default compose/disclosure/config.yml)")
    r.set_defaults(func=_rebuild_command)


# ---- the checks, on whatever answers the calls --------------------------------------------

class Report:
    def __init__(self) -> None:
        self.checks: list[dict[str, Any]] = []
        self.head: dict[str, Any] | None = None

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append({"check": name, "ok": ok, "detail": detail})
        return ok

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c["ok"] for c in self.checks)


def signed_head(head: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey],
                report: Report) -> dict[str, Any] | None:
    """The tree head as its signed statement says it (the unsigned fields must agree), or None
    when the signature or the statement does not hold."""
    if not report.check("signature", statement_holds(
            str(head.get("statement", "")), str(head.get("signature", "")),
            str(head.get("key_id", "")), keys),
            f"tree head signed by key {head.get('key_id')}"):
        return None
    stated = json.loads(head["statement"])
    agrees = stated.get("type") == TREE_HEAD_TYPE and all(
        stated.get(k) == head.get(k) for k in ("agency", "size", "root"))
    if not report.check("statement", agrees, "the head's fields are those it signed"):
        return None
    return {k: stated[k] for k in ("agency", "size", "root", "signed_at")} | {
        "key_id": head["key_id"], "signature": head["signature"],
        "statement": head["statement"]}


def _hashes(proof: Any) -> list[bytes] | None:
    """A proof's hex hashes, or None when the answer is not a list of them."""
    try:
        return [bytes.fromhex(h) for h in proof]
    except (TypeError, ValueError):
        return None


def _leaf_is_the_act(leaf: str, pub: Mapping[str, Any], act: Mapping[str, Any]) -> bool:
    try:
        said = json.loads(leaf)
    except ValueError:
        return False
    return isinstance(said, dict) and (said.get("publication_id"), said.get("seq"),
                                       said.get("action")) == (pub["id"], act["seq"],
                                                               act["action"])


def included(call: Call, pub: Mapping[str, Any], head: Mapping[str, Any],
             report: Report) -> None:
    """Each public act of the publication the head covers: its leaf is that act and sits in
    the head's tree."""
    acts = [h for h in pub["history"] if h.get("leaf_index") is not None]
    covered = [h for h in acts if h["leaf_index"] < head["size"]]
    if not report.check("public", bool(covered), f"{len(covered)} of {len(acts)} public act(s) "
                                                 f"within the head of {head['size']} leaves"):
        return
    root = bytes.fromhex(head["root"])
    for act in covered:
        answer = call("inclusion_proof", {"agency": head["agency"],
                                          "leaf_index": act["leaf_index"], "size": head["size"]})
        leaf, proof = str(answer["leaf"]), _hashes(answer["proof"])
        holds = (proof is not None and _leaf_is_the_act(leaf, pub, act)
                 and merkle.verify_inclusion(merkle.leaf_hash(leaf.encode()),
                                             act["leaf_index"], head["size"], proof, root))
        report.check("inclusion", holds,
                     f"{act['action']} (seq {act['seq']}) at leaf {act['leaf_index']}")


def consistent(call: Call, earlier: Mapping[str, Any], head: Mapping[str, Any],
               keys: Mapping[str, Ed25519PublicKey], report: Report) -> bool:
    """The head kept before (its signature checked again) extended by the current one."""
    kept = signed_head(earlier, keys, Report())
    if not report.check("known", kept is not None, f"the kept head of {earlier.get('size')} "
                                                   "leaves is signed"):
        return False
    assert kept is not None
    first, second = int(kept["size"]), int(head["size"])
    if first > second:
        return report.check("consistency", False,
                            f"the log shrank from {first} to {second} leaves")
    if first == second:
        return report.check("consistency", kept["root"] == head["root"],
                            f"same size {first}, same root")
    answer = call("consistency_proof", {"agency": head["agency"], "first": first,
                                        "second": second})
    proof = _hashes(answer["proof"])
    return report.check("consistency", proof is not None and merkle.verify_consistency(
        first, second, bytes.fromhex(kept["root"]), bytes.fromhex(head["root"]), proof),
        f"from {first} to {second} leaves")


def verify(call: Call, publication_id: str, keys: Mapping[str, Ed25519PublicKey],
           known: dict[str, Any] | None) -> Report:
    """Every check, on the answers of `call(method, payload)`; `known` (agency → the head last
    seen) gains the current head when the log is consistent with it."""
    report = Report()
    pub = call("get_publication", {"publication_id": publication_id})
    head = signed_head(call("tree_head", {"agency": pub["agency"]}), keys, report)
    if head is None or not report.check("agency", head["agency"] == pub["agency"],
                                        f"the head is of {pub['agency']}'s log"):
        return report
    report.head = head
    included(call, pub, head, report)
    if known is not None:
        earlier = known.get(head["agency"])
        if earlier is None:
            report.check("known", True, "no head kept before: this one is kept")
            known[head["agency"]] = head
        elif consistent(call, earlier, head, keys, report):
            known[head["agency"]] = head
    return report


# ---- the command -----------------------------------------------------------------------------

def _read_known(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    if not path.exists():
        return {}
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationFailed.from_messages({"--known": [f"not a JSON file of tree heads: "
                                                          f"{exc}"]}, what="arguments") from None
    if not isinstance(known, dict):
        raise ValidationFailed.from_messages({"--known": ["not a JSON object of tree heads "
                                                          "by agency"]}, what="arguments")
    return known


def _keys(args: argparse.Namespace) -> dict[str, Ed25519PublicKey]:
    from shared.cli.keys import default_root
    from shared.trust.keys import KeyStore
    keys = KeyStore(args.keys or default_root()).checkpoint_verification_keys("disclosure")
    if not keys:
        raise ValidationFailed.from_messages(
            {"--keys": ["no published verification key of the disclosure service under "
                        "public/checkpoint/disclosure/"]}, what="arguments")
    return keys


def _print(report: Report, publication_id: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"publication_id": publication_id, "ok": report.ok,
                          "head": report.head, "checks": report.checks},
                         ensure_ascii=False, indent=2))
        return
    for c in report.checks:
        print(f"{'ok  ' if c['ok'] else 'FAIL'}  {c['check']:<12} {c['detail']}")
    print(f"{publication_id}: " + ("verified" if report.ok else "VERIFICATION FAILED"))


def run_verify(args: argparse.Namespace, call: Call) -> int:
    """The verification with `call` answering the RPCs; the known heads written back only
    when every check held."""
    known = _read_known(args.known)
    report = verify(call, args.publication_id, _keys(args), known)
    if report.ok and args.known is not None and known is not None:
        args.known.write_text(json.dumps(known, ensure_ascii=False, indent=2, sort_keys=True),
                              encoding="utf-8")
    _print(report, args.publication_id, args.json)
    return OK if report.ok else FAILED


def _verify_command(args: argparse.Namespace) -> int:
    return _calling(args, lambda token, call: run_verify(args, call))


def _calling(args: argparse.Namespace, run: Callable[[str, Call], int]) -> int:
    """`run(token, call)` with `call` answering the disclosure service's RPCs under the
    caller's token; a refusal, or no broker or service there, is exit 2 with what happened."""
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

    from shared.cli.caller import caller_token, rpc
    try:
        token = caller_token(args)
        return run(token, lambda method, payload: rpc(
            args, token, "disclosure", method)(payload))
    except SanxiangError as exc:
        print(f"sanxiang disclosure: {exc.code}: {exc.message}", file=sys.stderr)
        return USAGE
    except RemoteError as exc:   # the service refused a call
        print(f"sanxiang disclosure: {exc.exc_type}: {exc.value}", file=sys.stderr)
        return USAGE
    # no broker there, or no disclosure service behind it
    except (OSError, TimeoutError, RpcTimeout, UnknownService) as exc:
        print(f"sanxiang disclosure: the service at {args.amqp} does not answer: {exc!r}",
              file=sys.stderr)
        return USAGE


def run_export_credit(args: argparse.Namespace, agency: str, call: Call) -> int:
    """The file export_credit answers for `agency`, written where asked once its digest
    holds."""
    import base64
    import hashlib
    answer = call("export_credit", {"agency": agency, "from": args.start, "to": args.end,
                                    "template": args.template, "format": args.format})
    blob = base64.b64decode(answer["content_base64"])
    if hashlib.sha256(blob).hexdigest() != answer["sha256"]:
        print("sanxiang disclosure: the file received does not match its sha256",
              file=sys.stderr)
        return FAILED
    target = args.output or Path(answer["filename"])
    target.write_bytes(blob)
    print(f"{target}: {answer['rows']} row(s), {answer['size']} bytes, sha256 {answer['sha256']}")
    return OK


def _export_credit_command(args: argparse.Namespace) -> int:
    from shared.cli.caller import agency_of
    return _calling(args, lambda token, call: run_export_credit(args, agency_of(args, token),
                                                                call))


# ---- the portal rebuilt from the database ------------------------------------------------------

def service_config(path: Path) -> dict[str, Any]:
    """A nameko config file read as `nameko run --config` reads it (${VAR:default} expanded)."""
    import yaml
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with path.open(encoding="utf-8") as f:
        return dict(yaml.safe_load(f))


def _rebuild_command(args: argparse.Namespace) -> int:
    from services.disclosure.domain.log import LogKeys
    from services.disclosure.service import PORTAL_DIR
    from services.disclosure.usecases import portal
    from shared.persistence.db import make_engine, open_db
    from shared.rulesets.provider import Rules
    from shared.trust.keys import KeyStore

    try:
        config = service_config(args.config)
        rules = Rules.from_config(config)
        if args.agency is not None:
            rules.agency(args.agency)
        keys = KeyStore.from_config(config)
        own = LogKeys.of(keys.checkpoint_key("disclosure").key,
                         keys.checkpoint_verification_keys("disclosure"))
        engine = make_engine(config["DATABASE_URL"], pool_size=1, max_overflow=1)
    except (SanxiangError, OSError, KeyError) as exc:
        print(f"sanxiang disclosure portal rebuild: {exc}", file=sys.stderr)
        return USAGE
    directory = config.get("DISCLOSURE_PORTAL_DIR") or PORTAL_DIR
    try:
        done = portal.rebuild(db=open_db(engine), rules=rules, directory=directory,
                              log_keys=own.verifying,
                              records_keys=keys.checkpoint_verification_keys("records"),
                              agency=args.agency)
    finally:
        engine.dispose()
    print(f"portal rebuilt in {directory}: {done['publications']} publications, "
          f"{done['files']} files, search shards indexed: {', '.join(done['indexed']) or '-'}")
    return OK
