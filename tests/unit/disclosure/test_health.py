"""What `health` says of each agency served: the rule set its publication periods come from and
whether review comes before publishing."""
from __future__ import annotations

from services.disclosure.dependencies import health
from tests import agencies
from tests.unit.disclosure.support import RULES


def test_health_names_each_agencys_publication_periods():
    said = health(RULES)["disclosure"]
    assert set(said) == set(RULES.agencies)
    assert said[agencies.QINYUAN] == {
        "ruleset": "qinyuan-energy@1", "publish_licence_penalty": "7 workdays",
        "publish_other_decision": "20 workdays", "withdraw_changed_publication": "3 workdays",
        "prepublication_review": True}
