"""The major-decision gate (000《法制审核办法》第三条, 002 第五条, 004 第五十条): which legal
review of a proposal counts, and who may enter one. Where the review board has given an
opinion on the proposal, its last opinion is the one that counts — changed only along the
rule set's disagreement path, whose every step the board publishes as a new opinion (002
第十五条; 陵川 001 附件3 第九条) — never by an opinion entered around it (000 第十一条, 002
第十六条, 004 第五十七条（九）（十三）).

Pure: the reviews, the proposal and the discussion come in as value types read by the store;
each function answers what the rules say or raises the refusal."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import (
    BoardOpinionStands,
    BoardReviewPending,
    DomainRuleViolated,
    ServiceNotDeployed,
    ValidationFailed,
)
from shared.law.review import (
    collective_discussion_always,
    counsel_opinion_material,
    disagreement_rule,
    leaders_decide,
)
from shared.rulesets.repository import RuleSet

# how the board's disagreement path runs, as its RPC methods (contracts/review)
_PATH = {"head_decides": ("contest_opinion → record_consultation → head_decide",
                          "异议 → 协商沟通 → 报请负责人决定"),
         "leaders_reexamine": ("contest_opinion → head_decide (the leaders' "
                               "re-examination, consulted or not)", "异议 → 提请局领导复核")}

OUTCOME_ZH = {"revise": "修改后重新提出", "do_not_decide": "不予作出决定",
              "refer": "移送司法机关"}

_DISCUSSION_ZH = "法制审核通过的，应当提交本机关集体讨论决定"
_LEADERS_ZH = "审核意见交由机关领导集体研究决定，集体研究决定作出前不得作出该决定"


def is_board_opinion(content: Mapping[str, Any]) -> bool:
    """An opinion the review board published (opinion_issued.v1) carries its review_id; one
    entered by a legal_unit through enter_legal_review does not."""
    return "review_id" in content


@dataclass(frozen=True)
class Review:
    """A legal_review entry about a proposal, as the gate reads it."""
    seq: int
    proposal_seq: int
    opinion: str
    approving: bool
    board: bool                      # the review board's opinion (is_board_opinion)
    review_id: str | None = None     # the board's review, for its opinions
    final: bool | None = None        # None: an entry written before entries carried it
    collective_discussion_required: bool = False   # the legal unit's flag

    @classmethod
    def of(cls, seq: int, content: Mapping[str, Any]) -> Review:
        return cls(seq=seq, proposal_seq=content["proposal_seq"],
                   opinion=content.get("opinion", ""),
                   approving=bool(content.get("approving")),
                   board=is_board_opinion(content), review_id=content.get("review_id"),
                   final=bool(content["final"]) if "final" in content else None,
                   collective_discussion_required=bool(
                       content.get("collective_discussion_required")))


@dataclass(frozen=True)
class Proposal:
    """A decision_proposed entry, as the gate reads it."""
    seq: int
    major: bool
    act_type: str

    @classmethod
    def of(cls, seq: int, content: Mapping[str, Any]) -> Proposal:
        return cls(seq=seq, major=content["classification"]["major"],
                   act_type=content["decision"]["act_type"])


@dataclass(frozen=True)
class Discussion:
    """A collective_discussion record (集体讨论记录, 004 第三十七条) after a review."""
    seq: int
    outcome: str | None              # None: recorded before discussions recorded one
    proposal_seq: int | None = None  # None: recorded before records named the proposal

    def is_about(self, proposal_seq: int) -> bool:
        """One naming the proposal, or one naming no proposal."""
        return self.proposal_seq in (None, proposal_seq)


def counting_review(reviews: Sequence[Review]) -> Review | None:
    """The review a decision on the proposal is issued on: the board's last opinion where
    the board gave one, else the last review entered."""
    board = [r for r in reviews if r.board]
    if board:
        return board[-1]
    return reviews[-1] if reviews else None


def latest_discussion(discussions: Iterable[Discussion], proposal_seq: int
                      ) -> Discussion | None:
    """The leaders' last word on the proposal: the first of `discussions` (latest first)
    that is about it."""
    return next((d for d in discussions if d.is_about(proposal_seq)), None)


def disagreement_path(rs: RuleSet) -> dict:
    """The rule set's disagreement procedure (review.disagreement; where a rule set is
    silent the agency's head decides, as the review board reads it)."""
    rule = disagreement_rule(rs)
    rpc, zh = _PATH[rule["value"]]
    return {"procedure": rule["value"], "basis": rule["basis"], "rpc": rpc, "zh": zh}


# ---- who may enter a review by hand --------------------------------------------------

def refuse_without_counsel(rs: RuleSet, counsel_opinion: Mapping[str, Any] | None, *,
                           major: bool) -> None:
    """A legal review of a major decision entered by hand carries the legal counsel's 法律意见书
    where the rule set requires one before the opinion (review.legal_counsel: required; 陵川
    001 工作方案 四(三)一: 对我局做出的重大执法决定，法律顾问应通过出具法律意见书等形式进行审核),
    as the review board requires it on file before its opinion."""
    if not major or counsel_opinion is not None or counsel_opinion_material(rs) is None:
        return
    basis = str(rs.section("review")["legal_counsel"].get("basis", rs.ref))
    raise DomainRuleViolated(
        f"{rs.ref} requires the legal counsel's opinion before a legal review's opinion "
        f"({basis}): enter it as counsel_opinion",
        code="legal_counsel_opinion_missing",
        message_zh=f"{rs.ref} 要求法律顾问先出具法律意见书（{basis}），录入法制审核意见时应"
                   "在 counsel_opinion 中填写",
        details={"field": "counsel_opinion", "basis": basis})


def refuse_over_board(reviews: Sequence[Review], proposal_seq: int, rs: RuleSet) -> None:
    """A legal review entered by hand may not stand beside the board's opinion."""
    board = [r for r in reviews if r.board]
    if not board:
        return
    last = board[-1]
    path = disagreement_path(rs)
    raise BoardOpinionStands(
        f"the review board gave its opinion {last.opinion!r} on proposal "
        f"{proposal_seq} (seq {last.seq}, review {last.review_id}); only the rule set's "
        f"disagreement path changes it: {path['rpc']} on the review board ({path['basis']})",
        message_zh=f"法制审核机构已出具审核意见（第{last.seq}号记录），只能通过{path['zh']}改变",
        details={"board_opinion_seq": last.seq, "review_id": last.review_id,
                 "opinion": last.opinion, "proposal_seq": proposal_seq,
                 "disagreement": path})


UNCHECKED_REGISTER = {
    "checked": False, "reason": "the review board (service `review`, which keeps the staff "
    "register) is not deployed: reviewers as the legal unit names them"}


def refuse_pre_empting(proposal_seq: int, rs: RuleSet, review: dict | None = None) -> None:
    """With the board deployed, a major proposal is the board's to review (it takes every one
    up from decision_proposed.v1), and so is any proposal it holds a review of (`review`): an
    entry by hand would pre-empt it."""
    path = disagreement_path(rs)
    held = (f"it holds review {review['review_id']} ({review['state']})" if review
            else "it takes up every major proposal from decision_proposed.v1")
    held_zh = (f"正在审核（审核 {review['review_id']}，{review['state']}）" if review
               else "对每项重大执法决定的拟作决定（decision_proposed.v1）进行审核")
    raise BoardReviewPending(
        f"the review board is deployed and {held}: its opinion on proposal "
        f"{proposal_seq} is awaited, and an opinion entered here would pre-empt it; "
        f"disagree with the board's opinion along {path['rpc']} ({path['basis']})",
        message_zh=f"法制审核机构已部署并{held_zh}：第{proposal_seq}号拟作决定的审核意见尚待出具，"
                   f"不得另行录入审核意见；对审核意见有异议的，按{path['zh']}办理（{path['basis']}）",
        details={"proposal_seq": proposal_seq, "review": review, "disagreement": path})


def checked_register(answer: Mapping[str, Any]) -> dict:
    """The board's check of the named reviewers against its staff register
    (review.check_manual_review): refused naming each reviewer's problems, else what the
    entry records about it."""
    bad = {f"reviewers.{i}": [x["message"] + (f" ({x['basis']})" if x["basis"] else "")
                              for x in check["problems"]]
           for i, check in enumerate(answer["reviewers"]) if check["problems"]}
    if bad:
        raise ValidationFailed.from_messages(bad)
    return {"checked": True, "ruleset": answer["ruleset"],
            "reviewers": [{"named": c["named"], "person_id": c["person_id"]}
                          for c in answer["reviewers"]]}


def refuse_other_board_review(earlier: Sequence[Review], proposal_seq: int,
                              review_id: str) -> None:
    """The board keeps one review per proposal and changes its opinion only by a new opinion
    of that review (disagreement → consultation → head, 002 第十五条)."""
    board = [r for r in earlier if r.board]
    if board and board[-1].review_id != review_id:
        raise DomainRuleViolated(
            f"proposal {proposal_seq} is under review {board[-1].review_id}; "
            f"an opinion of review {review_id} cannot replace its opinion",
            message_zh=f"第{proposal_seq}号拟作决定由审核 {board[-1].review_id} 审核，"
                       f"审核 {review_id} 的意见不能取代其审核意见",
            code="board_review_mismatch",
            details={"review_id": board[-1].review_id, "got": review_id})


# ---- may a major decision be issued ---------------------------------------------------

def no_review(proposal_seq: int, board_absent: bool) -> DomainRuleViolated | ServiceNotDeployed:
    """The refusal of a major decision that no legal review was given on: the board is
    missing from the deployment (`board_absent`), or its opinion is awaited."""
    if board_absent:
        return ServiceNotDeployed(
            "this is a major decision (重大执法决定) and the review board (service `review`) "
            "is not deployed: it cannot be issued before an approving legal review. Deploy "
            "`review`, or let a legal_unit actor enter the review with enter_legal_review.",
            message_zh="重大执法决定须经法制审核：法制审核服务（review）未部署，"
                       "可由法制审核机构通过 enter_legal_review 录入审核意见",
            details={"service": "review", "proposal_seq": proposal_seq})
    return DomainRuleViolated(
        "this is a major decision (重大执法决定): it cannot be issued before an approving "
        "legal review (法制审核). The review board's opinion is awaited (or, where no board "
        "is deployed, a legal_unit actor enters it with enter_legal_review).",
        code="legal_review_required",
        message_zh="重大执法决定未经法制审核或审核未通过，不得作出决定",
        details={"proposal_seq": proposal_seq})


def approval(review: Review, reviews: Sequence[Review], discussion: Discussion | None,
             proposal_seq: int, rs: RuleSet) -> int | None:
    """The counting review of the proposal (counting_review) must approve, and be final —
    not waiting for the collective discussion 周村 requires (000 第三条, 002 第五条, 004
    第五十条, 第五十五条). Returns, where the discussion was owed, the seq of the
    collective_discussion record that followed the review (`discussion`: the latest one
    about the proposal after it); None where none was owed.

    The review board records the discussion itself and sends a final opinion after it. A
    review entered by a legal_unit (enter_legal_review, no review board) that the rule set
    or the legal unit's flag sends to 集体讨论 is final only once a collective_discussion
    record about the proposal follows it in the chain; an entry written before such entries
    carried `final` is read by the case's rule set, not as final. Whichever way the review
    came, the latest discussion about the proposal after it must not have decided against
    the decision (its `outcome`; none recorded reads as deciding).

    A review whose opinion leaves the decision to the leaders (陵川 001 附件3 第七条（八）,
    review.collective_opinions) approves nothing itself: the collective discussion after it
    decides — the board's final opinion after the discussion it records, or, for a review
    entered by hand, the collective_discussion record that follows it."""
    if leaders_decide(rs, review.opinion) and not (review.board and review.final is not False):
        return _leaders_decided(review, discussion, proposal_seq, rs)
    _approves(review, reviews)
    # a discussion on the proposal after its approving review that decided against it
    # stands, however the review came in (004 第五十五条: 集体讨论决定)
    if discussion is not None:
        _discussion_decides(discussion, review.seq, proposal_seq)
    if review.board:
        if review.final is None or review.final:
            return None
        raise DomainRuleViolated(
            f"the legal review at seq {review.seq} passed, but the rule set requires 集体讨论 "
            "before the decision; the review board records it (record_collective_"
            "discussion)", code="collective_discussion_required", message_zh=_DISCUSSION_ZH,
            details={"review_seq": review.seq})
    final = review.final if review.final is not None else not collective_discussion_always(rs)
    if final:
        return None
    if discussion is not None:
        return discussion.seq
    raise _discussion_required(review, rs)


def _approves(review: Review, reviews: Sequence[Review]) -> None:
    if review.approving:
        return
    # entries by hand beside the board's opinion (written before they were refused) count
    # for nothing; a finding names any decision issued on one (decision_not_on_board_opinion)
    ignored = [r.seq for r in reviews if review.board and not r.board]
    raise DomainRuleViolated(
        f"the legal review at seq {review.seq} did not approve (opinion {review.opinion}); "
        "a major decision cannot be issued"
        + (f" (the reviews entered outside the board at seq {', '.join(map(str, ignored))}"
           " do not count beside its opinion)" if ignored else ""),
        message_zh=f"第{review.seq}号记录的法制审核意见未同意（{review.opinion}），不得作出重大执法决定"
        + (f"（第{'、'.join(map(str, ignored))}号记录为法制审核机构之外录入的审核意见，"
           "不与其审核意见并计）" if ignored else ""),
        code="legal_review_not_approving",
        details={"review_seq": review.seq, "opinion": review.opinion, "ignored": ignored})


def _leaders_decided(review: Review, discussion: Discussion | None, proposal_seq: int,
                     rs: RuleSet) -> int:
    """The seq of the collective discussion that decided a case the review left to the
    leaders; refused until one decided to make the decision (on the board, until the board
    recorded it and gave its final opinion)."""
    if review.board:
        raise DomainRuleViolated(
            f"the review board's opinion at seq {review.seq} ({review.opinion!r}) leaves the "
            "decision to the leaders' collective discussion; the review board records it "
            "(record_collective_discussion) and its conclusion decides",
            code="collective_discussion_required", message_zh=_LEADERS_ZH,
            details={"review_seq": review.seq, "opinion": review.opinion})
    if discussion is None:
        raise _discussion_required(review, rs)
    _discussion_decides(discussion, review.seq, proposal_seq)
    return discussion.seq


def _discussion_required(review: Review, rs: RuleSet) -> DomainRuleViolated:
    zh = _DISCUSSION_ZH
    if leaders_decide(rs, review.opinion):
        why = (f"gave opinion {review.opinion!r}, which leaves the decision to the leaders' "
               "collective discussion (review.collective_opinions)")
        zh = _LEADERS_ZH
    elif review.collective_discussion_required:
        why = ("passed, but the legal unit marked 集体讨论 as required by law for it "
               "(行政处罚法 第五十七条第二款)")
    else:
        rule = rs.section("review")["collective_discussion_required"]
        why = f"passed, but {rs.ref} requires 集体讨论 before the decision ({rule['basis']})"
    return DomainRuleViolated(
        f"the legal review at seq {review.seq} {why}: append a collective_discussion "
        "record (append_record) deciding on the proposal after the review",
        code="collective_discussion_required", message_zh=zh,
        details={"review_seq": review.seq, "ruleset": rs.ref,
                 "record_type": "collective_discussion"})


def _discussion_decides(discussion: Discussion, review_seq: int, proposal_seq: int) -> None:
    """集体讨论决定 (004 第五十五条): only a discussion that decided to make the decision lets
    it be issued; one that recorded no outcome is read as deciding, as before outcomes."""
    outcome = discussion.outcome
    if outcome is None or outcome == "decide":
        return
    raise DomainRuleViolated(
        f"the collective discussion at seq {discussion.seq} decided {outcome!r} on "
        f"proposal {proposal_seq}, not to make the decision: it cannot be issued"
        + (" (propose the revised decision anew)" if outcome == "revise" else ""),
        code="collective_discussion_not_deciding",
        message_zh=f"集体讨论决定{OUTCOME_ZH[outcome]}，不得作出该决定",
        details={"discussion_seq": discussion.seq, "outcome": outcome,
                 "review_seq": review_seq, "proposal_seq": proposal_seq})
