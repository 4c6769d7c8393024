"""The major-decision gate as pure rules (services.records.domain.gate), over value types and
the shipped rule sets — no database: which review counts, a major decision without one, the
board's opinion and the disagreement path, who may enter a review by hand, and the collective
discussion a review may owe (required, deciding, deciding against)."""
from __future__ import annotations

from typing import Any

import pytest

from services.records.domain import gate
from shared.errors import (
    BoardOpinionStands,
    BoardReviewPending,
    DomainRuleViolated,
    ServiceNotDeployed,
    ValidationFailed,
)
from shared.law.review import collective_discussion_always, collective_discussion_owed
from shared.rulesets.provider import Rules
from tests.agencies import ANZE, LINGCHUAN, QINYUAN, ZHOUCUN, agencies

RULES = Rules.from_config({"AGENCIES": agencies(LINGCHUAN, QINYUAN, ANZE, ZHOUCUN)})
PROPOSAL = 7


def rs(code: str):
    return RULES.agency(code).ruleset


def by_hand(seq: int, *, approving: bool = True, final: bool | None = True,
            flagged: bool = False, proposal_seq: int = PROPOSAL) -> gate.Review:
    """A review entered by the legal unit (enter_legal_review): no review_id."""
    content = {"proposal_seq": proposal_seq, "opinion": "approve" if approving else "not_approve",
               "approving": approving, "collective_discussion_required": flagged}
    if final is not None:
        content["final"] = final
    return gate.Review.of(seq, content)


def board(seq: int, *, approving: bool = True, final: bool | None = True,
          review_id: str = "review-1", proposal_seq: int = PROPOSAL) -> gate.Review:
    """An opinion of the review board (opinion_issued.v1): it carries its review_id."""
    content = {"proposal_seq": proposal_seq, "opinion": "approve" if approving else "not_approve",
               "approving": approving, "review_id": review_id}
    if final is not None:
        content["final"] = final
    return gate.Review.of(seq, content)


def refused(fn, *args) -> DomainRuleViolated:
    with pytest.raises(DomainRuleViolated) as err:
        fn(*args)
    return err.value


# ---- the value types read from entries ----------------------------------------------------

def test_a_review_is_the_boards_when_it_names_its_review():
    assert gate.is_board_opinion({"review_id": "r"}) and not gate.is_board_opinion({})
    review = board(9, final=None)
    assert (review.board, review.review_id, review.final) == (True, "review-1", None)
    manual = by_hand(8, flagged=True, final=False)
    assert (manual.board, manual.final, manual.collective_discussion_required) == \
        (False, False, True)


def test_a_proposal_reads_whether_it_is_major_and_its_act_type():
    proposal = gate.Proposal.of(PROPOSAL, {"classification": {"major": True},
                                           "decision": {"act_type": "penalty"}})
    assert (proposal.seq, proposal.major, proposal.act_type) == (PROPOSAL, True, "penalty")


# ---- which review counts ------------------------------------------------------------------

def test_no_review_counts_where_none_was_given():
    assert gate.counting_review([]) is None


def test_the_boards_last_opinion_counts_over_any_entry_by_hand():
    reviews = [board(8, approving=False), board(10), by_hand(11)]
    counting = gate.counting_review(reviews)
    assert counting is not None and counting.seq == 10


def test_without_the_board_the_last_review_entered_counts():
    counting = gate.counting_review([by_hand(8, approving=False), by_hand(9)])
    assert counting is not None and counting.seq == 9


# ---- a major decision without a review ----------------------------------------------------

def test_without_a_review_the_missing_board_is_named():
    absent = gate.no_review(PROPOSAL, board_absent=True)
    assert isinstance(absent, ServiceNotDeployed)
    assert absent.details == {"service": "review", "proposal_seq": PROPOSAL}
    awaited = gate.no_review(PROPOSAL, board_absent=False)
    assert awaited.code == "legal_review_required"
    assert awaited.details == {"proposal_seq": PROPOSAL}


# ---- the counting review must approve ------------------------------------------------------

def test_a_review_that_did_not_approve_refuses_the_decision():
    review = by_hand(8, approving=False)
    err = refused(gate.approval, review, [review], None, PROPOSAL, rs(LINGCHUAN))
    assert err.code == "legal_review_not_approving"
    assert err.details == {"review_seq": 8, "opinion": "not_approve", "ignored": []}


def test_entries_by_hand_beside_the_boards_refusal_are_named_as_not_counting():
    reviews = [by_hand(8), board(9, approving=False), by_hand(10)]
    err = refused(gate.approval, reviews[1], reviews, None, PROPOSAL, rs(LINGCHUAN))
    assert err.details["ignored"] == [8, 10]
    assert "entered outside the board at seq 8, 10" in err.message


# ---- the board's opinion ------------------------------------------------------------------

@pytest.mark.parametrize("final", [True, None], ids=["final", "written_before_final"])
def test_a_final_approving_board_opinion_lets_the_decision_through(final):
    review = board(9, final=final)
    assert gate.approval(review, [review], None, PROPOSAL, rs(ZHOUCUN)) is None


def test_a_board_approval_awaiting_the_collective_discussion_does_not():
    review = board(9, final=False)
    err = refused(gate.approval, review, [review], None, PROPOSAL, rs(LINGCHUAN))
    assert err.code == "collective_discussion_required"
    assert err.details == {"review_seq": 9}
    assert "record_collective_discussion" in err.message


def test_a_review_by_hand_may_not_stand_beside_the_boards_opinion():
    gate.refuse_over_board([by_hand(8)], PROPOSAL, rs(LINGCHUAN))  # no board: allowed
    with pytest.raises(BoardOpinionStands) as err:
        gate.refuse_over_board([board(8, approving=False), by_hand(9)], PROPOSAL,
                               rs(LINGCHUAN))
    assert err.value.details["board_opinion_seq"] == 8
    assert err.value.details["review_id"] == "review-1"
    assert err.value.details["disagreement"]["procedure"] == "leaders_reexamine"


def test_the_disagreement_path_is_the_rule_sets_or_the_heads():
    lingchuan = gate.disagreement_path(rs(LINGCHUAN))
    assert lingchuan["procedure"] == "leaders_reexamine"
    assert lingchuan["basis"].startswith("001 附件3 第九条")
    assert gate.disagreement_path(rs(ANZE))["procedure"] == "head_decides"
    silent = gate.disagreement_path(rs(QINYUAN))
    assert (silent["procedure"], silent["basis"]) == (
        "head_decides", "qinyuan-energy@1 sets no procedure; the agency head decides")
    assert silent["rpc"] == "contest_opinion → record_consultation → head_decide"


def test_lingchuan_disagreement_path_names_no_consultation_before_the_leaders():
    """001 附件3 第九条: the handling unit asks the leaders to re-examine; the path the gate
    names on a refusal does not send it through a consultation first."""
    path = gate.disagreement_path(rs(LINGCHUAN))
    assert path["rpc"].startswith("contest_opinion → head_decide")
    assert "record_consultation →" not in path["rpc"]


def test_an_opinion_of_another_review_cannot_replace_the_boards():
    earlier = [by_hand(8), board(9, review_id="review-1")]
    gate.refuse_other_board_review(earlier, PROPOSAL, "review-1")
    gate.refuse_other_board_review([by_hand(8)], PROPOSAL, "review-2")
    err = refused(gate.refuse_other_board_review, earlier, PROPOSAL, "review-2")
    assert err.code == "board_review_mismatch"
    assert err.details == {"review_id": "review-1", "got": "review-2"}


# ---- who may enter a review by hand -------------------------------------------------------

def test_a_deployed_board_takes_the_proposal_before_any_entry_by_hand():
    with pytest.raises(BoardReviewPending) as err:
        gate.refuse_pre_empting(PROPOSAL, rs(LINGCHUAN))
    assert err.value.details["review"] is None
    assert "takes up every major proposal" in err.value.message
    held = {"review_id": "review-3", "state": "under_review"}
    with pytest.raises(BoardReviewPending) as err:
        gate.refuse_pre_empting(PROPOSAL, rs(LINGCHUAN), held)
    assert err.value.details["review"] == held
    assert "it holds review review-3 (under_review)" in err.value.message


def test_the_named_reviewers_are_checked_against_the_boards_register():
    checked: dict[str, Any] = {"ruleset": "lingchuan-emergency@1", "reviewers": [
        {"named": "陈静", "person_id": "p-1", "problems": []},
        {"named": "刘洋", "person_id": None,
         "problems": [{"message": "not in the staff register", "basis": "001 第三条"}]}]}
    with pytest.raises(ValidationFailed) as err:
        gate.checked_register(checked)
    assert err.value.details == {"reviewers.1": ["not in the staff register (001 第三条)"]}
    checked["reviewers"][1]["problems"] = []
    assert gate.checked_register(checked) == {
        "checked": True, "ruleset": "lingchuan-emergency@1",
        "reviewers": [{"named": "陈静", "person_id": "p-1"},
                      {"named": "刘洋", "person_id": None}]}
    assert gate.UNCHECKED_REGISTER["checked"] is False


# ---- the collective discussion ------------------------------------------------------------

def test_which_reviews_by_hand_owe_a_collective_discussion():
    # the rule is the kernel's (shared.law.review), the one both services apply
    assert collective_discussion_always(rs(ZHOUCUN))
    assert not collective_discussion_always(rs(LINGCHUAN))
    assert collective_discussion_owed(rs(ZHOUCUN), approving=True, flagged=False)
    assert not collective_discussion_owed(rs(LINGCHUAN), approving=True, flagged=False)
    assert collective_discussion_owed(rs(LINGCHUAN), approving=True, flagged=True)
    assert not collective_discussion_owed(rs(ZHOUCUN), approving=False, flagged=True)


def test_where_the_law_decides_a_final_review_by_hand_suffices():
    review = by_hand(8, final=None)  # written before entries carried `final`
    assert gate.approval(review, [review], None, PROPOSAL, rs(LINGCHUAN)) is None


def test_zhoucun_requires_a_collective_discussion_after_the_review():
    review = by_hand(8, final=None)
    err = refused(gate.approval, review, [review], None, PROPOSAL, rs(ZHOUCUN))
    assert err.code == "collective_discussion_required"
    assert err.details == {"review_seq": 8, "ruleset": "zhoucun-district@1",
                           "record_type": "collective_discussion"}
    assert "004 第五十五条" in err.message


def test_a_flagged_review_waits_for_the_discussion_the_law_requires():
    review = by_hand(8, final=False, flagged=True)
    err = refused(gate.approval, review, [review], None, PROPOSAL, rs(ANZE))
    assert err.code == "collective_discussion_required"
    assert "行政处罚法 第五十七条第二款" in err.message


@pytest.mark.parametrize("outcome", ["decide", None], ids=["decided", "recorded_no_outcome"])
def test_a_discussion_that_decided_lets_the_decision_through_and_is_named(outcome):
    review = by_hand(8, final=False)
    discussion = gate.Discussion(9, outcome, PROPOSAL)
    assert gate.approval(review, [review], discussion, PROPOSAL, rs(ZHOUCUN)) == 9


@pytest.mark.parametrize("outcome", ["do_not_decide", "revise", "refer"])
def test_a_discussion_that_decided_against_refuses_the_decision(outcome):
    review = board(8)  # however the review came in
    discussion = gate.Discussion(9, outcome, PROPOSAL)
    err = refused(gate.approval, review, [review], discussion, PROPOSAL, rs(LINGCHUAN))
    assert err.code == "collective_discussion_not_deciding"
    assert err.details == {"discussion_seq": 9, "outcome": outcome, "review_seq": 8,
                           "proposal_seq": PROPOSAL}
    assert err.message_zh == f"集体讨论决定{gate.OUTCOME_ZH[outcome]}，不得作出该决定"
    assert ("propose the revised decision anew" in err.message) == (outcome == "revise")


def test_the_latest_discussion_about_the_proposal_is_the_leaders_last_word():
    latest_first = [gate.Discussion(12, "decide", PROPOSAL + 1),
                    gate.Discussion(11, "revise", None), gate.Discussion(10, "decide", PROPOSAL)]
    latest = gate.latest_discussion(latest_first, PROPOSAL)
    assert latest is not None and latest.seq == 11
    assert gate.latest_discussion(latest_first[:1], PROPOSAL) is None
    latest = gate.latest_discussion(iter(latest_first), PROPOSAL + 1)
    assert latest is not None and latest.seq == 12


# ---- 陵川 001 附件3 第七条（八）: an opinion leaving the decision to the leaders ----------

def test_lingchuan_review_by_hand_leaving_it_to_the_leaders_waits_for_their_deciding_discussion():
    content = {"proposal_seq": PROPOSAL, "opinion": "collective_decision", "approving": False,
               "final": False, "collective_discussion_required": False}
    review = gate.Review.of(8, content)
    assert collective_discussion_owed(rs(LINGCHUAN), approving=False, flagged=False,
                                      opinion="collective_decision")
    err = refused(gate.approval, review, [review], None, PROPOSAL, rs(LINGCHUAN))
    assert err.code == "collective_discussion_required"
    assert "collective_decision" in err.message
    decided = gate.Discussion(9, "decide", PROPOSAL)
    assert gate.approval(review, [review], decided, PROPOSAL, rs(LINGCHUAN)) == 9
    against = refused(gate.approval, review, [review], gate.Discussion(9, "do_not_decide",
                                                                       PROPOSAL),
                      PROPOSAL, rs(LINGCHUAN))
    assert against.code == "collective_discussion_not_deciding"


def test_lingchuan_board_opinion_leaving_it_to_the_leaders_waits_for_their_final_word():
    """The board records the leaders' discussion itself (record_collective_discussion) and
    publishes their conclusion as its final opinion, which alone counts."""
    content = {"proposal_seq": PROPOSAL, "opinion": "collective_decision", "approving": False,
               "final": False, "review_id": "review-1"}
    pending = gate.Review.of(8, content)
    err = refused(gate.approval, pending, [pending], None, PROPOSAL, rs(LINGCHUAN))
    assert (err.code, err.details["opinion"]) == ("collective_discussion_required",
                                                  "collective_decision")
    decided = gate.Review.of(9, dict(content, approving=True, final=True))
    assert gate.approval(decided, [pending, decided], None, PROPOSAL, rs(LINGCHUAN)) is None
    against = gate.Review.of(9, dict(content, approving=False, final=True))
    err = refused(gate.approval, against, [pending, against], None, PROPOSAL, rs(LINGCHUAN))
    assert err.code == "legal_review_not_approving"
