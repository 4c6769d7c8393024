"""Reads of the review board — a review with its history, reviews of an agency, the staffing
report, the opinion document's data, the open classification — and the clock watch that
sends reminders before a review falls due and an overdue event after."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from services.review import domain, store
from services.review.models import reviews, staff
from shared.persistence import timers
from shared.trust.actor import Actor
from shared.law.major import DecisionProposal, classify as catalogue_classify
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated, NotFound
from shared.rulesets.provider import Rules
from shared.service.entrypoint import refusal_reason

READERS = ("officer", "head", "legal_unit", "reviewer", "supervisor")


def classify(p, *, rules: Rules, **_) -> dict:
    """Open to any caller: the catalogue is public law, not case data."""
    rs = rules.ruleset(p["ruleset"])
    verdict = catalogue_classify(rs, DecisionProposal.from_dict(p["proposal"])).to_dict()
    return dict(verdict, ruleset=rs.ref)


def get_review(p, *, actor: Actor, db, rules: Rules, **_) -> dict:
    with db.read() as session:
        review = store.load(session, p["review_id"])
        actor.require(*READERS, agency=review["agency"])
        out = store.view(review, rules)
        out["history"] = [dict(h, at=h["at"].isoformat()) for h in
                          store.history(session, review["id"])]
        return out


def list_reviews(p, *, actor: Actor, db, rules: Rules, **_) -> list[dict]:
    agency = rules.agency(p["agency"])
    actor.require(*READERS, agency=agency.code)
    query = select(reviews).where(reviews.c.agency == agency.code)
    if p.get("state"):
        query = query.where(reviews.c.state == p["state"])
    if p.get("case_id"):
        query = query.where(reviews.c.case_id == p["case_id"])
    query = query.order_by(reviews.c.requested_at.desc()).limit(p["limit"])
    with db.read() as session:
        return [store.view(dict(r), rules) for r in session.execute(query).mappings()]


def staffing_report(p, *, actor: Actor, db, rules: Rules, **_) -> dict:
    agency = rules.agency(p["agency"])
    actor.require("head", "legal_unit", "supervisor", agency=agency.code)
    with db.read() as session:
        rows = session.execute(select(staff.c.roles, staff.c.legal_qualification)
                               .where(staff.c.agency == agency.code)
                               .where(staff.c.active.is_(True))).all()
    officers = sum(1 for roles, _ in rows if "officer" in roles)
    reviewers = sum(1 for roles, _ in rows if "reviewer" in roles)
    qualified = sum(1 for roles, q in rows if "reviewer" in roles and q)
    report = domain.staffing(agency.ruleset, officers, reviewers)
    report["agency"] = agency.code
    report["legally_qualified"] = qualified
    return report


REGISTER_BASIS = "002《法制审核办法》第七条（明确本机关法制审核机构，法制审核人员）"


def check_manual_review(p, *, actor: Actor, db, rules: Rules, **_) -> dict:
    """What the record keeper asks before it accepts a legal review entered outside the
    board: does the board hold its own review of the proposal (an entry would pre-empt or
    override it), and is each named reviewer active staff of the agency with the reviewer
    role and the qualification the rule set asks (行政处罚法 第五十八条第二款)? A reviewer is
    named by person_id or by name; a name two active people share is not taken as either."""
    agency = rules.agency(p["agency"])
    actor.require("legal_unit", "head", "supervisor", agency=agency.code)
    rs = agency.ruleset
    with db.read() as session:
        own = session.execute(select(reviews.c.id, reviews.c.state, reviews.c.opinion)
                              .where(reviews.c.agency == agency.code)
                              .where(reviews.c.case_id == p["case_id"])
                              .where(reviews.c.proposal_seq == p["proposal_seq"])).first()
        active = session.execute(select(staff.c.person_id, staff.c.name)
                                 .where(staff.c.agency == agency.code)
                                 .where(staff.c.active.is_(True))).all()
        checks = [_check_reviewer(session, rs, agency.code, named, active, p["act_type"])
                  for named in p["reviewers"]]
    return {"agency": agency.code, "ruleset": rs.ref, "reviewers": checks,
            "review": None if own is None else {
                "review_id": own.id, "state": own.state,
                "opinion": (own.opinion or {}).get("code")}}


def _check_reviewer(session, rs, agency: str, named: str, active, act_type: str) -> dict:
    matches = [pid for pid, _ in active if pid == named] or \
        [pid for pid, name in active if name == named]
    if len(matches) != 1:
        code, why = (("not_registered", "is not active staff of {a} in the review board's "
                      "register") if not matches else
                     ("ambiguous", "names {n} active people of {a}; name the person_id"))
        return {"named": named, "person_id": None, "name": None, "problems": [{
            "code": code, "basis": REGISTER_BASIS,
            "message": f"{named} " + why.format(a=agency, n=len(matches))}]}
    person = store.reviewer(session, agency, matches[0])
    return {"named": named, "person_id": person.person_id, "name": person.name,
            "problems": [{"code": x["code"], "basis": x["basis"] or REGISTER_BASIS,
                          "message": f"{person.name} ({person.person_id}) {x['message']}"}
                         for x in domain.qualification_problems(rs, person, act_type)]}


def opinion_document(p, *, actor: Actor, db, rules: Rules, **_) -> dict:
    with db.read() as session:
        review = store.load(session, p["review_id"])
    actor.require(*READERS, agency=review["agency"])
    if review["opinion"] is None:
        raise DomainRuleViolated("no opinion has been issued yet", code="no_opinion")
    return review["opinion"]["document"]


CLOCK_WATCH = "review.watch_clocks"
_OPEN = (domain.UNDER_REVIEW, domain.AWAITING_MATERIALS)


def check_clocks(*, db, outbox, rules: Rules, now: datetime, remind_workdays: int) -> dict:
    """Reminders `remind_workdays` working days before a review falls due, and one overdue
    event the day after (each once per due date; a new due date after an extension or a
    stop gets its own). A review without a deadline (clock not started, or stopped) is
    passed by: its column holds JSON null, which SQL's IS NOT NULL does not exclude.

    Once per review and due date across instances (shared.persistence.timers): the scan is a read, and
    each review owed an event gets its own short transaction that claims it, reads it again
    locked and sends only what its stored reminded_for / overdue_for says is still owed."""
    today = local_date(now)
    with db.read() as session:
        rows = session.execute(select(reviews.c.id, reviews.c.agency, reviews.c.deadline,
                                      reviews.c.reminded_for, reviews.c.overdue_for)
                               .where(reviews.c.state.in_(_OPEN))
                               .order_by(reviews.c.id)).mappings().all()
    done = timers.each(CLOCK_WATCH, rows, lambda row: _send_clock_event(
        row, db=db, outbox=outbox, rules=rules, now=now, today=today,
        remind_workdays=remind_workdays))
    return {"reminders": done.get("reminders", 0), "overdue": done.get("overdue", 0),
            "failed": done.get("failed", 0)}


def _clock_owes(review, rules: Rules, today: date, remind_workdays: int):
    """("reminders" | "overdue", working days left or overdue) owed for the review today, or
    None."""
    if review["deadline"] is None:
        return None
    due = date.fromisoformat(review["deadline"]["due"])
    if today > due:
        if review["overdue_for"] == due:
            return None
        return "overdue", rules.calendar.workdays_between(due, today, review["agency"])
    if review["reminded_for"] == due:
        return None
    left = rules.calendar.workdays_between(today, due, review["agency"])
    return ("reminders", left) if left <= remind_workdays else None


def _send_clock_event(row, *, db, outbox, rules: Rules, now: datetime, today: date,
                      remind_workdays: int) -> str | None:
    if _clock_owes(row, rules, today, remind_workdays) is None:
        return None         # the common case: decided without a write transaction
    with db.transaction() as session:
        if not timers.claim(session, CLOCK_WATCH, row["id"]):
            return None
        review = store.load(session, row["id"], lock=True)
        owed = _clock_owes(review, rules, today, remind_workdays) \
            if review["state"] in _OPEN else None
        if owed is None:
            return None     # sent meanwhile (another instance), or the review moved on
        kind, days = owed
        due = date.fromisoformat(review["deadline"]["due"])
        event, sent_for, count, action = (
            ("review_overdue.v1", "overdue_for", "days_overdue", "overdue")
            if kind == "overdue" else
            ("review_due_soon.v1", "reminded_for", "workdays_left", "reminded"))
        review[sent_for] = due
        store.emit(outbox, session, review, store.SYSTEM_ACTOR, event, {
            "due": due.isoformat(), "deadline": review["deadline"], count: days})
        store.log(session, review["id"], store.SYSTEM_ACTOR, action, {"due": due.isoformat()},
                  now)
        store.save(session, review, now)
        return kind


def record_refusal(db, actor: Actor, method: str, request: dict, exc, now: datetime) -> None:
    """A refused call is itself recorded: who (for a refused token: who it claimed to be, role
    "unverified"), what, why (as the record keeper does)."""
    review_id = request.get("review_id")
    with db.transaction() as session:
        store.log(session, review_id[:36] if isinstance(review_id, str) else "", actor,
                  "refused", {"method": method, "agency": request.get("agency"),
                              "reason": refusal_reason(exc), "code": exc.code,
                              "verified": actor.verified}, now)


def missing_review(request: dict) -> NotFound | None:
    """What a caller is told about a review out of its reach (another agency's): exactly what
    store.load says of an id that does not exist."""
    review_id = request.get("review_id")
    if not isinstance(review_id, str):
        return None
    return NotFound(f"no review {review_id}", details={"review_id": review_id})
