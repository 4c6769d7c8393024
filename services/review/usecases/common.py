"""The steps every command on one review shares: the review loaded and locked for an act
the caller may do in its state, its due dates worked out again, and the review shown."""
from __future__ import annotations

from sqlalchemy.orm import Session

from services.review import domain, store
from shared.rulesets.provider import Rules
from shared.trust.actor import Actor


def begin(session: Session, review_id: str, act: str, actor: Actor) -> domain.Review:
    """The review, locked, once `actor` may do `act` on it: of its agency and one of the
    act's roles (or else forbidden), an active reviewer of it where the act asks one, and
    the review in a state the act may be done in."""
    review = store.load(session, review_id, lock=True)
    who = domain.party(act)
    actor.require(*who.roles, agency=review["agency"])
    if who.assigned:
        domain.require_assigned(review["assignments"], actor.id)
    domain.require_state(act, review["state"])
    return review


def recompute_deadline(review: domain.Review, rules: Rules) -> None:
    review.update(domain.deadline_fields(rules.calendar, rules.ruleset(review["ruleset"]),
                                         review))


def view(review: domain.Review, rules: Rules) -> dict:
    return domain.view(review, rules.ruleset(review["ruleset"]))
