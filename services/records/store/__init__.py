"""Persistence of the record keeper — the only package that writes its tables, by subject:
the case row (`cases`), the chain's entries and what is read back of them (`entries`), the
chain verified and its heads signed (`verification`), the access log and the refusals it
records (`access`), and the rows the findings and the archive read (`reads`). Use cases and
queries take it as one `store`: the names below are its interface."""
from __future__ import annotations

from services.records.store.access import (
    access_page,
    load_case_logged,
    log_access,
    record_refusal,
)
from services.records.store.cases import (
    case_no_taken,
    insert_case,
    load_case,
    writable_case,
)
from services.records.store.entries import (
    PLAIN_BODY,
    actor_ids,
    append,
    appended,
    appended_answer,
    content_at,
    discussions_after,
    emit,
    entry_at,
    insert_av,
    insert_situations,
    issued_proposals,
    kind_at,
    reviews_of,
    write,
    write_appended,
)
from services.records.store.reads import (
    annual_year,
    av_contents,
    av_rows,
    entry_rows,
    fact_entries,
    refused_reads,
    situation_codes,
)
from services.records.store.tree import anchor_facts, log_size
from services.records.store.tree import consistency_proof as log_consistency_proof
from services.records.store.verification import (
    Verdict,
    check_sealed,
    head_moved,
    mark_judged,
    moved_heads,
    refuse_checkpoint,
    sign_head,
    signed_heads,
    verify,
    walk_stored,
)

__all__ = [
    "annual_year",
    "PLAIN_BODY",
    "Verdict",
    "access_page",
    "anchor_facts",
    "actor_ids",
    "append",
    "appended",
    "appended_answer",
    "av_contents",
    "av_rows",
    "case_no_taken",
    "check_sealed",
    "content_at",
    "discussions_after",
    "emit",
    "entry_at",
    "entry_rows",
    "fact_entries",
    "head_moved",
    "mark_judged",
    "insert_av",
    "insert_case",
    "insert_situations",
    "issued_proposals",
    "kind_at",
    "load_case",
    "load_case_logged",
    "log_consistency_proof",
    "log_size",
    "log_access",
    "moved_heads",
    "record_refusal",
    "refuse_checkpoint",
    "refused_reads",
    "reviews_of",
    "sign_head",
    "signed_heads",
    "situation_codes",
    "verify",
    "walk_stored",
    "writable_case",
    "write",
    "write_appended",
]
