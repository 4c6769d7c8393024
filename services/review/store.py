"""The review board's tables inside a use case's transaction: a review loaded (locked for
writing), inserted and saved, its history and its events, the staff register, and the record
of a refused call."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import cast

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.orm import Session

from services.review import domain
from services.review.models import access_log, review_log, reviews, staff
from shared.errors import NotFound, SanxiangError
from shared.messaging.outbox import OutboxWriter
from shared.persistence import actions, paging
from shared.service.entrypoint import refusal_reason
from shared.service.ports import Db
from shared.trust.actor import Actor


def load(session: Session, review_id: str, *, lock: bool = False) -> domain.Review:
    query = select(reviews).where(reviews.c.id == review_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).mappings().first()
    if row is None:
        raise _no_review(review_id)
    return as_review(row)


def as_review(row: RowMapping) -> domain.Review:
    """A row of the reviews table: its columns are the Review's keys."""
    return cast(domain.Review, dict(row))


def _no_review(review_id: str) -> NotFound:
    return NotFound(f"no review {review_id}", message_zh=f"未找到审核 {review_id}",
                    details={"review_id": review_id})


def missing_review(request: dict) -> NotFound | None:
    """What a caller is told about a review out of its reach (another agency's): exactly what
    load says of an id that does not exist."""
    review_id = request.get("review_id")
    if not isinstance(review_id, str):
        return None
    return _no_review(review_id)


def review_of_proposal(session: Session, case_id: str, proposal_seq: int) -> str | None:
    """The id of the review of that proposal of the case, if it has one."""
    found = session.execute(select(reviews.c.id).where(reviews.c.case_id == case_id)
                            .where(reviews.c.proposal_seq == proposal_seq)).first()
    return found[0] if found else None


def insert_review(session: Session, review: domain.Review) -> None:
    _keep_books(session, review)
    session.execute(insert(reviews), review)


def save(session: Session, review: domain.Review, now: datetime) -> None:
    review["updated_at"] = now
    _keep_books(session, review)
    values = {k: v for k, v in review.items() if k != "id"}
    session.execute(update(reviews).where(reviews.c.id == review["id"]).values(**values))


def _keep_books(session: Session, review: domain.Review) -> None:
    """The review's bookkeeping brought up to date with what is saved: what the clock watch
    may still owe it, and the penalty review it counts for on each reviewer's staff row (moved
    by what changed since it was loaded, which its row lock keeps to one writer)."""
    review.update(domain.watch_marks(review))
    before = set(review.get("credited") or ())
    credited = domain.penalty_credits(review)
    for person, step in [(p, 1) for p in credited if p not in before] + \
            [(p, -1) for p in sorted(before - set(credited))]:
        counted = staff.c.penalty_reviews_in_system
        session.execute(update(staff).where(staff.c.agency == review["agency"])
                        .where(staff.c.person_id == person).values({counted: counted + step}))
    review["credited"] = credited


def due_clocks(session: Session, today: date, horizon: date, after: str | None,
               limit: int) -> Sequence[RowMapping]:
    """What the clock watch needs of the reviews owed a notice today, `limit` of them in id
    order after `after` (None: from the first): those owed a reminder for a due date before
    `horizon` (or past) and those owed an overdue notice for a due date before today — read
    from the partial indexes of the reviews still owed either, so the reviews not due are
    never read."""
    query = (select(reviews.c.id, reviews.c.agency, reviews.c.state, reviews.c.deadline,
                    reviews.c.reminded_for, reviews.c.overdue_for)
             .where(or_(reviews.c.remind_due < horizon, reviews.c.overdue_due < today)))
    if after is not None:
        query = query.where(reviews.c.id > after)
    return session.execute(query.order_by(reviews.c.id).limit(limit)).mappings().all()


def log(session: Session, review_id: str, actor: Actor | dict, action: str, body: dict,
        now: datetime) -> None:
    actions.log_act(session, review_log, "review_id", review_id, actor, action, body, now)


def history(session: Session, review_id: str) -> list[dict]:
    rows = session.execute(select(review_log).where(review_log.c.review_id == review_id)
                           .order_by(review_log.c.id)).mappings().all()
    return [_entry(r) for r in rows]


def history_page(session: Session, review_id: str, after: int,
                 limit: int) -> tuple[list[dict], int | None]:
    """At most `limit` entries of the review's history after entry `after`, oldest first, and
    the id of the last one when more follow (None on the last page)."""
    rows = session.execute(select(review_log).where(review_log.c.review_id == review_id)
                           .where(review_log.c.id > after).order_by(review_log.c.id)
                           .limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return [_entry(r) for r in rows], rows[-1]["id"] if more else None


def _entry(r: RowMapping) -> dict:
    return {"at": r["at"], "actor_id": r["actor_id"], "actor_role": r["actor_role"],
            "action": r["action"], "body": r["body"]}


def emit(outbox: OutboxWriter, session: Session, review: domain.Review, actor: Actor | dict,
         event_type: str, data: dict) -> None:
    ref = actor if isinstance(actor, dict) else actor.ref()
    base = {"review_id": review["id"], "case_id": review["case_id"],
            "case_no": review["case_no"], "proposal_seq": review["proposal_seq"]}
    outbox.stage(session, event_type, dict(base, **data), agency=review["agency"], actor=ref,
                 ruleset=review["ruleset"])


def record_refusal(db: Db, actor: Actor, method: str, request: dict, exc: Exception,
                   now: datetime) -> None:
    """A refused call is itself recorded: who (for a refused token: who it claimed to be, role
    "unverified"), what, why (as the record keeper does)."""
    review_id = request.get("review_id")
    with db.transaction() as session:
        log(session, review_id[:36] if isinstance(review_id, str) else "", actor,
            "refused", {"method": method, "agency": request.get("agency"),
                        "reason": refusal_reason(exc), "code": _code(exc),
                        "verified": actor.verified}, now)


def _code(exc: Exception) -> str:
    """The error's code; every refusal is a Sanxiang error (shared.service.entrypoint.handle)."""
    return exc.code if isinstance(exc, SanxiangError) else SanxiangError.code


# ---- the staff register -----------------------------------------------------------------------

def save_staff(session: Session, row: dict) -> None:
    """Register a staff member, or update the one registered under that person id — in one
    statement (INSERT … ON CONFLICT DO UPDATE), so that two calls registering the same person
    at once, on one instance or two, both succeed instead of one colliding on the key."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):
        match = (staff.c.agency == row["agency"]) & (staff.c.person_id == row["person_id"])
        if session.execute(select(staff.c.person_id).where(match)).first():
            session.execute(staff.update().where(match).values(**row))
        else:
            session.execute(insert(staff), row)
        return
    from sqlalchemy.dialects import postgresql, sqlite
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(staff).values(**row)
    session.execute(stmt.on_conflict_do_update(
        index_elements=[staff.c.agency, staff.c.person_id],
        set_={k: stmt.excluded[k] for k in row if k not in ("agency", "person_id")}))


def reviewer(session: Session, agency: str, person_id: str) -> domain.Reviewer:
    row = session.execute(select(staff).where(staff.c.agency == agency)
                          .where(staff.c.person_id == person_id)).mappings().first()
    if row is None or not row["active"]:
        raise NotFound(f"{person_id} is not registered (active) staff of {agency}; "
                       "register_staff first", details={"person_id": person_id},
                       message_zh=f"{person_id} 不是 {agency} 登记在册（在职）的人员："
                                  "请先登记（register_staff）")
    done = row["prior_penalty_reviews"] + row["penalty_reviews_in_system"]
    return domain.Reviewer(person_id=row["person_id"], name=row["name"],
                           position=row["position"],
                           roles=tuple(row["roles"]),
                           legal_qualification=row["legal_qualification"],
                           qualification_no=row["qualification_no"],
                           penalty_reviews_done=done)


# ---- the access log (调阅监督) ------------------------------------------------------------------

def log_access(session: Session, actor: Actor, action: str, *, now: datetime,
               review: domain.Review | None = None, agency: str | None = None,
               outcome: str = "granted", reason: str | None = None,
               case_id: str | None = None) -> None:
    """One row of the board's access log: a read of `review` (or of the agency's reviews),
    or a refused call."""
    session.execute(insert(access_log), {
        "at": now, "actor_id": actor.id, "actor_role": actor.role,
        "actor_agency": actor.agency, "action": action,
        "review_id": review["id"] if review else None,
        "case_id": review["case_id"] if review else case_id,
        "agency": review["agency"] if review else agency, "outcome": outcome,
        "reason": reason})


def record_refused_access(db: Db, actor: Actor, method: str, request: dict, exc: Exception,
                          now: datetime) -> None:
    """A refused call in the access log too (as the record keeper logs its own): the review
    it named, where one exists, tells the agency whose supervisor sees it."""
    review_id = request.get("review_id")
    with db.transaction() as session:
        found = None
        if isinstance(review_id, str) and review_id:
            found = session.execute(select(reviews.c.id, reviews.c.case_id, reviews.c.agency)
                                    .where(reviews.c.id == review_id[:36])).mappings().first()
        agency = request.get("agency")
        log_access(session, actor, method, now=now, outcome="refused",
                   review=cast(domain.Review, dict(found)) if found else None,
                   agency=agency if isinstance(agency, str) else None,
                   case_id=str(request["case_id"])[:64] if request.get("case_id") else None,
                   reason=refusal_reason(exc))


def access_page(session: Session, p: dict) -> dict:
    """A page of the agency's access log, newest first, filtered as `p` asks (review_id,
    case_id, reader, since, until, outcome; limit, cursor)."""
    return paging.log_page(session, access_log, p, (
        ("review_id", "review_id"), ("case_id", "case_id"), ("actor_id", "reader"),
        ("outcome", "outcome")))
