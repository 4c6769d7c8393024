"""Decision use cases of the record keeper: propose a decision (classified by the rule set's
major-decision catalogue), enter the legal-review opinion where no review board gives it,
issue the decision — a major one only after an approving review, the board's where it gave
one (000《法制审核办法》第三条, 002 第五条, 004 第五十条; the gate itself: gate.py)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from contracts.records import messages as m
from contracts.review import CONTRACT as REVIEW
from services.records import chain, gate
from services.records.models import entries, inbox
from services.records.usecases import appended, emit, entry_at, writable_case
from shared.messaging import consumer
from shared.rulesets import provider as rulebook
from shared.trust.actor import Actor
from shared.law.major import DecisionProposal, classify
from shared.law.review import collective_discussion_owed
from shared.contracts.registry import dump
from shared.errors import Conflict, DomainRuleViolated, ValidationFailed


def propose_decision(p, *, actor, db, outbox, rules, now) -> dict:
    body = dump(m.ProposeDecision, p)
    d = p["decision"]
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor)
        if case["stage"] != "decision":
            raise DomainRuleViolated("a decision is proposed in stage decision (审查决定); "
                                     f"the case is in {case['stage']}", code="wrong_stage")
        party = next((x for x in case["parties"] if x["id"] == d["party_id"]), None)
        if party is None:
            raise ValidationFailed.from_messages({"decision.party_id": [
                f"not a party of case {case['case_no']}"]})
        verdict = classify(rules.ruleset(case["ruleset"]),
                           DecisionProposal.from_request(d, party["kind"])).to_dict()
        seq, h, _ = chain.append(session, case, kind="decision_proposed", actor=actor, now=now,
                                 occurred_at=p["occurred_at"],
                                 content={"decision": body["decision"], "classification": verdict})
        acted = session.execute(select(entries.c.actor_id).distinct()
                                .where(entries.c.case_id == case["id"])).scalars().all()
        emit(outbox, session, case, actor, "decision_proposed.v1", {
            "case_id": case["id"], "case_no": case["case_no"], "proposal_seq": seq,
            "case_title": case["title"], "decision": body["decision"], "party": party, "major": verdict["major"],
            "fired": verdict["fired"], "handlers": case["handlers"],
            "participants": sorted(set(acted) - set(case["handlers"]))})
        result = appended(outbox, session, case, actor, seq, h, "decision_proposed")
    result["classification"] = verdict
    return result


def enter_legal_review(p, *, actor, db, outbox, rules, now, board) -> dict:
    """A legal review entered by the legal unit, for deployments without a review board.
    Refused where the board gave an opinion on the proposal (its disagreement path changes
    it) or where the deployed board reviews the proposal (gate.check_manual_entry); the
    entry records whether its reviewers were checked against the board's staff register."""
    body = dump(m.EnterLegalReview, p)
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor, roles=("legal_unit",))
        proposal = json.loads(entry_at(session, case["id"], p["proposal_seq"],
                                       "decision_proposed").body)["content"]
        rs = rules.ruleset(case["ruleset"])
        opinions = rulebook.opinion_types(rs)
        if p["opinion"] not in opinions:
            raise ValidationFailed.from_messages({"opinion": [
                f"not an opinion type of {rs.ref}; one of {', '.join(opinions)}"]})
        gate.refuse_over_board(session, case, p["proposal_seq"], rs)
        register = gate.check_manual_entry(board, case, proposal, p, rs)
        # 周村 004 第五十五条: a passed review goes to 集体讨论; elsewhere the legal unit flags
        # it where the law requires it (行政处罚法 第五十七条第二款), as the review board's
        # reviewers do. Such an approval is not final until a collective_discussion record
        # deciding on it follows (see gate.approving_review)
        owed = collective_discussion_owed(rs, opinions[p["opinion"]],
                                          p["collective_discussion_required"])
        content = dict(body, approving=opinions[p["opinion"]], final=not owed,
                       collective_discussion_owed=owed, staff_register=register)
        seq, h, _ = chain.append(session, case, kind="legal_review", actor=actor, now=now,
                                 occurred_at=p["reviewed_at"], content=content)
        return appended(outbox, session, case, actor, seq, h, "legal_review")


def record_review_opinion(body: dict, *, db, outbox, rules, now) -> int | None:
    """review.opinion_issued.v1 → a legal_review entry in the case's chain, once per message.
    The review board's opinion carries its reviewers, findings and the data of the 意见书
    (the copy routed into the case file, 000 第九条, 002 第十三条)."""
    with consumer.once(db, inbox, REVIEW, body, now) as (session, event):
        if event is None:
            return None
        d = event["data"]
        case = chain.load_case(session, d["case_id"], lock=True)
        if case["agency"] != event["agency"]:
            raise DomainRuleViolated(f"opinion of agency {event['agency']} for a case of "
                                     f"{case['agency']}", code="agency_mismatch")
        entry_at(session, case["id"], d["proposal_seq"], "decision_proposed")
        # the board keeps one review per proposal and changes its opinion only by a new
        # opinion of that review (disagreement → consultation → head, 002 第十五条)
        earlier = [c for _, c in gate.reviews_of(session, case["id"], d["proposal_seq"])
                   if gate.is_board_opinion(c)]
        if earlier and earlier[-1]["review_id"] != d["review_id"]:
            raise DomainRuleViolated(
                f"proposal {d['proposal_seq']} is under review {earlier[-1]['review_id']}; "
                f"an opinion of review {d['review_id']} cannot replace its opinion",
                code="board_review_mismatch",
                details={"review_id": earlier[-1]["review_id"], "got": d["review_id"]})
        reviewer = Actor(id=event["actor"]["id"], role=event["actor"]["role"],
                         agency=event["agency"], name=event["actor"].get("name") or "")
        content = {"case_id": case["id"], "proposal_seq": d["proposal_seq"],
                   "opinion": d["opinion"], "reasons": d["reasons"],
                   "reviewers": d["reviewers"], "reviewed_at": d["issued_at"],
                   "approving": d["approving"], "final": d["final"], "stage": d["stage"],
                   "review_id": d["review_id"], "message_id": event["message_id"],
                   "on_time": d["on_time"], "findings": d["findings"],
                   "collective": d["collective"], "document": d["document"]}
        seq, h, _ = chain.append(session, case, kind="legal_review", actor=reviewer, now=now,
                                 occurred_at=datetime.fromisoformat(d["issued_at"]),
                                 content=content)
        appended(outbox, session, case, reviewer, seq, h, "legal_review")
        return seq


def issue_decision(p, *, actor, db, outbox, rules, now, peers=None) -> dict:
    body = dump(m.IssueDecision, p)
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor, roles=("head",))
        proposal = json.loads(entry_at(session, case["id"], p["proposal_seq"],
                                     "decision_proposed").body)["content"]
        issued = session.execute(select(entries.c.body).where(entries.c.case_id == case["id"])
                                 .where(entries.c.kind == "decision_issued")).scalars().all()
        if any(json.loads(b)["content"]["proposal_seq"] == p["proposal_seq"] for b in issued):
            raise Conflict(f"proposal {p['proposal_seq']} was already issued",
                           code="already_issued")
        major = proposal["classification"]["major"]
        review_seq = discussion_seq = None
        if major:
            review_seq, discussion_seq = gate.approving_review(
                session, case, p["proposal_seq"], peers, rules.ruleset(case["ruleset"]))
        content = dict(body, major=major, legal_review_seq=review_seq)
        if discussion_seq is not None:
            content["collective_discussion_seq"] = discussion_seq
        seq, h, _ = chain.append(session, case, kind="decision_issued", actor=actor, now=now,
                                 occurred_at=p["issued_at"], content=content)
        party = next(x for x in case["parties"] if x["id"] == proposal["decision"]["party_id"])
        emit(outbox, session, case, actor, "decision_issued.v1", {
            "case_id": case["id"], "case_no": case["case_no"], "seq": seq,
            "proposal_seq": p["proposal_seq"], "decision_no": p["decision_no"],
            "issued_at": body["issued_at"], "decision": proposal["decision"], "major": major,
            "legal_review_seq": review_seq, "party": party,
            "agency_name": rules.agency(case["agency"]).name})
        return appended(outbox, session, case, actor, seq, h, "decision_issued")
