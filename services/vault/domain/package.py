"""A case's archive package, pure: what it holds (the case's entries in chain order, the chain's
verification report, its signed checkpoint, the documents and AV objects the vault holds for
the case, a 卷内目录), and its 四性检测 report (DA/T 70《文书类电子档案检测一般要求》):

- authenticity (真实性): every entry's hash recomputed and linked to the one before, the chain
  leading to the head the record keeper announced, its verification report ok, the head's
  checkpoint signed by a key the vault has pinned, every file hashing to the digest recorded;
- integrity (完整性): every item listed is present and nothing else, as many entries as the
  chain's head counts, every AV object the chain names held by the vault;
- usability (可用性): every file opens in its format (JSON parses, a docx is a zip holding
  word/document.xml, a PDF starts %PDF, an MP4 carries its ftyp box);
- security (安全性): the package stored under its lock (retention mode and date, or
  permanently), its replica present with the same digest.

The checks take plain data; reading the bag and the store is the use case's."""
from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FOREVER_YEAR: Final = 2999
STANDARD: Final = "DA/T 70-2018 文书类电子档案检测一般要求（四性检测）"
GENESIS: Final = "0" * 64
CHECKPOINT_TYPE: Final = "sanxiang.records.checkpoint.v1"
AV_MODES: Final = ("reference", "include")
ASPECTS: Final = ("authenticity", "integrity", "usability", "security")
# the bag's payload, under data/
ENTRIES: Final = "entries.jsonl"
VERIFICATION: Final = "verification.json"
CHECKPOINT: Final = "checkpoint.json"
AV_REFERENCES: Final = "av-references.json"
INDEX_JSON: Final = "卷内目录.json"
INDEX_CSV: Final = "卷内目录.csv"
INDEX_FIELDS: Final = ("序号", "题名", "责任者", "日期", "文件", "类型", "SHA-256", "备注")
# the 卷内目录 rendered as a document (the renderer's template case_file_index), beside the JSON
INDEX_TEMPLATE: Final = "case_file_index"
INDEX_RENDERED: Final = {"docx": "卷内目录.docx", "pdf": "卷内目录.pdf"}
INDEX_MISSING: Final = "rendered_index_missing"


@dataclass(frozen=True)
class Item:
    """One file of the package's payload (its path under data/), with what the 卷内目录 says
    of it."""
    path: str
    title: str
    media_type: str
    sha256: str
    size: int
    responsible: str = ""
    date: str = ""
    note: str = ""


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.code, "passed": self.passed, "detail": self.detail}


@dataclass
class Report:
    """The 四性检测 report: the checks of each aspect; passed when every check passed."""
    checks: dict[str, list[Check]] = field(default_factory=lambda: {a: [] for a in ASPECTS})

    def add(self, aspect: str, found: Sequence[Check]) -> None:
        self.checks[aspect].extend(found)

    @property
    def passed(self) -> bool:
        return all(c.passed for found in self.checks.values() for c in found)

    def to_dict(self, **about: Any) -> dict[str, Any]:
        aspects = {a: {"passed": all(c.passed for c in self.checks[a]) and bool(self.checks[a]),
                       "checks": [c.to_dict() for c in self.checks[a]]} for a in ASPECTS}
        return {**about, "standard": STANDARD,
                "passed": all(v["passed"] for v in aspects.values()), **aspects}


def failures(report: Mapping[str, Any]) -> list[str]:
    """The codes of the checks a report holds failed, as aspect.check."""
    return [f"{a}.{c['check']}" for a in ASPECTS for c in report[a]["checks"] if not c["passed"]]


# ---- what the package holds ---------------------------------------------------------------

def entries_text(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """The entries as JSON lines, in chain order."""
    ordered = sorted(entries, key=lambda e: int(e["seq"]))
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n"
                   for e in ordered).encode("utf-8")


def json_bytes(value: Any) -> bytes:
    """JSON text of `value`; a date or time as ISO 8601."""
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1,
                       default=_iso) + "\n").encode()


def _iso(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def index_rows(items: Sequence[Item]) -> list[dict[str, Any]]:
    """The 卷内目录: one row per file of the package, numbered in the order it holds them."""
    return [{"序号": n, "题名": i.title, "责任者": i.responsible, "日期": i.date,
             "文件": f"data/{i.path}", "类型": i.media_type, "SHA-256": i.sha256,
             "备注": i.note} for n, i in enumerate(items, start=1)]


def index_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(INDEX_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")   # a BOM, so that a spreadsheet reads UTF-8


def index_document(case: Mapping[str, Any], rows: Sequence[Mapping[str, Any]],
                   compiled_on: str) -> dict[str, Any]:
    """The data of the 卷内目录 document (template case_file_index) for the index's rows. An
    electronic package has files, not sheets: 页号 carries each file's number in the package
    (序号), 备注 its path in the bag; a file without a date of its own takes the day the
    package was compiled. The compiler and the checker are the vault and its 四性检测."""
    return {"case_name": str(case["title"])[:200], "case_number": str(case["case_no"]),
            "entries": [{"title": (str(r["题名"]) or str(r["文件"]))[:100],
                         "date": r["日期"] or compiled_on, "pages": str(r["序号"]),
                         "note": str(r["文件"]).removeprefix("data/")[-60:]} for r in rows],
            "compiled_by": "档案存储服务（自动立卷）", "checked_by": "四性检测（自动）",
            "compiled_date": compiled_on}


def index_notes(listed: Sequence[str], why: str | None = None) -> list[dict[str, str]]:
    """The report's note when the bag holds no rendered 卷内目录 (the JSON and CSV stand)."""
    if f"data/{INDEX_RENDERED['docx']}" in listed:
        return []
    return [{"code": INDEX_MISSING,
             "detail": why or "the bag holds no rendered 卷内目录 (docx); the JSON and CSV "
                              "index list every file"}]


def safe_name(name: str, fallback: str) -> str:
    """A file name for the bag: the object's own, without path separators or dot names."""
    cleaned = "".join("_" if ch in '/\\:*?"<>|\0' or ord(ch) < 32 else ch for ch in name)
    cleaned = cleaned.strip().lstrip(".")
    return cleaned[:120] or fallback


def bag_info(case: Mapping[str, Any], agency: str, bagging_date: str,
             package_id: str) -> dict[str, str]:
    """The bag's bag-info.txt (RFC 8493 §2.2.2 reserved elements where they apply)."""
    return {"Source-Organization": agency, "Bagging-Date": bagging_date,
            "External-Identifier": str(case["case_no"]),
            "External-Description": f"{case['title']}（{case['act_type']}）",
            "Bag-Group-Identifier": str(case["case_id"]),
            "Internal-Sender-Identifier": package_id,
            "Internal-Sender-Description": f"chain head seq {case['head_seq']} "
                                           f"{case['head_hash']}"}


# ---- authenticity -------------------------------------------------------------------------

def link_hash(prev_hash: str, body_text: str) -> str:
    """entry_hash = SHA-256(prev_hash ‖ "\\n" ‖ hashed_body), as the record keeper chains."""
    h = hashlib.sha256(prev_hash.encode("ascii"))
    h.update(b"\n")
    h.update(body_text.encode("utf-8"))
    return h.hexdigest()


def chain_checks(entries: Sequence[Mapping[str, Any]], head_seq: int,
                 head_hash: str) -> list[Check]:
    """Each entry's hash recomputed from its body and linked to the one before; the last is
    the head the record keeper announced."""
    prev, broken = GENESIS, None
    for e in sorted(entries, key=lambda e: int(e["seq"])):
        body, stated = e.get("hashed_body"), e.get("entry_hash")
        if body is None or stated is None or e.get("prev_hash") != prev \
                or link_hash(prev, body) != stated:
            broken = int(e["seq"])
            break
        prev = stated
    last = max((int(e["seq"]) for e in entries), default=0)
    return [Check("chain_recomputed", broken is None,
                  "every entry hashes to its entry_hash, linked to the one before"
                  if broken is None else f"entry {broken} does not hash or link"),
            Check("head_matches", broken is None and last == head_seq and prev == head_hash,
                  f"the chain leads to seq {last} {prev}; the head announced is seq "
                  f"{head_seq} {head_hash}")]


def verification_check(verification: Mapping[str, Any]) -> Check:
    ok = bool(verification.get("ok"))
    return Check("chain_verified_by_records", ok,
                 f"verify_case: {verification.get('entries_checked')} entries, "
                 f"{verification.get('checkpoints_checked')} checkpoints"
                 + ("" if ok else f", failure {verification.get('failure')}"))


def checkpoint_check(checkpoint: Mapping[str, Any] | None, keys: Mapping[str, Ed25519PublicKey],
                     case_id: str, head_seq: int, head_hash: str) -> Check:
    """The head's checkpoint: signed by a key the vault pinned (not the one it carries), its
    statement naming this case and this head."""
    if not checkpoint:
        return Check("checkpoint_signed", False, "no checkpoint of the head")
    key = keys.get(str(checkpoint.get("key_id")))
    if key is None:
        return Check("checkpoint_signed", False,
                     f"key {checkpoint.get('key_id')} is not a pinned checkpoint key")
    try:
        key.verify(base64.b64decode(str(checkpoint["signature"])),
                   str(checkpoint["statement"]).encode())
        said = json.loads(str(checkpoint["statement"]))
    except (InvalidSignature, ValueError, KeyError):
        return Check("checkpoint_signed", False, "the signature does not verify")
    fits = (said.get("type") == CHECKPOINT_TYPE and said.get("case_id") == case_id
            and said.get("seq") == head_seq and said.get("head_hash") == head_hash)
    return Check("checkpoint_signed", fits,
                 f"signed by {checkpoint['key_id']} at {said.get('signed_at')}" if fits
                 else f"the signed statement names seq {said.get('seq')} "
                      f"{said.get('head_hash')}, not the head")


def digest_checks(listed: Mapping[str, str], found: Mapping[str, str | None]) -> list[Check]:
    """Every file listed hashes to its digest (a missing one is integrity's)."""
    bad = sorted(p for p, d in listed.items() if found.get(p) is not None and found[p] != d)
    return [Check("files_hash_to_manifest", not bad,
                  f"{len(listed)} files hash to the manifest" if not bad
                  else f"altered: {', '.join(bad)}")]


# ---- integrity ----------------------------------------------------------------------------

def presence_checks(listed: Mapping[str, str], found: Mapping[str, str | None]) -> list[Check]:
    missing = sorted(p for p in listed if found.get(p) is None)
    extra = sorted(p for p in found if p not in listed and found[p] is not None)
    return [Check("files_present", not missing,
                  "every file listed is present" if not missing
                  else f"missing: {', '.join(missing)}"),
            Check("no_unlisted_files", not extra,
                  "nothing unlisted" if not extra else f"unlisted: {', '.join(extra)}")]


def count_checks(entries: Sequence[Mapping[str, Any]], expected: int,
                 index_rows_count: int, items_count: int) -> list[Check]:
    seqs = sorted(int(e["seq"]) for e in entries)
    contiguous = seqs == list(range(1, len(seqs) + 1))
    return [Check("entries_count", contiguous and len(seqs) == expected,
                  f"{len(seqs)} entries, seq 1..{seqs[-1] if seqs else 0}; the chain counts "
                  f"{expected}"),
            Check("index_complete", index_rows_count == items_count,
                  f"卷内目录 lists {index_rows_count} of {items_count} files")]


def av_checks(named: Sequence[Mapping[str, Any]], held: Mapping[str, bool]) -> list[Check]:
    """Every AV object the chain names (by SHA-256) is held by the vault."""
    absent = sorted({str(a["sha256"]) for a in named if not held.get(str(a["sha256"]))})
    return [Check("av_objects_held", not absent,
                  f"{len(named)} AV objects named by the chain, all held" if not absent
                  else f"not held by the vault: {', '.join(absent)}")]


# ---- usability ----------------------------------------------------------------------------

def opens(path: str, head: bytes, whole: bytes | None = None) -> Check:
    """Whether a file opens in its format, judged from its first bytes (`whole`: the entire
    file, needed for a docx or JSON)."""
    kind = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    judge = _FORMATS.get(kind)
    if judge is None:
        return Check(f"opens:{path}", True, f"no check for .{kind or '(none)'}: kept as is")
    ok, detail = judge(head, whole)
    return Check(f"opens:{path}", ok, detail)


def _json(head: bytes, whole: bytes | None) -> tuple[bool, str]:
    try:
        json.loads((whole or b"").decode("utf-8"))
    except ValueError as exc:
        return False, f"does not parse as JSON: {exc}"
    return True, "parses as JSON"


def _jsonl(head: bytes, whole: bytes | None) -> tuple[bool, str]:
    try:
        lines = [json.loads(line) for line in (whole or b"").decode("utf-8").splitlines()
                 if line.strip()]
    except ValueError as exc:
        return False, f"a line does not parse as JSON: {exc}"
    return True, f"{len(lines)} JSON lines"


def _csv(head: bytes, whole: bytes | None) -> tuple[bool, str]:
    try:
        rows = list(csv.reader(io.StringIO((whole or b"").decode("utf-8-sig"))))
    except (ValueError, csv.Error) as exc:
        return False, f"does not read as CSV: {exc}"
    return bool(rows), f"{max(len(rows) - 1, 0)} rows"


def _docx(head: bytes, whole: bytes | None) -> tuple[bool, str]:
    try:
        with zipfile.ZipFile(io.BytesIO(whole or b"")) as z:
            ok = "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False, "not a zip: no docx"
    return ok, "a zip holding word/document.xml" if ok else "a zip without word/document.xml"


def _pdf(head: bytes, whole: bytes | None) -> tuple[bool, str]:
    ok = head.startswith(b"%PDF")
    return ok, "starts %PDF" if ok else "does not start %PDF"


def _mp4(head: bytes, whole: bytes | None) -> tuple[bool, str]:
    ok = head[4:8] == b"ftyp"
    return ok, "an ISO media file (ftyp)" if ok else "no ftyp box: not an MP4"


_FORMATS: Final = {"json": _json, "jsonl": _jsonl, "csv": _csv, "docx": _docx, "pdf": _pdf,
                   "mp4": _mp4}


# ---- security -----------------------------------------------------------------------------

def lock_check(mode: str | None, until: datetime | None, required: datetime | None) -> Check:
    """Stored under a retention lock (COMPLIANCE or GOVERNANCE) lasting at least `required`
    (None: permanently — a store's far date, the year 2999, counts as permanent)."""
    forever = until is None or until.year >= FOREVER_YEAR
    long_enough = forever if required is None else forever or (until is not None
                                                                and until >= required)
    locked = mode in ("COMPLIANCE", "GOVERNANCE") and long_enough
    held = "permanently" if forever else until.isoformat() if until else ""
    return Check("stored_under_lock", locked,
                 f"{mode} until {held}" if locked
                 else f"the lock ({mode} until {held}) does not keep it as its class requires")


def replica_check(expected: str, replica: str | None, configured: bool) -> Check:
    if not configured:
        return Check("replica_present", False, "no replica is configured (异地备份)")
    ok = replica == expected
    return Check("replica_present", ok, "the replica holds the same digest" if ok
                 else "the replica is missing" if replica is None else "the replica differs")
