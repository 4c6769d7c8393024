"""Reading and writing one review inside a use case's transaction, its history and its
events — the few steps every use case of the review board shares."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import insert, select, update

from services.review import domain
from services.review.models import review_log, reviews, staff
from shared.trust.actor import Actor
from shared.errors import DomainRuleViolated, NotFound
from shared.rulesets.provider import Rules

_DATES = ("received_on", "complete_on", "clock_start", "reminded_for", "overdue_for")
# the board acts through the clock, not through a person
SYSTEM_ACTOR = {"id": "review-clock", "role": "legal_unit", "name": "审核时限提醒"}


def load(session, review_id: str, *, lock: bool = False) -> dict:
    query = select(reviews).where(reviews.c.id == review_id)
    if lock and session.bind.dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).mappings().first()
    if row is None:
        raise NotFound(f"no review {review_id}", details={"review_id": review_id})
    return dict(row)


def save(session, review: dict, now: datetime) -> None:
    review["updated_at"] = now
    values = {k: v for k, v in review.items() if k != "id"}
    session.execute(update(reviews).where(reviews.c.id == review["id"]).values(**values))


def log(session, review_id: str, actor: Actor | dict, action: str, body: dict,
        now: datetime) -> None:
    ref = actor if isinstance(actor, dict) else {"id": actor.id, "role": actor.role}
    session.execute(insert(review_log), {"review_id": review_id, "at": now,
                                         "actor_id": ref["id"], "actor_role": ref["role"],
                                         "action": action, "body": body})


def history(session, review_id: str) -> list[dict]:
    rows = session.execute(select(review_log).where(review_log.c.review_id == review_id)
                           .order_by(review_log.c.id)).mappings().all()
    return [{"at": r["at"], "actor_id": r["actor_id"], "actor_role": r["actor_role"],
             "action": r["action"], "body": r["body"]} for r in rows]


def emit(outbox, session, review: dict, actor: Actor | dict, event_type: str,
         data: dict) -> None:
    ref = actor if isinstance(actor, dict) else actor.ref()
    base = {"review_id": review["id"], "case_id": review["case_id"],
            "case_no": review["case_no"], "proposal_seq": review["proposal_seq"]}
    outbox.stage(session, event_type, dict(base, **data), agency=review["agency"], actor=ref,
                 ruleset=review["ruleset"])


def require_state(review: dict, *states: str, doing: str) -> None:
    if review["state"] not in states:
        raise DomainRuleViolated(
            f"cannot {doing} while the review is {review['state']}; only when "
            f"{' or '.join(states)}", code="wrong_state",
            details={"state": review["state"], "allowed": list(states)})


def require_assigned(review: dict, actor: Actor) -> dict:
    """Findings and opinions come from a reviewer assigned to this review."""
    actor.require("reviewer", "legal_unit", agency=review["agency"])
    for a in review["assignments"]:
        if a["reviewer_id"] == actor.id and a["status"] == "active":
            return a
    raise DomainRuleViolated(f"{actor.id} is not an assigned reviewer of this review",
                             code="not_assigned", details={"actor": actor.id})


def stops(review: dict) -> list[domain.Stop]:
    day = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
    return [domain.Stop(day(s["stopped_on"]), day(s["resumed_on"]), s["reason"], s["label"])
            for s in review["stops"]]


def recompute_deadline(review: dict, rules: Rules) -> None:
    """Due date from the clock start, the finished stops and the extension; none while the
    clock is stopped (the days left are frozen until it resumes)."""
    if review["clock_start"] is None or review["state"] == domain.PAUSED:
        review["deadline"] = None
        return
    rs = rules.ruleset(review["ruleset"])
    first, second = domain.review_deadline(rules.calendar, rs, review["clock_start"],
                                           stops=stops(review),
                                           extended=review["extension"] is not None,
                                           agency=review["agency"])
    review["first_deadline"] = first.to_dict()
    review["deadline"] = (second or first).to_dict()


def reviewer(session, agency: str, person_id: str) -> domain.Reviewer:
    row = session.execute(select(staff).where(staff.c.agency == agency)
                          .where(staff.c.person_id == person_id)).mappings().first()
    if row is None or not row["active"]:
        raise NotFound(f"{person_id} is not registered (active) staff of {agency}; "
                       "register_staff first", details={"person_id": person_id})
    done = row["prior_penalty_reviews"] + _penalty_reviews_in_system(session, agency, person_id)
    return domain.Reviewer(person_id=row["person_id"], name=row["name"],
                           position=row["position"],
                           roles=tuple(row["roles"]),
                           legal_qualification=row["legal_qualification"],
                           qualification_no=row["qualification_no"],
                           penalty_reviews_done=done)


def _penalty_reviews_in_system(session, agency: str, person_id: str) -> int:
    rows = session.execute(select(reviews.c.decision, reviews.c.assignments)
                           .where(reviews.c.agency == agency)
                           .where(reviews.c.opinion.is_not(None))).all()
    return sum(1 for decision, assignments in rows
               if decision.get("act_type") == "penalty"
               and any(a["reviewer_id"] == person_id and a["status"] == "active"
                       for a in assignments))


def missing(review: dict, rules: Rules) -> list[dict]:
    return domain.materials_missing(rules.ruleset(review["ruleset"]),
                                    {m["code"] for m in review["materials"]},
                                    set(review["applicable"]),
                                    bool(review["decision"].get("hearing_held")))


def view(review: dict, rules: Rules) -> dict:
    """The review as the contract shows it (dates as ISO strings, what is missing)."""
    out = dict(review)
    for key in _DATES:
        if out.get(key) is not None:
            out[key] = out[key].isoformat()
    out["missing"] = missing(review, rules)
    return out
