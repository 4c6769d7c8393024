"""shared.messaging.rpc's replies on the real broker, read by nameko's own client: results, errors
and an unserialisable result arrive as nameko's Responder would send them (an unknown method is
a bad_request), from a reply channel that is not in confirm mode (the broker's management
API says)."""
from __future__ import annotations

import time

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from shared.errors import BadRequest, DomainRuleViolated
from shared.messaging.rpc import reply_connection_name, rpc

DETAILS = {"count": 3, "ok": True, "missing": None, "ratio": 0.5,
           "items": [1, {"seq": None, "label": "第三项"}], "text": "3"}


class Echo:
    name = "echo"

    @rpc
    def echo(self, value, *, twice=False):
        return [value, value] if twice else value

    @rpc
    def fails(self):
        raise ValueError("bad value: 42")

    @rpc
    def unserialisable(self):
        return object()

    @rpc
    def refuses(self):
        raise DomainRuleViolated("not now", code="not_now", details=DETAILS)


@pytest.fixture
def echo(container_factory, rabbit_config):
    container = container_factory(Echo, rabbit_config)
    container.start()
    with ClusterRpcProxy(rabbit_config, timeout=10) as proxy:
        yield proxy.echo


def test_results_and_errors_arrive_as_nameko_sends_them(echo):
    assert echo.echo({"案号": "陵应急罚〔2025〕1号", "n": 3}) == {"案号": "陵应急罚〔2025〕1号",
                                                                "n": 3}
    assert echo.echo("x", twice=True) == ["x", "x"]
    with pytest.raises(RemoteError) as exc:
        echo.fails()
    assert exc.value.exc_type == "ValueError" and "bad value: 42" in exc.value.value
    with pytest.raises(RemoteError) as exc:
        echo.unserialisable()
    assert exc.value.exc_type == "UnserializableValueError"
    with pytest.raises(BadRequest) as exc:  # and dead-lettered: test_rpc_bad_requests
        echo.nothing_here()
    assert exc.value.details == {"method": ["unknown: 'nothing_here'"]}
    assert echo.echo(1) == 1  # the worker and its consumer live on


def test_the_reply_channel_is_not_in_confirm_mode(echo, rabbit_config, rabbit_api):
    """The service's replies go out on its named reply connection (found by that name, not by
    guessing from traffic) on a channel the broker reports without confirms; the caller's
    requests, published under confirms by nameko's proxy, show that the broker does report
    confirm mode where it is on."""
    from urllib.parse import quote, urlparse
    for n in range(100):
        assert echo.echo(n) == n
    vhost = quote(urlparse(rabbit_config["AMQP_URI"]).path[1:] or "/", safe="")
    name = reply_connection_name("echo")
    deadline = time.monotonic() + 45  # the management API's statistics lag, more under load
    while True:
        replies, confirming = _reply_and_confirming_channels(rabbit_api, vhost, name)
        if (replies and confirming) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert replies and [c["confirm"] for c in replies] == [False] * len(replies), replies
    assert confirming, "no channel reported in confirm mode"


def _reply_and_confirming_channels(rabbit_api, vhost: str, name: str):
    """(the reply connections' channels once they have published the 100 replies between them
    and the broker's entry for each is complete, else []; the channels that published 100
    messages under confirms). The replies' producer pool may open more than one connection,
    all of them named."""
    connections = rabbit_api.get(f"vhosts/{vhost}/connections")
    connections.raise_for_status()
    named = {c["name"] for c in connections.json()
             if (c.get("client_properties") or {}).get("connection_name") == name}
    channels = rabbit_api.get(f"vhosts/{vhost}/channels")
    channels.raise_for_status()
    replies = [c for c in channels.json()
               if (c.get("connection_details") or {}).get("name") in named]
    published = sum((c.get("message_stats") or {}).get("publish", 0) for c in replies)
    if published < 100 or not all("confirm" in c for c in replies):
        replies = []
    confirming = [c for c in channels.json() if c.get("confirm")
                  and (c.get("message_stats") or {}).get("publish", 0) >= 100]
    return replies, confirming


def test_a_sanxiang_error_keeps_its_json_types_on_the_wire(echo, rabbit_config):
    """What a caller in another language reads (raw kombu, no nameko): exc_args[0] is the
    error payload with numbers, booleans and null as JSON has them, not nameko's str()."""
    import json
    import uuid

    from kombu import Connection, Exchange, Producer, Queue

    with pytest.raises(DomainRuleViolated) as exc:  # a Python caller gets the class back
        echo.refuses()
    assert exc.value.code == "not_now" and exc.value.details == DETAILS
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        channel = conn.channel()
        rpc_exchange = Exchange("nameko-rpc", type="topic", durable=True)
        name = f"reply-{uuid.uuid4()}"  # bound by its own name, as README's step 3 says
        reply_queue = Queue(name, exchange=rpc_exchange, routing_key=name, exclusive=True,
                            auto_delete=True)
        reply_queue(channel).declare()
        Producer(channel).publish(
            {"args": [], "kwargs": {}}, exchange=rpc_exchange,
            routing_key="echo.refuses", reply_to=reply_queue.name, correlation_id="c-1",
            serializer="json")
        deadline = time.monotonic() + 10
        while (message := reply_queue(channel).get(no_ack=True)) is None:
            assert time.monotonic() < deadline, "no reply"
            time.sleep(0.05)
    assert message.properties["correlation_id"] == "c-1"
    body = json.loads(message.body)
    assert body["result"] is None
    assert body["error"]["exc_type"] == "DomainRuleViolated"
    assert body["error"]["exc_args"] == [{"code": "not_now", "message": "not now",
                                          "message_zh": DomainRuleViolated.message_zh,
                                          "details": DETAILS}]
