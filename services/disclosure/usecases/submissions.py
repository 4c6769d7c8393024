"""A request to correct a publication sent by anyone through the portal's form (000 第十九条, 002
第十八条, 004 第二十一条) — the one public write path (services.disclosure.http reads the form
within its size limits): the client's and the agency's rate limits counted in the database
(domain.limits), the form's fields checked as file_correction's, every attachment scanned
(domain.attachments) before anything is kept, the clean ones stored write-once in the vault
by this service as itself (vault.store_attachment), then the request filed through the same
step as file_correction (usecases.corrections.file_in, channel `portal`) and acknowledged with
its number. A vault that does not answer is a refusal naming it: nothing is filed.

Every submission that reaches the form counts against its client's window, refused or not; a
refusal is recorded in the disclosure log (who: the portal's public actor; what: the
publication, the client's hash, the rule) without the requester's words or files."""
from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from marshmallow import ValidationError

from contracts.disclosure import messages as m
from services.disclosure import store
from services.disclosure.domain import attachments as scanner
from services.disclosure.domain import limits
from services.disclosure.usecases.corrections import file_in
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.persistence.db import Db
from shared.trust.actor import Actor

METHOD = "submit_correction"
# the form's fields → where file_correction's request holds them
FIELDS = {"publication_id": "publication_id", "requester.kind": "requester_kind",
          "requester.name": "requester_name", "requester.contact": "requester_contact",
          "problem": "problem"}
MAX_PROBLEM = 1000
MAX_REQUESTED = 900


class Vault(Protocol):
    """The vault, called as this service (services.disclosure.dependencies.VaultClient)."""

    def call(self, acting_for: str, method: str, /, *, key: str | None = None,
             **request: Any) -> Any: ...


@dataclass(frozen=True)
class Upload:
    """One file of the form: the field it came in, the name the browser gave, its bytes."""
    field: str
    name: str
    content: bytes


def public(agency: str = "") -> Actor:
    """Whoever uses the portal's form: no token, no role of the staff."""
    return Actor(id="portal", role="public", agency=agency, name="公众（门户网站）")


def admit(db: Db, scope: str, key: str, rate: limits.Rate, now: datetime) -> None:
    """One submission counted in `scope`'s window for `key`, or the refusal over its limit."""
    window = limits.window(now, rate)
    with db.transaction() as session:
        fits = store.count_submission(session, scope, key, window, rate.count,
                                      keep_after=window - rate.seconds)
    if not fits:
        raise limits.rate_limited(scope, now, rate)


def read_form(form: Mapping[str, str]) -> dict:
    """The form as file_correction's request (FileCorrection), or ValidationFailed naming each
    form field and what it breaks. What is wrong and the correction asked for are kept
    together as the request's `problem`, each under its heading."""
    problem, requested = (form.get("problem") or "").strip(), (form.get("requested") or "").strip()
    errors: dict[str, list[str]] = {}
    for name, text, most in (("problem", problem, MAX_PROBLEM),
                             ("requested", requested, MAX_REQUESTED)):
        if not text:
            errors[name] = ["required: must not be empty"]
        elif len(text) > most:
            errors[name] = [f"at most {most} characters"]
    payload = {"publication_id": (form.get("publication_id") or "").strip().lower(),
               "requester": {"kind": (form.get("requester_kind") or "").strip(),
                             "name": (form.get("requester_name") or "").strip(),
                             "contact": (form.get("requester_contact") or "").strip()},
               "problem": f"存在的问题：{problem}\n请求更正为：{requested}", "evidence": []}
    try:
        loaded: dict = m.FileCorrection().load(payload)
    except ValidationError as exc:
        for path, rules in _flat(exc.messages).items():
            errors.setdefault(FIELDS.get(path, path), rules)
        loaded = {}
    if errors:
        field = next(iter(errors))
        failed = ValidationFailed.from_messages(errors, what="correction form")
        failed.details = {**errors, "field": field, "rule": errors[field][0]}
        raise failed
    return loaded


def _flat(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(messages, dict):
        out: dict[str, list[str]] = {}
        for key, value in messages.items():
            out.update(_flat(value, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): [str(x) for x in messages]}


def submit(form: Mapping[str, str], uploads: list[Upload], *, client: str, db: Db, vault: Vault,
           form_limits: limits.FormLimits, now: datetime) -> dict:
    """The request filed (module docstring): the correction as file_correction answers it."""
    request = read_form(form)
    with db.read() as session:
        pub = store.load(session, request["publication_id"])
    actor = public(pub["agency"])
    if pub["state"] != "published":
        raise DomainRuleViolated(
            f"publication_id: publication {pub['id']} is not published: only a published one "
            "is corrected", message_zh="该公示信息当前未处于公开状态，不能申请更正",
            details={"rule": "correction_of_published", "field": "publication_id"})
    admit(db, "agency", pub["agency"], form_limits.per_agency, now)
    scanned = [scanner.scan(u.content, u.name, u.field) for u in uploads]
    submission = str(uuid.uuid4())
    kept = [_keep(vault, pub["agency"], submission, i, found, u.content)
            for i, (found, u) in enumerate(zip(scanned, uploads, strict=True))]
    evidence = [f"附件 {a['name']}（vault:{a['object_id']}，SHA-256 {a['sha256'][:16]}…）"
                for a in kept]
    with db.transaction() as session:
        pub = store.load(session, request["publication_id"])
        return file_in(session, pub, dict(request, evidence=evidence), actor, now,
                       channel="portal", attachments=kept)


def _keep(vault: Vault, agency: str, submission: str, index: int, found: scanner.Scanned,
          content: bytes) -> dict:
    """A clean attachment stored write-once in the vault: what the request keeps of it."""
    sha256 = hashlib.sha256(content).hexdigest()
    stored = vault.call(agency, "store_attachment", key=f"correction-{submission}-{index}",
                        agency=agency, submission_id=submission, index=index, name=found.name,
                        media_type=found.media_type, sha256=sha256, size=found.size,
                        content_base64=base64.b64encode(content).decode("ascii"))
    return {"object_id": stored["id"], "name": found.name, "media_type": found.media_type,
            "size": found.size, "sha256": sha256}


def recorded(db: Db, now: datetime) -> Callable[[dict, Exception], None]:
    """How a refused submission is recorded: the publication it names (when it is an id), the
    agency, the client's hash and the rule — never the requester's words or files."""
    def record(what: dict, exc: Exception) -> None:
        ident = str(what.get("publication_id") or "").strip().lower()
        request = {"publication_id": ident if _uuid(ident) else None,
                   "agency": what.get("agency"), "client": what.get("client")}
        store.record_refusal(db, public(str(what.get("agency") or "")), METHOD, request, exc,
                             now)
    return record


def _uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
