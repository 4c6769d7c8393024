"""Decision commands of the record keeper: propose a decision (classified by the rule set's
major-decision catalogue), enter the legal-review opinion where no review board gives it,
issue the decision — a major one only after an approving review, the board's where it gave
one (000《法制审核办法》第三条, 002 第五条, 004 第五十条; the gate itself: domain.gate)."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from contracts.records import messages as m
from services.records import store
from services.records.domain import gate, stages
from shared.contracts.registry import dump
from shared.errors import Conflict, DomainRuleViolated, ValidationFailed
from shared.law.major import DecisionProposal, classify
from shared.law.review import collective_discussion_owed
from shared.messaging.outbox import OutboxWriter
from shared.persistence.db import Db
from shared.rulesets import provider as rulebook
from shared.rulesets.provider import Rules
from shared.rulesets.repository import RuleSet
from shared.trust.actor import Actor

if TYPE_CHECKING:
    from services.records.dependencies import BoardClient
    from shared.messaging.peers import PeerDirectory


def propose_decision(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                     now: datetime) -> dict:
    body = dump(m.ProposeDecision, p)
    d = p["decision"]
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        if case["stage"] != "decision":
            raise DomainRuleViolated("a decision is proposed in stage decision (审查决定); "
                                     f"the case is in {case['stage']}", code="wrong_stage",
                                     message_zh="拟作决定应在审查决定阶段提出；案件当前处于"
                                                f"{stages.STAGE_LABELS[case['stage']]}阶段")
        party = next((x for x in case["parties"] if x["id"] == d["party_id"]), None)
        if party is None:
            raise ValidationFailed.from_messages({"decision.party_id": [
                f"not a party of case {case['case_no']}"]})
        verdict = classify(rules.ruleset(case["ruleset"]), DecisionProposal.from_request(
            d, party["kind"])).to_dict()
        seq, h, _ = store.append(session, case, kind="decision_proposed", actor=actor, now=now,
                                 occurred_at=p["occurred_at"],
                                 content={"decision": body["decision"], "classification": verdict})
        acted = store.actor_ids(session, case["id"])
        store.emit(outbox, session, case, actor, "decision_proposed.v1", {
            "case_id": case["id"], "case_no": case["case_no"], "proposal_seq": seq,
            "case_title": case["title"], "decision": body["decision"], "party": party,
            "major": verdict["major"], "fired": verdict["fired"], "handlers": case["handlers"],
            "participants": sorted(set(acted) - set(case["handlers"]))})
        result = store.appended(outbox, session, case, actor, seq, h, "decision_proposed")
    result["classification"] = verdict
    return result


def enter_legal_review(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                       now: datetime, board: BoardClient) -> dict:
    """A legal review entered by the legal unit, for deployments without a review board.
    Refused where the board gave an opinion on the proposal (its disagreement path changes
    it) or where the deployed board reviews the proposal (_manual_entry); the entry records
    whether its reviewers were checked against the board's staff register."""
    body = dump(m.EnterLegalReview, p)
    if body.get("counsel_opinion") is None:
        body.pop("counsel_opinion", None)  # entered where no counsel opinion is owed
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        proposal = gate.Proposal.of(p["proposal_seq"], store.content_at(
            session, case["id"], p["proposal_seq"], "decision_proposed"))
        rs = rules.ruleset(case["ruleset"])
        opinions = rulebook.opinion_types(rs)
        if p["opinion"] not in opinions:
            raise ValidationFailed.from_messages({"opinion": [
                f"not an opinion type of {rs.ref}; one of {', '.join(opinions)}"]})
        gate.refuse_over_board(store.reviews_of(session, case["id"], p["proposal_seq"]),
                               p["proposal_seq"], rs)
        register = _manual_entry(board, case, proposal, p, rs)
        gate.refuse_without_counsel(rs, p["counsel_opinion"], major=proposal.major)
        # 周村 004 第五十五条: a passed review goes to 集体讨论; elsewhere the legal unit flags
        # it where the law requires it, as the review board's reviewers do (gate.approval)
        owed = collective_discussion_owed(rs, opinions[p["opinion"]],
                                          p["collective_discussion_required"], p["opinion"])
        content = dict(body, approving=opinions[p["opinion"]], final=not owed,
                       collective_discussion_owed=owed, staff_register=register)
        seq, h, _ = store.append(session, case, kind="legal_review", actor=actor, now=now,
                                 occurred_at=p["reviewed_at"], content=content)
        return store.appended(outbox, session, case, actor, seq, h, "legal_review")


def _manual_entry(board: BoardClient, case: dict, proposal: gate.Proposal, p: dict,
                  rs: RuleSet) -> dict:
    """Where no board opinion exists: with the board deployed, the proposal is the board's
    where it is major or the board holds a review of it (gate.refuse_pre_empting); otherwise
    the named reviewers are checked against the board's staff register. Without the board
    there is no register to check: the entry says so. Returns what the entry records."""
    if not board.deployed():
        return dict(gate.UNCHECKED_REGISTER)
    if proposal.major:
        gate.refuse_pre_empting(p["proposal_seq"], rs)
    answer = board.check_manual_review(
        agency=case["agency"], case_id=case["id"], proposal_seq=p["proposal_seq"],
        act_type=proposal.act_type, reviewers=p["reviewers"])
    if answer["review"] is not None:
        gate.refuse_pre_empting(p["proposal_seq"], rs, answer["review"])
    return gate.checked_register(answer)


def issue_decision(p: dict, *, actor: Actor, db: Db, outbox: OutboxWriter, rules: Rules,
                   now: datetime, peers: PeerDirectory | None = None) -> dict:
    body = dump(m.IssueDecision, p)
    with db.transaction() as session:
        case = store.writable_case(session, p["case_id"], actor)
        proposal = store.content_at(session, case["id"], p["proposal_seq"], "decision_proposed")
        if p["proposal_seq"] in store.issued_proposals(session, case["id"]):
            raise Conflict(f"proposal {p['proposal_seq']} was already issued",
                           message_zh=f"第{p['proposal_seq']}号拟作决定已作出决定",
                           code="already_issued")
        major = proposal["classification"]["major"]
        review_seq = discussion_seq = None
        if major:
            review_seq, discussion_seq = _approving_review(
                session, case, p["proposal_seq"], peers, rules.ruleset(case["ruleset"]))
        content = dict(body, major=major, legal_review_seq=review_seq)
        if discussion_seq is not None:
            content["collective_discussion_seq"] = discussion_seq
        seq, h, _ = store.append(session, case, kind="decision_issued", actor=actor, now=now,
                                 occurred_at=p["issued_at"], content=content)
        party = next(x for x in case["parties"] if x["id"] == proposal["decision"]["party_id"])
        store.emit(outbox, session, case, actor, "decision_issued.v1", {
            "case_id": case["id"], "case_no": case["case_no"], "seq": seq,
            "proposal_seq": p["proposal_seq"], "decision_no": p["decision_no"],
            "issued_at": body["issued_at"], "decision": proposal["decision"], "major": major,
            "legal_review_seq": review_seq, "party": party,
            "agency_name": rules.agency(case["agency"]).name})
        return store.appended(outbox, session, case, actor, seq, h, "decision_issued")


def _approving_review(session: Session, case: dict, proposal_seq: int,
                      peers: PeerDirectory | None, rs: RuleSet) -> tuple[int, int | None]:
    """The review a major decision is issued on (gate.counting_review), once the gate lets
    it through (gate.approval): its seq and, where a collective discussion was owed, the
    discussion's."""
    reviews = store.reviews_of(session, case["id"], proposal_seq)
    review = gate.counting_review(reviews)
    if review is None:
        raise gate.no_review(proposal_seq, peers is not None and not peers.deployed("review"))
    discussion = gate.latest_discussion(
        store.discussions_after(session, case["id"], review.seq), proposal_seq)
    return review.seq, gate.approval(review, reviews, discussion, proposal_seq, rs)
