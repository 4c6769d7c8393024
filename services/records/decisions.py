"""Decision use cases of the record keeper: propose a decision (classified by the rule set's
major-decision catalogue), enter the legal-review opinion, issue the decision — a major one
only after an approving review (000《法制审核办法》第三条, 002 第五条, 004 第五十条)."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from contracts.records import messages as m
from contracts.review import CONTRACT as REVIEW
from services.records import chain
from services.records.models import entries, inbox
from services.records.usecases import appended, emit, entry_at, writable_case
from shared import consumer
from shared import rules as rulebook
from shared.actor import Actor
from shared.catalogue import DecisionProposal, classify
from shared.contracts import dump
from shared.errors import Conflict, DomainRuleViolated, ServiceNotDeployed, ValidationFailed


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
        # 周村 004 第五十五条: a passed review goes to 集体讨论; elsewhere the legal unit flags
        # it where the law requires it (行政处罚法 第五十七条第二款), as the review board's
        # reviewers do. Such an approval is not final until a collective_discussion record
        # deciding on it follows (see _approving_review)
        owed = opinions[p["opinion"]] and (_collective_discussion_always(rs)
                                           or p["collective_discussion_required"])
        content = dict(body, approving=opinions[p["opinion"]], final=not owed,
                       collective_discussion_owed=owed)
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
            review_seq, discussion_seq = _approving_review(
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


def _collective_discussion_always(rs) -> bool:
    """Does every passed review go to 集体讨论 under this rule set (周村 004 第五十五条)?
    Elsewhere only when the law requires it, which the review board's reviewers flag."""
    return rs.section("review")["collective_discussion_required"]["value"] == "always"


def _approving_review(session, case, proposal_seq: int, peers, rs) -> tuple[int, int | None]:
    """The latest legal review of the proposal must approve, and be final — not waiting for
    the collective discussion 周村 requires (000 第三条, 002 第五条, 004 第五十条, 第五十五条).
    Returns the review's seq and, where the discussion was owed, the seq of the
    collective_discussion record that followed it.

    The review board records the discussion itself and sends a final opinion after it. A
    review entered by a legal_unit (enter_legal_review, no review board) that the rule set
    or the legal unit's flag sends to 集体讨论 is final only once a collective_discussion
    record about the proposal follows it in the chain; an entry written before such entries
    carried `final` is read by the case's rule set, not as final. Whichever way the review
    came, the latest discussion about the proposal after it must not have decided against
    the decision (its `outcome`; none recorded reads as deciding)."""
    reviews = session.execute(select(entries.c.seq, entries.c.body)
                              .where(entries.c.case_id == case["id"])
                              .where(entries.c.kind == "legal_review")
                              .order_by(entries.c.seq.desc())).all()
    for seq, raw in reviews:
        content = json.loads(raw)["content"]
        if content["proposal_seq"] != proposal_seq:
            continue
        if not content["approving"]:
            raise DomainRuleViolated(
                f"the legal review at seq {seq} did not approve (opinion {content['opinion']}); "
                "a major decision cannot be issued", code="legal_review_not_approving",
                details={"review_seq": seq, "opinion": content["opinion"]})
        # a discussion on the proposal after its approving review that decided against it
        # stands, however the review came in (004 第五十五条: 集体讨论决定)
        discussion = _discussion_after(session, case["id"], seq, proposal_seq)
        if discussion is not None:
            _discussion_decides(discussion, seq, proposal_seq)
        if "review_id" in content:  # the review board's opinion
            if content.get("final", True):
                return seq, None
            raise DomainRuleViolated(
                f"the legal review at seq {seq} passed, but the rule set requires 集体讨论 "
                "before the decision; the review board records it (record_collective_"
                "discussion)", code="collective_discussion_required",
                message_zh="法制审核通过的，应当提交本机关集体讨论决定",
                details={"review_seq": seq})
        if content.get("final", not _collective_discussion_always(rs)):
            return seq, None
        if discussion is not None:
            return seq, discussion["seq"]
        if content.get("collective_discussion_required"):
            why = ("the legal unit marked 集体讨论 as required by law for it (行政处罚法 "
                   "第五十七条第二款)")
        else:
            rule = rs.section("review")["collective_discussion_required"]
            why = f"{rs.ref} requires 集体讨论 before the decision ({rule['basis']})"
        raise DomainRuleViolated(
            f"the legal review at seq {seq} passed, but {why}: append a collective_discussion "
            "record (append_record) deciding on the proposal after the review",
            code="collective_discussion_required",
            message_zh="法制审核通过的，应当提交本机关集体讨论决定",
            details={"review_seq": seq, "ruleset": rs.ref,
                     "record_type": "collective_discussion"})
    if peers is not None and not peers.deployed("review"):
        raise ServiceNotDeployed(
            "this is a major decision (重大执法决定) and the review board (service `review`) "
            "is not deployed: it cannot be issued before an approving legal review. Deploy "
            "`review`, or let a legal_unit actor enter the review with enter_legal_review.",
            message_zh="重大执法决定须经法制审核：法制审核服务（review）未部署，"
                       "可由法制审核机构通过 enter_legal_review 录入审核意见",
            details={"service": "review", "proposal_seq": proposal_seq})
    raise DomainRuleViolated(
        "this is a major decision (重大执法决定): it cannot be issued before an approving "
        "legal review (法制审核). The review board's opinion is awaited (or a legal_unit "
        "actor enters it with enter_legal_review).",
        code="legal_review_required", message_zh="重大执法决定未经法制审核或审核未通过，不得作出决定",
        details={"proposal_seq": proposal_seq})


def _discussion_after(session, case_id: str, review_seq: int, proposal_seq: int) -> dict | None:
    """The latest collective_discussion record (集体讨论记录, 004 第三十七条) appended after the
    review at `review_seq` that is about the proposal: one naming `proposal_seq`, or one
    naming no proposal (recorded before records named it). The latest is the leaders' last
    word. Returns its seq and outcome (None where it recorded none)."""
    rows = session.execute(select(entries.c.seq, entries.c.body)
                           .where(entries.c.case_id == case_id)
                           .where(entries.c.kind == "record")
                           .where(entries.c.seq > review_seq)
                           .order_by(entries.c.seq.desc())).all()
    for seq, raw in rows:
        content = json.loads(raw)["content"]
        if content.get("record_type") != "collective_discussion":
            continue
        if content.get("proposal_seq") not in (None, proposal_seq):
            continue  # about another proposal of the case
        return {"seq": seq, "outcome": content.get("outcome")}
    return None


OUTCOME_ZH = {"revise": "修改后重新提出", "do_not_decide": "不予作出决定",
              "refer": "移送司法机关"}


def _discussion_decides(discussion: dict, review_seq: int, proposal_seq: int) -> None:
    """集体讨论决定 (004 第五十五条): only a discussion that decided to make the decision lets
    it be issued; one that recorded no outcome is read as deciding, as before outcomes."""
    outcome = discussion["outcome"]
    if outcome in (None, "decide"):
        return
    raise DomainRuleViolated(
        f"the collective discussion at seq {discussion['seq']} decided {outcome!r} on "
        f"proposal {proposal_seq}, not to make the decision: it cannot be issued"
        + (" (propose the revised decision anew)" if outcome == "revise" else ""),
        code="collective_discussion_not_deciding",
        message_zh=f"集体讨论决定{OUTCOME_ZH[outcome]}，不得作出该决定",
        details={"discussion_seq": discussion["seq"], "outcome": outcome,
                 "review_seq": review_seq, "proposal_seq": proposal_seq})
