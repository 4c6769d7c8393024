"""shared.law.review: when a passed legal review still owes the agency's collective discussion
(集体讨论) — the one rule the record keeper and the review board both apply."""
from __future__ import annotations

from shared.law.review import (
    collective_discussion_always,
    collective_discussion_owed,
    disagreement_rule,
)
from shared.rulesets.provider import opinion_types
from shared.rulesets.repository import RuleSetRepository

REPO = RuleSetRepository.default()
QINYUAN, ANZE, LINGCHUAN, ZHOUCUN, CHANGZHI = (
    REPO.get(ref) for ref in ("qinyuan-energy", "anze-county", "lingchuan-emergency",
                              "zhoucun-district", "changzhi-energy"))


def test_collective_discussion_owed_in_zhoucun_for_every_passed_review():
    approve = opinion_types(ZHOUCUN)["approve"]
    correct = opinion_types(ZHOUCUN)["correct"]
    assert collective_discussion_always(ZHOUCUN) is True
    assert collective_discussion_owed(ZHOUCUN, approve, False) is True
    assert collective_discussion_owed(ZHOUCUN, correct, False) is False


def test_collective_discussion_elsewhere_only_when_flagged():
    for rs in (QINYUAN, ANZE, LINGCHUAN, CHANGZHI):
        approve = opinion_types(rs)["approve"]
        assert collective_discussion_always(rs) is False
        assert collective_discussion_owed(rs, approve, False) is False
        assert collective_discussion_owed(rs, approve, True) is True
    # a review that did not pass owes nothing, flagged or not
    assert collective_discussion_owed(QINYUAN, False, True) is False


def test_the_disagreement_procedure_is_the_rule_sets_or_the_head_decides():
    assert disagreement_rule(LINGCHUAN)["value"] == LINGCHUAN.section("review")[
        "disagreement"]["value"]
    silent = disagreement_rule(QINYUAN)
    assert silent == {"value": "head_decides",
                      "basis": f"{QINYUAN.ref} sets no procedure; the agency head decides"}
