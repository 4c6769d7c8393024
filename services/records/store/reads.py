"""The rows the findings and the archive manifest read, as the pure rules take them."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.records.domain import annual, findings
from services.records.models import (
    access_log,
    av_records,
    cases,
    entries,
    situations,
)
from services.records.store.entries import PLAIN_BODY

ENTRY_CHUNK = 1000


def entry_rows(session: Session, case_id: str,
               chunk: int | None = None) -> Iterator[findings.EntryRow]:
    """The case's entries as stored (hashed bodies), in seq order, read `chunk` at a time
    (keyset by seq, each read an index range of the chain): a long chain streams through its
    reader instead of being held whole. A chain of one chunk is one statement; a longer one
    is read up to the last seq stored once its first chunk is in — entries are never updated
    or deleted, and a case's seqs are written in order under its lock, so the chunks read one
    state of the chain."""
    size = chunk or ENTRY_CHUNK
    after, last = -1, None
    while True:
        query = (select(entries.c.seq, entries.c.kind, entries.c.stage, entries.c.body,
                        entries.c.prev_hash, entries.c.entry_hash)
                 .where(entries.c.case_id == case_id).where(entries.c.seq > after))
        if last is not None:
            query = query.where(entries.c.seq <= last)
        rows = session.execute(query.order_by(entries.c.seq).limit(size)).all()
        for row in rows:
            yield findings.EntryRow(*row)
        if len(rows) < size:
            return
        after = rows[-1][0]
        del rows
        if last is None:
            last = session.execute(select(func.max(entries.c.seq))
                                   .where(entries.c.case_id == case_id)).scalar()
        if last is None or after >= last:
            return


def av_rows(session: Session, case_id: str) -> list[findings.AvRecord]:
    """The case's AV records, each with when it recorded (its entry's started_at and
    ended_at, which the mandatory-AV rule judges each act by)."""
    out = []
    for row in session.execute(select(av_records, PLAIN_BODY)
                               .join(entries, entries.c.id == av_records.c.entry_id)
                               .where(av_records.c.case_id == case_id)
                               .order_by(av_records.c.entry_id)).mappings():
        content = json.loads(row["body"])["content"]
        out.append(findings.AvRecord(
            row["seq"], row["late"], row["storage_due"], row["stored_at"],
            tuple(row["situations"] or ()),
            started_at=datetime.fromisoformat(content["started_at"]),
            ended_at=datetime.fromisoformat(content["ended_at"])))
    return out


def refused_reads(session: Session, case_id: str) -> list[findings.RefusedAccess]:
    return [findings.RefusedAccess(row["at"], row["actor_id"], row["actor_role"],
                                   row["actor_agency"], row["action"], row["reason"])
            for row in session.execute(select(access_log)
                                       .where(access_log.c.case_id == case_id)
                                       .where(access_log.c.outcome == "refused")
                                       .order_by(access_log.c.id)).mappings()]


def av_contents(session: Session, case_id: str) -> list[tuple[int, dict]]:
    """(seq, plain content) of the case's AV records, in seq order."""
    return [(seq, json.loads(body)["content"]) for seq, body in session.execute(
        select(av_records.c.seq, PLAIN_BODY)
        .join(entries, entries.c.id == av_records.c.entry_id)
        .where(av_records.c.case_id == case_id).order_by(av_records.c.seq))]


def situation_codes(session: Session, case_id: str) -> list[str]:
    return list(session.execute(select(situations.c.code)
                                .where(situations.c.case_id == case_id)).scalars())


def fact_entries(session: Session, case_id: str) -> list[tuple[str, dict]]:
    """(kind, plain content) of the entries retention facts are read from."""
    return [(kind, json.loads(body)["content"]) for kind, body in session.execute(
        select(entries.c.kind, PLAIN_BODY).where(entries.c.case_id == case_id)
        .where(entries.c.kind.in_(["decision_issued", "decision_proposed", "av_record"])))]




def annual_year(session: Session, agency: str, start: datetime, end: datetime) -> annual.Year:
    """The agency's cases opened, decisions issued and situations recorded in [start, end),
    as the annual figures count them (services.records.domain.annual)."""
    year = annual.Year()
    for row in session.execute(select(cases.c.act_type, cases.c.start_mode, cases.c.start_state)
                               .where(cases.c.agency == agency)
                               .where(cases.c.opened_at >= start)
                               .where(cases.c.opened_at < end)):
        year.cases.append(annual.Case(row.act_type, row.start_mode, row.start_state))
    issued = session.execute(
        select(entries.c.case_id, PLAIN_BODY).join(cases, cases.c.id == entries.c.case_id)
        .where(cases.c.agency == agency).where(entries.c.kind == "decision_issued")
        .where(entries.c.occurred_at >= start).where(entries.c.occurred_at < end)).all()
    for row in issued:
        content = json.loads(row.body)["content"]
        proposal = session.execute(
            select(PLAIN_BODY).where(entries.c.case_id == row.case_id)
            .where(entries.c.seq == content["proposal_seq"])).scalar_one()
        year.decisions.append(annual.decision_of(json.loads(proposal)["content"], content))
    year.situations.extend(session.execute(
        select(situations.c.code)
        .join(entries, (entries.c.case_id == situations.c.case_id)
              & (entries.c.seq == situations.c.seq))
        .join(cases, cases.c.id == situations.c.case_id)
        .where(cases.c.agency == agency)
        .where(entries.c.occurred_at >= start).where(entries.c.occurred_at < end)).scalars())
    return year
