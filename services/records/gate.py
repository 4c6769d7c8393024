"""The major-decision gate (000《法制审核办法》第三条, 002 第五条, 004 第五十条): which legal
review of a proposal counts, and who may enter one. Where the review board has given an
opinion on the proposal, its last opinion is the one that counts — changed only along the
rule set's disagreement path, whose every step the board publishes as a new opinion (002
第十五条; 陵川 001 附件3 第九条) — never by an opinion entered around it (000 第十一条, 002
第十六条, 004 第五十七条（九）（十三）)."""
from __future__ import annotations

import json

from sqlalchemy import select

from services.records.models import entries
from shared.law.review import collective_discussion_always
from shared.errors import (BoardOpinionStands, BoardReviewPending, DomainRuleViolated,
                           ServiceNotDeployed, ValidationFailed)

# how the board's disagreement path runs, as its RPC methods (contracts/review)
_PATH = {"head_decides": ("contest_opinion → record_consultation → head_decide",
                          "异议 → 协商沟通 → 报请负责人决定"),
         "leaders_reexamine": ("contest_opinion → record_consultation → head_decide "
                               "(the leaders' re-examination)", "异议 → 提请局领导复核")}


def is_board_opinion(content: dict) -> bool:
    """An opinion the review board published (opinion_issued.v1) carries its review_id; one
    entered by a legal_unit through enter_legal_review does not."""
    return "review_id" in content


def reviews_of(session, case_id: str, proposal_seq: int) -> list[tuple[int, dict]]:
    """(seq, content) of every legal_review entry about the proposal, oldest first."""
    rows = session.execute(select(entries.c.seq, entries.c.body)
                           .where(entries.c.case_id == case_id)
                           .where(entries.c.kind == "legal_review")
                           .order_by(entries.c.seq)).all()
    out = []
    for seq, raw in rows:
        content = json.loads(raw)["content"]
        if content["proposal_seq"] == proposal_seq:
            out.append((seq, content))
    return out


def counting_review(reviews: list[tuple[int, dict]]) -> tuple[int, dict] | None:
    """The review a decision on the proposal is issued on: the board's last opinion where
    the board gave one, else the last review entered."""
    board = [r for r in reviews if is_board_opinion(r[1])]
    if board:
        return board[-1]
    return reviews[-1] if reviews else None


def disagreement_path(rs) -> dict:
    """The rule set's disagreement procedure (review.disagreement; where a rule set is
    silent the agency's head decides, as the review board reads it)."""
    rule = rs.section("review").get("disagreement") or {
        "value": "head_decides", "basis": f"{rs.ref} sets no procedure; the agency head decides"}
    rpc, zh = _PATH[rule["value"]]
    return {"procedure": rule["value"], "basis": rule["basis"], "rpc": rpc, "zh": zh}


def refuse_over_board(session, case: dict, proposal_seq: int, rs) -> None:
    """A legal review entered by hand may not stand beside the board's opinion."""
    board = [r for r in reviews_of(session, case["id"], proposal_seq)
             if is_board_opinion(r[1])]
    if not board:
        return
    seq, content = board[-1]
    path = disagreement_path(rs)
    raise BoardOpinionStands(
        f"the review board gave its opinion {content['opinion']!r} on proposal "
        f"{proposal_seq} (seq {seq}, review {content['review_id']}); only the rule set's "
        f"disagreement path changes it: {path['rpc']} on the review board ({path['basis']})",
        message_zh=f"法制审核机构已出具审核意见（第{seq}号记录），只能通过{path['zh']}改变",
        details={"board_opinion_seq": seq, "review_id": content["review_id"],
                 "opinion": content["opinion"], "proposal_seq": proposal_seq,
                 "disagreement": path})


def check_manual_entry(board, case: dict, proposal: dict, p: dict, rs) -> dict:
    """Where no board opinion exists: with the board deployed, a major proposal is the
    board's to review (it takes every one up from decision_proposed.v1), and so is any
    proposal it holds a review of — an entry by hand would pre-empt it; otherwise the named
    reviewers are checked against the board's staff register. Without the board there is
    no register to check: the entry says so. Returns what the entry records about it."""
    if not board.deployed():
        return {"checked": False, "reason": "the review board (service `review`, which keeps "
                "the staff register) is not deployed: reviewers as the legal unit names them"}
    path = disagreement_path(rs)
    if proposal["classification"]["major"]:
        _pending(p, path, None)
    answer = board.check_manual_review(
        agency=case["agency"], case_id=case["id"], proposal_seq=p["proposal_seq"],
        act_type=proposal["decision"]["act_type"], reviewers=p["reviewers"])
    if answer["review"] is not None:
        _pending(p, path, answer["review"])
    bad = {f"reviewers.{i}": [x["message"] + (f" ({x['basis']})" if x["basis"] else "")
                              for x in check["problems"]]
           for i, check in enumerate(answer["reviewers"]) if check["problems"]}
    if bad:
        raise ValidationFailed.from_messages(bad)
    return {"checked": True, "ruleset": answer["ruleset"],
            "reviewers": [{"named": c["named"], "person_id": c["person_id"]}
                          for c in answer["reviewers"]]}


def _pending(p: dict, path: dict, review: dict | None):
    held = (f"it holds review {review['review_id']} ({review['state']})" if review
            else "it takes up every major proposal from decision_proposed.v1")
    raise BoardReviewPending(
        f"the review board is deployed and {held}: its opinion on proposal "
        f"{p['proposal_seq']} is awaited, and an opinion entered here would pre-empt it; "
        f"disagree with the board's opinion along {path['rpc']} ({path['basis']})",
        details={"proposal_seq": p["proposal_seq"], "review": review, "disagreement": path})


def approving_review(session, case, proposal_seq: int, peers, rs) -> tuple[int, int | None]:
    """The counting review of the proposal (counting_review) must approve, and be final —
    not waiting for the collective discussion 周村 requires (000 第三条, 002 第五条, 004
    第五十条, 第五十五条). Returns the review's seq and, where the discussion was owed, the
    seq of the collective_discussion record that followed it.

    The review board records the discussion itself and sends a final opinion after it. A
    review entered by a legal_unit (enter_legal_review, no review board) that the rule set
    or the legal unit's flag sends to 集体讨论 is final only once a collective_discussion
    record about the proposal follows it in the chain; an entry written before such entries
    carried `final` is read by the case's rule set, not as final. Whichever way the review
    came, the latest discussion about the proposal after it must not have decided against
    the decision (its `outcome`; none recorded reads as deciding)."""
    reviews = reviews_of(session, case["id"], proposal_seq)
    found = counting_review(reviews)
    if found is None:
        _no_review(proposal_seq, peers)
    seq, content = found
    # entries by hand beside the board's opinion (written before they were refused) count
    # for nothing; a finding names any decision issued on one (decision_not_on_board_opinion)
    ignored = [s for s, c in reviews if is_board_opinion(content) and not is_board_opinion(c)]
    if not content["approving"]:
        raise DomainRuleViolated(
            f"the legal review at seq {seq} did not approve (opinion {content['opinion']}); "
            "a major decision cannot be issued"
            + (f" (the reviews entered outside the board at seq {', '.join(map(str, ignored))}"
               " do not count beside its opinion)" if ignored else ""),
            code="legal_review_not_approving",
            details={"review_seq": seq, "opinion": content["opinion"], "ignored": ignored})
    # a discussion on the proposal after its approving review that decided against it
    # stands, however the review came in (004 第五十五条: 集体讨论决定)
    discussion = _discussion_after(session, case["id"], seq, proposal_seq)
    if discussion is not None:
        _discussion_decides(discussion, seq, proposal_seq)
    if is_board_opinion(content):
        if content.get("final", True):
            return seq, None
        raise DomainRuleViolated(
            f"the legal review at seq {seq} passed, but the rule set requires 集体讨论 "
            "before the decision; the review board records it (record_collective_"
            "discussion)", code="collective_discussion_required",
            message_zh="法制审核通过的，应当提交本机关集体讨论决定",
            details={"review_seq": seq})
    if content.get("final", not collective_discussion_always(rs)):
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


def _no_review(proposal_seq: int, peers):
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
        "legal review (法制审核). The review board's opinion is awaited (or, where no board "
        "is deployed, a legal_unit actor enters it with enter_legal_review).",
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
