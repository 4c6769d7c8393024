"""The board's people: the staff register, reviewers assigned to a review with recusal (回避)
and the qualification checked, and declared interests that end an assignment."""
from __future__ import annotations

from datetime import datetime

from services.review import domain, store
from services.review.usecases.common import begin, view
from shared.errors import DomainRuleViolated
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor


def register_staff(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter | None,
                   rules: Rules, now: datetime) -> dict:
    agency = rules.agency(p["agency"])
    actor.require(*domain.BOARD.roles, agency=agency.code)
    row = dict(p, agency=agency.code, updated_at=now)
    with db.transaction() as session:
        store.save_staff(session, row)
    return {k: row[k] for k in domain.STAFF_FIELDS}


def assign_reviewer(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                    now: datetime) -> dict:
    try:
        return _assign(p, actor=actor, db=db, rules=rules, now=now)
    except DomainRuleViolated as exc:
        if exc.code not in ("recusal_required", "not_qualified"):
            raise
        # the refused transaction rolled back; the refusal itself must stay on record
        # (not recusing is accountable afterwards: 000 第十一条, 002 第十六条)
        with db.transaction() as session:
            store.log(session, p["review_id"], actor, "assignment_refused",
                      dict(exc.details, reviewer_id=p["reviewer_id"], refused=exc.code,
                           message=exc.message), now)
        raise


def _assign(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime) -> dict:
    with db.transaction() as session:
        review = begin(session, p["review_id"], "assign_reviewer", actor)
        rs = rules.ruleset(review["ruleset"])
        domain.require_unassigned(review["assignments"], p["reviewer_id"])
        person = store.reviewer(session, review["agency"], p["reviewer_id"])
        domain.require_eligible(rs, review, person)
        assignment = domain.assignment(rs, review, person, p["reason"], by=actor.id, at=now)
        review["assignments"] = review["assignments"] + [assignment]
        store.log(session, review["id"], actor, "reviewer_assigned", assignment, now)
        store.save(session, review, now)
        return view(review, rules)


def declare_interest(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                     now: datetime) -> dict:
    """A declared interest (利害关系) bars the person; an active assignment ends (回避)."""
    with db.transaction() as session:
        review = begin(session, p["review_id"], "declare_interest", actor)
        domain.require_own_interest(actor.role, actor.id, p["person_id"])
        interest = {"person_id": p["person_id"], "interest": p["interest"],
                    "declared_at": now.isoformat(), "declared_by": actor.id}
        review["interests"] = review["interests"] + [interest]
        review["assignments"] = domain.recused(review["assignments"], p["person_id"],
                                               p["interest"], now)
        store.log(session, review["id"], actor, "interest_declared", interest, now)
        store.save(session, review, now)
        return view(review, rules)
