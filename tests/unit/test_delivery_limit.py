"""The poison-message bound: the services' DELIVERY_LIMIT and the broker policy that enforces
the same number on a quorum queue (shared.messaging.consumer, shared.messaging.broker)."""
from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from shared.errors import ConfigurationError
from shared.messaging.broker import poison_policy
from shared.messaging.consumer import DELIVERY_LIMIT, delivery_limit, past_delivery_limit


def message(headers):
    return SimpleNamespace(headers=headers)


def test_a_message_is_bounded_only_on_its_last_delivery_of_a_quorum_queue():
    assert past_delivery_limit(message({}), 3) is None                 # a classic queue
    assert past_delivery_limit(message(None), 3) is None
    assert past_delivery_limit(message({"x-delivery-count": 2}), 3) is None
    refused = past_delivery_limit(message({"x-delivery-count": 3}), 3)
    assert refused is not None and refused.code == "delivery_limit_reached"
    assert refused.message.startswith("delivered 4 times without being settled")
    assert refused.message_zh.startswith("消息已投递 4 次均未处理完毕")


def test_the_limit_comes_from_config_and_a_bad_one_is_refused_by_name():
    assert delivery_limit({}) == DELIVERY_LIMIT
    assert delivery_limit({"DELIVERY_LIMIT": "5"}) == 5
    for bad in ("0", "-1", "many"):
        with pytest.raises(ConfigurationError, match="DELIVERY_LIMIT must be a whole number"):
            delivery_limit({"DELIVERY_LIMIT": bad})


def test_the_policy_covers_the_services_rpc_and_event_queues_and_nothing_else():
    name, body = poison_policy("review", 7)
    assert name == "sanxiang-poison-review"
    assert body["definition"] == {"delivery-limit": 7,
                                  "dead-letter-exchange": "sanxiang.dead-letters",
                                  "dead-letter-routing-key": "review"}
    pattern = re.compile(body["pattern"])
    for queue in ("rpc-review", "evt-records-decision_proposed.v1--review.on_decision_proposed"):
        assert pattern.match(queue), queue
    for queue in ("dlq.review", "rpc-records", "rpc.reply-review-0b6f",
                  "evt-review-opinion_issued.v1--records.on_opinion_issued"):
        assert not pattern.match(queue), queue
    with pytest.raises(ValueError, match="delivery limit"):
        poison_policy("review", 0)
