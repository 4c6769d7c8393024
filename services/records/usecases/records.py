"""Commands that add to a case's file: a record of the procedure (append_record), an AV
record's metadata (record_av) and a correction of an earlier entry (correct_entry)."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from contracts.records import messages as m
from contracts.records.content import CONTENT
from services.records import store
from services.records.domain import av, chain, stages
from services.records.usecases import secrets
from shared.calendar.clock import local_date
from shared.contracts.registry import dump, load
from shared.errors import DomainRuleViolated, SanxiangError, ServiceNotDeployed, ValidationFailed
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets import provider as rulebook
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor


def _situations(rs: RuleSet, declared: list[str]) -> set[str]:
    """The situations a writer declares, each one of the shared vocabulary or of those the
    case's rule set declares (its vocabulary.av_situations)."""
    if not declared:
        return set()
    known = rs.vocabulary("av_situations")
    bad = {f"situations.{i}": [f"unknown situation {code!r}; known: {', '.join(sorted(known))}"]
           for i, code in enumerate(declared) if code not in known}
    if bad:
        raise ValidationFailed.from_messages(bad)
    return set(declared)


def _content(record_type: str, raw: dict) -> dict:
    """The record's content, loaded by the contract's schema of its record type."""
    schema = CONTENT.get(record_type)
    if schema is None:
        raise ValidationFailed.from_messages({"record_type": [
            f"unknown record type {record_type!r}; one of {', '.join(sorted(CONTENT))}"]})
    return dump(schema, load(schema, raw, what=f"{record_type} content", path="content"))


def append_record(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                  now: datetime) -> dict:
    record_type = p["record_type"]
    content = _content(record_type, p["content"])
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        declared = _situations(rules.ruleset(case["ruleset"]), p.get("situations") or [])
        if case["status"] != "open":
            raise DomainRuleViolated(f"case is {case['status']}; records go in before closing",
                                     message_zh=f"案件 {case['case_no']}"
                                                f"{stages.STATUS_LABELS[case['status']]}：记录应在结案前录入",
                                     code="case_closed")
        stages.check_record_stage(record_type, case["stage"])
        _check_content(rules.ruleset(case["ruleset"]), record_type, content)
        if record_type == "collective_discussion" and content.get("proposal_seq") is not None:
            _check_proposal_named(session, case, content["proposal_seq"])
        found = declared | stages.implied_situations(record_type, content)
        entry = chain.prepare(case, kind="record", occurred_at=p["occurred_at"], actor=actor,
                              now=now, case_updates=_start_updates(case, record_type, content),
                              content={"record_type": record_type,
                                       "situations": sorted(found), **content})
        store.write_appended(outbox, session, case, actor, entry, "record", record_type)
        if found:
            store.insert_situations(session, case["id"], entry.seq, sorted(found))
        if p.get("classification"):  # append_record_v2: classified as it is recorded
            secrets.mark(outbox, session, case, actor, now, target_seq=entry.seq,
                         kind="record", content=content, classification=p["classification"],
                         field="classification.content_fields")
        return store.appended_answer(case, entry)


def _start_updates(case: dict, record_type: str, content: dict) -> dict | None:
    """An application's acceptance receipt starts the procedure (or ends it, not accepted)."""
    if record_type == "application_receipt" and case["start_state"] == "pending_acceptance":
        return {"start_state": "approved" if content["accepted"] else "not_started"}
    return None


def _check_content(rs: RuleSet, record_type: str, content: dict) -> None:
    """Content values whose vocabulary is the agency's (its rule set), not the contract's."""
    checks = {"investigation_document": ("document_kind", "investigation_document_kinds"),
              "service": ("method", "service_methods")}
    if record_type in checks:
        field, key = checks[record_type]
        allowed = rulebook.codes(rs, "records", key)
        if content[field] not in allowed:
            raise ValidationFailed.from_messages({f"content.{field}": [
                f"{content[field]!r} is not allowed by {rs.ref}; one of {', '.join(allowed)}"]})


def _check_proposal_named(session: Session, case: dict, seq: int) -> None:
    """A collective discussion names the decision_proposed entry it discussed."""
    kind = store.kind_at(session, case["id"], seq)
    if kind != "decision_proposed":
        found = f"seq {seq} is a {kind} entry" if kind else f"it has no entry at seq {seq}"
        raise ValidationFailed.from_messages({"content.proposal_seq": [
            f"must be the seq of a decision_proposed entry of case {case['case_no']}; "
            f"{found}"]})


class AvVault(Protocol):
    """The vault as record_av asks it (services.records.vault.VaultClient): its object under
    an id, None where it holds none the caller may see; ServiceNotDeployed or Unavailable
    naming the vault where it cannot answer."""

    def object(self, object_id: str) -> dict | None:
        ...


def _vault_object(vault: AvVault, media: dict, case: dict) -> dict | SanxiangError:
    """The vault object the media names, checked against what the writer declares
    (services.records.domain.av); or the refusal — naming the field, or the vault where it is
    not deployed — which record_av records once its transaction is rolled back."""
    try:
        obj = vault.object(media["object_ref"])
    except ServiceNotDeployed as exc:
        return exc
    bad = av.mismatches(media, obj, case_id=case["id"], agency=case["agency"])
    if bad or obj is None:
        return ValidationFailed.from_messages(bad, what="record_av media")
    return obj


def record_av(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
              now: datetime, vault: AvVault) -> dict:
    """The AV record, once the vault holds the file it names (_vault_object). The storage
    deadline is judged on `stored_at`, when the writer says the file was stored into the
    agency's AV system (the rule set's av_storage period); the entry keeps beside it the
    vault's object — id, digests and when the vault stored it — so a reader sees both."""
    body = dump(m.RecordAv, p)
    try:
        return _record_av(p, body, actor=actor, db=db, outbox=outbox, rules=rules, now=now,
                          vault=vault)
    except _Refused as refused:
        # in a transaction of its own, the call's rolled back: nothing of the record written
        store.record_refusal(db, actor, "record_av", p, refused.error, now)
        raise refused.error from None


class _Refused(Exception):
    def __init__(self, error: SanxiangError) -> None:
        self.error = error


def _record_av(p: dict, body: dict, *, actor: Actor, db: Db, outbox: OutboxWriter,
               rules: Rules, now: datetime, vault: AvVault) -> dict:
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        declared = _situations(rules.ruleset(case["ruleset"]), p["situations"])
        obj = _vault_object(vault, p["media"], case)
        if isinstance(obj, SanxiangError):
            raise _Refused(obj)
        period = rules.ruleset(case["ruleset"]).period("av_storage")
        due = rules.calendar.due(local_date(p["ended_at"]), period.amount, period.unit,
                                 rule=period.name, basis=period.basis, agency=case["agency"])
        late = local_date(p["stored_at"]) > due.due
        entry = chain.prepare(case, kind="av_record", actor=actor, now=now,
                              occurred_at=p["ended_at"], content={
                                  **body, "vault_object": av.held(obj),
                                  "storage_due": due.to_dict(), "late": late})
        entry_id = store.write_appended(outbox, session, case, actor, entry, "av_record")
        store.insert_av(session, {
            "entry_id": entry_id, "case_id": case["id"], "seq": entry.seq,
            "ended_at": p["ended_at"], "stored_at": p["stored_at"],
            "storage_due": due.to_dict(), "late": late, "situations": sorted(declared)})
        result = store.appended_answer(case, entry)
    result["deadline"] = due.to_dict()
    return result


def correct_entry(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                  now: datetime) -> dict:
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        target = store.entry_at(session, case["id"], p["seq"])
        seq, h, _ = store.append(session, case, kind="correction", occurred_at=now, actor=actor,
                                 now=now, corrects=p["seq"],
                                 content={"reason": p["reason"], "corrected_kind": target.kind,
                                          "content": p["content"]})
        return store.appended(outbox, session, case, actor, seq, h, "correction")
