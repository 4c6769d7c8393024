"""Reads of the review board — a review with its history, reviews of an agency, the reviews
assigned to the caller, the staffing report, the check of a legal review entered by hand, the
opinion document's data, the open classification, the access log. A read writes nothing but
its row in the access log: every read of the board's reviews is recorded, who, when, what and
why, as the record keeper records its own (002 第十九条 实时调阅; 003 二(二) 调阅监督)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, and_, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import TextClause

from services.review import domain, store
from services.review.models import reviews, staff
from shared.calendar.clock import iso, utc
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.law.major import DecisionProposal
from shared.law.major import classify as catalogue_classify
from shared.persistence import paging
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor

READERS = ("officer", "head", "legal_unit", "reviewer", "supervisor")


def classify(p: dict, *, rules: Rules, **_: object) -> dict:
    """Open to any caller: the catalogue is public law, not case data."""
    rs = rules.ruleset(p["ruleset"])
    verdict = catalogue_classify(rs, DecisionProposal.from_dict(p["proposal"])).to_dict()
    return dict(verdict, ruleset=rs.ref)


def get_review(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
               **_: object) -> dict:
    with db.autocommit() as session:
        review = store.load(session, p["review_id"])
        actor.require(*READERS, agency=review["agency"])
        store.log_access(session, actor, "get_review", review=review, now=now)
        out = _view(review, rules)
        out["history"] = [dict(h, at=h["at"].isoformat()) for h in
                          store.history(session, review["id"])]
        return out


def get_review_page(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                    **_: object) -> dict:
    """get_review_v2: the review with at most `history_limit` entries of its history after
    `history_cursor`, oldest first, and the cursor of the next page."""
    after = _history_after(p.get("history_cursor"))
    with db.autocommit() as session:
        review = store.load(session, p["review_id"])
        actor.require(*READERS, agency=review["agency"])
        store.log_access(session, actor, "get_review_v2", review=review, now=now)
        out = _view(review, rules)
        entries, last = store.history_page(session, review["id"], after, p["history_limit"])
    out["history"] = [dict(h, at=h["at"].isoformat()) for h in entries]
    out["history_next"] = None if last is None else paging.encode(str(last))
    return out


def _history_after(cursor: str | None) -> int:
    """The history entry a get_review_v2 cursor names (0: from the first)."""
    if cursor is None:
        return 0
    try:
        (entry,) = paging.decode(cursor, 1)
        return int(entry)
    except (ValidationFailed, ValueError):
        raise ValidationFailed.from_messages(
            {"history_cursor": ["not a cursor get_review_v2 returned"]},
            what="history_cursor") from None


def list_reviews(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                 **_: object) -> list[dict]:
    query = _agency_reviews(p, actor, rules)
    _logged(db, actor, "list_reviews", p, now, ("agency", "state", "case_id"))
    query = query.order_by(reviews.c.requested_at.desc()).limit(p["limit"])
    with db.read() as session:
        return [_view(store.as_review(r), rules) for r in session.execute(query).mappings()]


def list_reviews_page(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                      **_: object) -> dict:
    """list_reviews_v2: a page of the agency's reviews, newest requested first (ties by id),
    after `cursor` — read from the index of the agency's reviews by request time, so a page
    costs the same however deep it is."""
    query = _agency_reviews(p, actor, rules)
    if p.get("cursor"):
        at, review_id = paging.decode(p["cursor"], 2)
        moment = _cursor_moment(at)
        query = query.where(or_(reviews.c.requested_at < moment,
                                and_(reviews.c.requested_at == moment,
                                     reviews.c.id < review_id)))
    query = query.order_by(reviews.c.requested_at.desc(), reviews.c.id.desc())
    _logged(db, actor, "list_reviews_v2", p, now, ("agency", "state", "case_id"))
    with db.read() as session:
        rows = list(session.execute(query.limit(p["limit"] + 1)).mappings())
    rows, after = paging.page(rows, p["limit"], lambda r: (iso(r["requested_at"]), r["id"]))
    return {"items": [_view(store.as_review(r), rules) for r in rows], "next": after}


def _agency_reviews(p: dict, actor: Actor, rules: Rules) -> Select:
    agency = rules.agency(p["agency"])
    actor.require(*READERS, agency=agency.code)
    query = select(reviews).where(reviews.c.agency == agency.code)
    if p.get("state"):
        query = query.where(reviews.c.state == p["state"])
    if p.get("case_id"):
        query = query.where(reviews.c.case_id == p["case_id"])
    return query


def _cursor_moment(text: str) -> datetime:
    """The requested_at a list_reviews_v2 cursor names."""
    try:
        return utc(datetime.fromisoformat(text))
    except (TypeError, ValueError, OverflowError):
        raise ValidationFailed.from_messages(
            {"cursor": ["not a cursor this listing returned"]}, what="cursor") from None


def staffing_report(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                    **_: object) -> dict:
    agency = rules.agency(p["agency"])
    actor.require("head", "legal_unit", "supervisor", agency=agency.code)
    _logged(db, actor, "staffing_report", p, now, ("agency",))
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


def check_manual_review(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                        **_: object) -> dict:
    """What the record keeper asks before it accepts a legal review entered outside the
    board: does the board hold its own review of the proposal (an entry would pre-empt or
    override it), and is each named reviewer active staff of the agency with the reviewer
    role and the qualification the rule set asks (行政处罚法 第五十八条第二款)? A reviewer is
    named by person_id or by name; a name two active people share is not taken as either."""
    agency = rules.agency(p["agency"])
    actor.require("legal_unit", "head", "supervisor", agency=agency.code)
    _logged(db, actor, "check_manual_review", p, now, ("agency", "case_id", "proposal_seq"))
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


def _check_reviewer(session: Session, rs: RuleSet, agency: str, named: str,
                    active: Sequence[Row[tuple[str, str]]], act_type: str) -> dict:
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


def opinion_document(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
                     **_: object) -> dict:
    with db.autocommit() as session:
        review = store.load(session, p["review_id"])
        actor.require(*READERS, agency=review["agency"])
        store.log_access(session, actor, "opinion_document", review=review, now=now)
    if review["opinion"] is None:
        raise DomainRuleViolated("no opinion has been issued yet", code="no_opinion",
                                 message_zh=f"审核 {review['id']} 尚未出具审核意见")
    return review["opinion"]["document"]


def _view(review: domain.Review, rules: Rules) -> dict:
    return domain.view(review, rules.ruleset(review["ruleset"]))


# ---- the access log and the reviews assigned to the caller ------------------------------------

def _logged(db: Db, actor: Actor, action: str, p: dict, now: datetime,
            keys: tuple[str, ...]) -> None:
    """The access row of a read of the agency's reviews (no single review), with what it
    asked for as its reason."""
    with db.autocommit() as session:
        store.log_access(session, actor, action, now=now, agency=p.get("agency"),
                         case_id=p.get("case_id"), reason=_scope(p, keys))


def _scope(p: dict, keys: tuple[str, ...]) -> str:
    return " ".join(f"{k}={iso(v) if isinstance(v, datetime) else v}" for k in keys
                    if (v := p.get(k)) not in (None, False))


def access_log(p: dict, *, actor: Actor, db: Db, now: datetime, **_: object) -> dict:
    """access_log: a page of the board's access log of the agency, for its supervisor (002
    第十九条; 003 二(二) 调阅监督). Looking at the log is itself a read, and logged."""
    actor.require(agency=p["agency"])
    with db.autocommit() as session:
        found = store.access_page(session, p)
        store.log_access(session, actor, "access_log", now=now, agency=p["agency"],
                         case_id=p.get("case_id"), reason=_scope(p, (
                             "agency", "review_id", "case_id", "reader", "since", "until",
                             "outcome")))
    found["items"] = [dict(row, at=utc(row["at"])) for row in found["items"]]
    return found


def my_reviews(p: dict, *, actor: Actor, db: Db, rules: Rules, now: datetime,
               **_: object) -> dict:
    """my_reviews: a page of the agency's reviews the caller is assigned to (an active
    assignment, not recused), newest requested first (ties by id), after `cursor`."""
    actor.require(agency=p["agency"])
    with db.autocommit() as session:
        query = select(reviews).where(reviews.c.agency == p["agency"]).where(
            _assigned(session, actor.id))
        if p.get("state"):
            query = query.where(reviews.c.state == p["state"])
        elif p["open_only"]:
            query = query.where(reviews.c.state.in_(domain.OPEN_STATES))
        if p.get("cursor"):
            at, review_id = paging.decode(p["cursor"], 2)
            at = _cursor_moment(at)
            query = query.where(or_(reviews.c.requested_at < at,
                                    and_(reviews.c.requested_at == at,
                                         reviews.c.id < review_id)))
        rows = list(session.execute(query.order_by(reviews.c.requested_at.desc(),
                                                   reviews.c.id.desc())
                                    .limit(p["limit"] + 1)).mappings())
        store.log_access(session, actor, "my_reviews", now=now, agency=p["agency"],
                         reason=_scope(dict(p, reviewer=actor.id),
                                       ("agency", "reviewer", "state", "open_only")))
    rows, after = paging.page(rows, p["limit"],
                              lambda r: (iso(r["requested_at"]), r["id"]))
    return {"items": [_view(store.as_review(r), rules) for r in rows], "next": after}


def _assigned(session: Session, person_id: str) -> TextClause:
    """The review holds an active assignment of `person_id`."""
    if session.get_bind().dialect.name == "postgresql":
        return text("CAST(reviews.assignments AS jsonb) @> CAST(:assigned AS jsonb)").bindparams(
            assigned=json.dumps([{"reviewer_id": person_id, "status": "active"}]))
    return text("EXISTS (SELECT 1 FROM json_each(reviews.assignments) WHERE "
                "json_extract(json_each.value, '$.reviewer_id') = :assigned AND "
                "json_extract(json_each.value, '$.status') = 'active')").bindparams(
        assigned=person_id)

