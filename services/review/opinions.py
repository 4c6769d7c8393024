"""Commands of the review board from findings to the final word: a finding per review point,
the opinion, the handling unit's disagreement (异议: consultation, then the head decides) and
the collective discussion (集体讨论) a passed review goes to where the rule set requires it.
Every opinion that settles or changes the outcome is published as opinion_issued.v1, which the
record keeper writes into the case's chain."""
from __future__ import annotations

from datetime import datetime

from services.review import domain, store
from shared.trust.actor import Actor
from shared.calendar.clock import local_date
from shared.law.review import collective_discussion_owed
from shared.errors import DomainRuleViolated, ValidationFailed
from shared.rulesets.provider import Rules


def record_finding(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        store.require_assigned(review, actor)
        store.require_state(review, domain.UNDER_REVIEW, domain.PAUSED, doing="record a finding")
        points = domain.review_points(rules.ruleset(review["ruleset"]))
        if p["point"] not in points:
            raise ValidationFailed.from_messages({"point": [
                f"not a review point of {review['ruleset']}; one of: {', '.join(points)}"]})
        finding = {"result": p["result"], "note": p["note"], "by": actor.id,
                   "at": p["recorded_at"].isoformat()}
        review["findings"] = dict(review["findings"], **{p["point"]: finding})
        store.log(session, review["id"], actor, "finding_recorded",
                  dict(finding, point=p["point"]), now)
        store.save(session, review, now)
        return store.view(review, rules)


def issue_opinion(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        store.require_assigned(review, actor)
        # a contested opinion may be revised by the reviewers after consultation
        store.require_state(review, domain.UNDER_REVIEW, domain.CONTESTED,
                            doing="issue an opinion")
        rs = rules.ruleset(review["ruleset"])
        kind = domain.check_opinion(rs, p["opinion"], review["findings"])
        day = local_date(p["issued_at"])
        owed = collective_discussion_owed(rs, kind["approving"],
                                          p["collective_discussion_required"])
        deadline = review["deadline"]
        review["opinion"] = {
            "code": kind["code"], "label": kind["label"], "approving": kind["approving"],
            "reasons": p["reasons"], "issued_on": day.isoformat(),
            "issued_at": p["issued_at"].isoformat(), "issued_by": actor.id,
            "reviewers": [a["reviewer_id"] for a in review["assignments"]
                          if a["status"] == "active"],
            "stage": "reviewers", "final": not owed, "collective_discussion_owed": owed,
            "on_time": deadline is None or day.isoformat() <= deadline["due"],
            "revised": review["state"] == domain.CONTESTED}
        if p["document"]:
            review["document_info"] = {k: v for k, v in p["document"].items() if v}
        if review["state"] == domain.CONTESTED:
            review["disagreement"] = dict(review["disagreement"], resolved_by="revised_opinion")
        review["state"] = domain.AWAITING_COLLECTIVE if owed else domain.OPINION_ISSUED
        return _publish(session, review, rs, actor, outbox, rules, now, "opinion_issued")


def contest_opinion(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    """The handling unit disagrees (002 第十五条; 001 附件3 第九条): recorded, then consulted."""
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        actor.require("officer", "head", agency=review["agency"])
        store.require_state(review, domain.OPINION_ISSUED, domain.AWAITING_COLLECTIVE,
                            doing="contest the opinion")
        rule = domain.disagreement_rule(rules.ruleset(review["ruleset"]))
        review["disagreement"] = {"contested_at": p["contested_at"].isoformat(),
                                  "by": actor.id, "reason": p["reason"],
                                  "procedure": rule["value"], "basis": rule["basis"],
                                  "opinion_contested": review["opinion"]["code"],
                                  "state_before": review["state"],
                                  "consultations": [], "head_decision": None,
                                  "resolved_by": None}
        review["state"] = domain.CONTESTED
        store.log(session, review["id"], actor, "opinion_contested",
                  {"reason": p["reason"], "procedure": rule["value"]}, now)
        store.save(session, review, now)
        return store.view(review, rules)


def record_consultation(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        actor.require("officer", "head", "legal_unit", "reviewer", agency=review["agency"])
        store.require_state(review, domain.CONTESTED, doing="record a consultation")
        consultation = {"held_at": p["held_at"].isoformat(), "participants": p["participants"],
                        "summary": p["summary"], "outcome": p["outcome"],
                        "recorded_by": actor.id}
        d = dict(review["disagreement"])
        d["consultations"] = d["consultations"] + [consultation]
        if p["outcome"] == "opinion_accepted":
            # the handling unit accepts the opinion: back to where it stood
            d["resolved_by"] = "consultation"
            review["state"] = d["state_before"]
        review["disagreement"] = d
        store.log(session, review["id"], actor, "consultation_recorded", consultation, now)
        store.save(session, review, now)
        return store.view(review, rules)


def head_decide(p, *, actor: Actor, db, outbox, rules: Rules, now: datetime) -> dict:
    """Consultation did not settle it: the head decides (002 第十五条), recorded; an opinion
    the head replaces is published like any other."""
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        actor.require("head", agency=review["agency"])
        store.require_state(review, domain.CONTESTED, doing="decide the disagreement")
        d = review["disagreement"]
        if not d["consultations"]:
            raise DomainRuleViolated("the handling unit and the reviewers consult first; the "
                                     "head decides what consultation did not settle",
                                     code="consultation_first")
        rs = rules.ruleset(review["ruleset"])
        day = local_date(p["decided_at"])
        decision = {"outcome": p["outcome"], "reasons": p["reasons"], "by": actor.id,
                    "decided_at": p["decided_at"].isoformat()}
        review["disagreement"] = dict(d, head_decision=decision, resolved_by="head")
        if p["outcome"] == "uphold":
            review["state"] = d["state_before"]
            store.log(session, review["id"], actor, "head_decided", decision, now)
            store.save(session, review, now)
            return store.view(review, rules)
        kinds = domain.opinion_kinds(rs)
        if p["opinion"] not in kinds:
            raise ValidationFailed.from_messages({"opinion": [
                f"not an opinion of {rs.ref}; one of: {', '.join(kinds)}"]})
        kind = kinds[p["opinion"]]
        owed = collective_discussion_owed(rs, kind["approving"], False)
        review["opinion"] = dict(review["opinion"], code=kind["code"], label=kind["label"],
                                 approving=kind["approving"], reasons=p["reasons"],
                                 issued_on=day.isoformat(),
                                 issued_at=p["decided_at"].isoformat(), issued_by=actor.id,
                                 stage="head_decision", final=not owed,
                                 collective_discussion_owed=owed)
        review["state"] = domain.AWAITING_COLLECTIVE if owed else domain.DECIDED
        store.log(session, review["id"], actor, "head_decided", decision, now)
        return _publish(session, review, rs, actor, outbox, rules, now, "opinion_replaced")


def record_collective_discussion(p, *, actor: Actor, db, outbox, rules: Rules,
                                 now: datetime) -> dict:
    """集体讨论 (004 第五十五条; 行政处罚法 第五十七条第二款): the leaders decide on a
    passed review; their conclusion is the final word on the proposal."""
    with db.transaction() as session:
        review = store.load(session, p["review_id"], lock=True)
        actor.require("head", agency=review["agency"])
        store.require_state(review, domain.AWAITING_COLLECTIVE,
                            doing="record a collective discussion")
        rs = rules.ruleset(review["ruleset"])
        day = local_date(p["held_at"])
        review["collective"] = {"held_at": p["held_at"].isoformat(),
                                "participants": p["participants"], "summary": p["summary"],
                                "conclusion": p["conclusion"], "chaired_by": actor.id}
        approving = p["conclusion"] == "approve"
        review["opinion"] = dict(review["opinion"], approving=approving and
                                 review["opinion"]["approving"], stage="collective_discussion",
                                 final=True, collective_discussion_owed=False,
                                 issued_on=day.isoformat(),
                                 issued_at=p["held_at"].isoformat(), issued_by=actor.id,
                                 reasons=p["summary"])
        review["state"] = domain.DECIDED
        return _publish(session, review, rs, actor, outbox, rules, now,
                        "collective_discussion_recorded")


def _publish(session, review, rs, actor, outbox, rules: Rules, now, action: str) -> dict:
    opinion = review["opinion"]
    document = domain.opinion_document(rs, review, rules.agency(review["agency"]).name)
    review["opinion"] = dict(opinion, document=document)
    store.log(session, review["id"], actor, action,
              {k: opinion[k] for k in ("code", "approving", "stage", "final", "reasons")}, now)
    store.save(session, review, now)
    store.emit(outbox, session, review, actor, "opinion_issued.v1", {
        "opinion": opinion["code"], "label": opinion["label"],
        "approving": opinion["approving"], "final": opinion["final"],
        "stage": opinion["stage"], "reasons": opinion["reasons"],
        "reviewers": opinion["reviewers"], "issued_at": opinion["issued_at"],
        "on_time": opinion["on_time"],
        "findings": [dict(point=k, result=v["result"], note=v["note"])
                     for k, v in review["findings"].items()],
        "collective": review["collective"], "document": document})
    return store.view(review, rules)
