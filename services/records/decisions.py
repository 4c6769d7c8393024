"""Decision use cases of the record keeper: propose a decision (classified by the rule set's
major-decision catalogue), enter the legal-review opinion, issue the decision — a major one
only after an approving review (000《法制审核办法》第三条, 002 第五条, 004 第五十条)."""
from __future__ import annotations

import json

from sqlalchemy import select

from contracts.records import messages as m
from services.records import chain
from services.records.models import entries
from services.records.usecases import appended, emit, entry_at, writable_case
from shared import rules as rulebook
from shared.catalogue import DecisionProposal, classify
from shared.contracts import dump
from shared.errors import Conflict, DomainRuleViolated, ValidationFailed
from shared.rules import Rules


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
        verdict = classify(rules.ruleset(case["ruleset"]), DecisionProposal(
            act_type=d["act_type"], party_kind=party["kind"], fine_amount=d.get("fine_amount"),
            measures=tuple(d["measures"]), hearing_held=d["hearing_held"],
            grounds=tuple(d["grounds"]), procedure=d["procedure"],
            licence_action=d.get("licence_action"),
            coercive_execution=d.get("coercive_execution"))).to_dict()
        seq, h, _ = chain.append(session, case, kind="decision_proposed", actor=actor, now=now,
                                 occurred_at=p["occurred_at"],
                                 content={"decision": body["decision"], "classification": verdict})
        emit(outbox, session, case, actor, "decision_proposed.v1", {
            "case_id": case["id"], "case_no": case["case_no"], "proposal_seq": seq,
            "decision": body["decision"], "major": verdict["major"], "fired": verdict["fired"]})
        result = appended(outbox, session, case, actor, seq, h, "decision_proposed")
    result["classification"] = verdict
    return result


def enter_legal_review(p, *, actor, db, outbox, rules, now) -> dict:
    body = dump(m.EnterLegalReview, p)
    with db.transaction() as session:
        case = writable_case(session, p["case_id"], actor, roles=("legal_unit",))
        entry_at(session, case["id"], p["proposal_seq"], "decision_proposed")
        rs = rules.ruleset(case["ruleset"])
        opinions = rulebook.opinion_types(rs)
        if p["opinion"] not in opinions:
            raise ValidationFailed.from_messages({"opinion": [
                f"not an opinion type of {rs.ref}; one of {', '.join(opinions)}"]})
        content = dict(body, approving=opinions[p["opinion"]])
        seq, h, _ = chain.append(session, case, kind="legal_review", actor=actor, now=now,
                                 occurred_at=p["reviewed_at"], content=content)
        return appended(outbox, session, case, actor, seq, h, "legal_review")


def issue_decision(p, *, actor, db, outbox, rules, now) -> dict:
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
        review_seq = None
        if major:
            review_seq = _approving_review(session, case, p["proposal_seq"], rules)
        seq, h, _ = chain.append(session, case, kind="decision_issued", actor=actor, now=now,
                                 occurred_at=p["issued_at"],
                                 content=dict(body, major=major, legal_review_seq=review_seq))
        party = next(x for x in case["parties"] if x["id"] == proposal["decision"]["party_id"])
        emit(outbox, session, case, actor, "decision_issued.v1", {
            "case_id": case["id"], "case_no": case["case_no"], "seq": seq,
            "proposal_seq": p["proposal_seq"], "decision_no": p["decision_no"],
            "issued_at": body["issued_at"], "decision": proposal["decision"], "major": major,
            "legal_review_seq": review_seq, "party": party,
            "agency_name": rules.agency(case["agency"]).name})
        return appended(outbox, session, case, actor, seq, h, "decision_issued")


def _approving_review(session, case, proposal_seq: int, rules: Rules) -> int:
    """The latest legal review of the proposal must approve (000 第三条, 002 第五条)."""
    reviews = session.execute(select(entries.c.seq, entries.c.body)
                              .where(entries.c.case_id == case["id"])
                              .where(entries.c.kind == "legal_review")
                              .order_by(entries.c.seq.desc())).all()
    for seq, raw in reviews:
        content = json.loads(raw)["content"]
        if content["proposal_seq"] == proposal_seq:
            if content["approving"]:
                return seq
            raise DomainRuleViolated(
                f"the legal review at seq {seq} did not approve (opinion {content['opinion']}); "
                "a major decision cannot be issued", code="legal_review_not_approving",
                details={"review_seq": seq, "opinion": content["opinion"]})
    raise DomainRuleViolated(
        "this is a major decision (重大执法决定): it cannot be issued before an approving "
        "legal review (法制审核). A legal_unit actor enters it with enter_legal_review.",
        code="legal_review_required", message_zh="重大执法决定未经法制审核或审核未通过，不得作出决定",
        details={"proposal_seq": proposal_seq})
