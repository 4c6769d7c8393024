"""From findings to the final word: a finding per review point, the opinion, the handling
unit's disagreement (异议: consultation, then the head decides) and the collective discussion
(集体讨论) a passed review goes to where the rule set requires it. Every opinion that settles
or changes the outcome is published as opinion_issued.v1, which the record keeper writes into
the case's chain."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from services.review import domain, store
from services.review.usecases.common import begin, view
from shared.calendar.clock import local_date
from shared.errors import DomainRuleViolated
from shared.law.review import collective_discussion_owed
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor


def record_finding(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                   now: datetime) -> dict:
    with db.transaction() as session:
        review = begin(session, p["review_id"], "record_finding", actor)
        finding = domain.finding(rules.ruleset(review["ruleset"]), p["point"], p["result"],
                                 p["note"], by=actor.id, at=p["recorded_at"])
        review["findings"] = dict(review["findings"], **{p["point"]: finding})
        store.log(session, review["id"], actor, "finding_recorded",
                  dict(finding, point=p["point"]), now)
        store.save(session, review, now)
        return view(review, rules)


def issue_opinion(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                  now: datetime) -> dict:
    try:
        return _issue(p, actor=actor, db=db, outbox=outbox, rules=rules, now=now)
    except DomainRuleViolated as exc:
        if exc.code != "legal_counsel_opinion_missing":
            raise
        # the refused transaction rolled back; the refusal stays on record: an opinion
        # attempted without the counsel's 法律意见书 is accountable afterwards (陵川 001
        # 附件3 第十条, 工作方案 四(三)一)
        with db.transaction() as session:
            store.log(session, p["review_id"], actor, "opinion_refused",
                      dict(exc.details, opinion=p["opinion"], refused=exc.code,
                           message=exc.message), now)
        raise


def _issue(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
           now: datetime) -> dict:
    with db.transaction() as session:
        review = begin(session, p["review_id"], "issue_opinion", actor)
        rs = rules.ruleset(review["ruleset"])
        kind = domain.check_opinion(rs, p["opinion"], review["findings"])
        domain.counsel_opinion(rs, review)
        owed = collective_discussion_owed(rs, kind["approving"],
                                          p["collective_discussion_required"], kind["code"])
        contested = review["state"] == domain.CONTESTED
        review["opinion"] = domain.issued(
            kind, p["reasons"], by=actor.id, at=p["issued_at"], day=local_date(p["issued_at"]),
            assignments=review["assignments"], deadline=review["deadline"], owed=owed,
            revised=contested)
        if p["document"]:
            review["document_info"] = {k: v for k, v in p["document"].items() if v}
        if contested:
            review["disagreement"] = dict(domain.disagreement_of(review),
                                          resolved_by="revised_opinion")
        review["state"] = domain.next_state("issue_opinion", review["state"],
                                            domain.opinion_outcome(owed))
        return _publish(session, review, rs, actor, outbox, rules, now, "opinion_issued")


def contest_opinion(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                    now: datetime) -> dict:
    """The handling unit disagrees (002 第十五条; 001 附件3 第九条): recorded, then consulted."""
    with db.transaction() as session:
        review = begin(session, p["review_id"], "contest_opinion", actor)
        d = domain.disagreement(rules.ruleset(review["ruleset"]), review, p["reason"],
                                by=actor.id, at=p["contested_at"])
        review["disagreement"] = d
        review["state"] = domain.next_state("contest_opinion", review["state"])
        store.log(session, review["id"], actor, "opinion_contested",
                  {"reason": p["reason"], "procedure": d["procedure"]}, now)
        store.save(session, review, now)
        return view(review, rules)


def record_consultation(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                        now: datetime) -> dict:
    """A consultation where the handling unit accepts the opinion puts the review back where
    it stood; any other leaves it contested."""
    with db.transaction() as session:
        review = begin(session, p["review_id"], "record_consultation", actor)
        consultation = {"held_at": p["held_at"].isoformat(), "participants": p["participants"],
                        "summary": p["summary"], "outcome": p["outcome"],
                        "recorded_by": actor.id}
        d = domain.disagreement_of(review)
        review["state"] = domain.next_state("record_consultation", review["state"],
                                            p["outcome"], previous=d["state_before"])
        review["disagreement"] = domain.consulted(d, consultation)
        store.log(session, review["id"], actor, "consultation_recorded", consultation, now)
        store.save(session, review, now)
        return view(review, rules)


def head_decide(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                now: datetime) -> dict:
    """Consultation did not settle it: the head decides (002 第十五条), recorded; an opinion
    the head replaces is published like any other."""
    with db.transaction() as session:
        review = begin(session, p["review_id"], "head_decide", actor)
        d = domain.disagreement_of(review)
        domain.require_consulted(d)
        decision = {"outcome": p["outcome"], "reasons": p["reasons"], "by": actor.id,
                    "decided_at": p["decided_at"].isoformat()}
        review["disagreement"] = dict(d, head_decision=decision, resolved_by="head")
        if p["outcome"] == domain.UPHOLD:
            review["state"] = domain.next_state("head_decide", review["state"], domain.UPHOLD,
                                                previous=d["state_before"])
            store.log(session, review["id"], actor, "head_decided", decision, now)
            store.save(session, review, now)
            return view(review, rules)
        return _replace(session, review, p, decision, actor, outbox, rules, now)


def _replace(session: Session, review: domain.Review, p: dict, decision: dict, actor: Actor,
             outbox: OutboxWriter, rules: Rules, now: datetime) -> dict:
    """The head replaces the contested opinion with one of the rule set's."""
    rs = rules.ruleset(review["ruleset"])
    kind = domain.opinion_kind(rs, p["opinion"])
    owed = collective_discussion_owed(rs, kind["approving"], False, kind["code"])
    review["opinion"] = domain.replaced(domain.opinion_of(review), kind, p["reasons"], by=actor.id,
                                        at=p["decided_at"], day=local_date(p["decided_at"]),
                                        owed=owed, by_name=actor.name)
    review["state"] = domain.next_state("head_decide", review["state"],
                                        domain.opinion_outcome(owed))
    store.log(session, review["id"], actor, "head_decided", decision, now)
    return _publish(session, review, rs, actor, outbox, rules, now, "opinion_replaced")


def record_collective_discussion(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter,
                                 rules: Rules, now: datetime) -> dict:
    """集体讨论 (004 第五十五条; 行政处罚法 第五十七条第二款): the leaders decide on a
    passed review; their conclusion is the final word on the proposal."""
    with db.transaction() as session:
        review = begin(session, p["review_id"], "record_collective_discussion", actor)
        rs = rules.ruleset(review["ruleset"])
        review["collective"] = {"held_at": p["held_at"].isoformat(),
                                "participants": p["participants"], "summary": p["summary"],
                                "conclusion": p["conclusion"], "chaired_by": actor.id}
        review["opinion"] = domain.discussed(domain.opinion_of(review), p["conclusion"],
                                             p["summary"], by=actor.id, at=p["held_at"],
                                             day=local_date(p["held_at"]), by_name=actor.name,
                                             participants=p["participants"])
        review["state"] = domain.next_state("record_collective_discussion", review["state"])
        return _publish(session, review, rs, actor, outbox, rules, now,
                        "collective_discussion_recorded")


def _publish(session: Session, review: domain.Review, rs: RuleSet, actor: Actor,
             outbox: OutboxWriter, rules: Rules, now: datetime, action: str) -> dict:
    opinion = domain.opinion_of(review)
    document = domain.opinion_document(rs, review, rules.agency(review["agency"]).name)
    review["opinion"] = dict(opinion, document=document)
    store.log(session, review["id"], actor, action,
              {k: opinion[k] for k in ("code", "approving", "stage", "final", "reasons")}, now)
    store.save(session, review, now)
    store.emit(outbox, session, review, actor, "opinion_issued.v1", _issued_event(review,
                                                                                  document))
    return view(review, rules)


def _issued_event(review: domain.Review, document: dict) -> dict:
    opinion = domain.opinion_of(review)
    return {
        "opinion": opinion["code"], "label": opinion["label"],
        "approving": opinion["approving"], "final": opinion["final"],
        "stage": opinion["stage"], "reasons": opinion["reasons"],
        "reviewers": opinion["reviewers"], "issued_at": opinion["issued_at"],
        "on_time": opinion["on_time"],
        "findings": [{"point": k, "result": v["result"], "note": v["note"]}
                     for k, v in review["findings"].items()],
        "collective": review["collective"], "document": document}
