"""The private broker node the fault tests break: it boots, keeps durable messages across a
restart, and is really gone when killed and really silent when frozen."""
from __future__ import annotations

from kombu import Connection, Exchange, Queue


def test_a_durable_message_survives_a_restart_and_a_kill_silences_the_node(rabbit_node):
    queue = Queue("fault-probe", Exchange("fault-probe", type="direct", durable=True),
                  routing_key="probe", durable=True)
    with Connection(rabbit_node.amqp_uri) as conn:
        conn.Producer().publish({"n": 1}, exchange=queue.exchange, routing_key="probe",
                                declare=[queue], delivery_mode=2)
    rabbit_node.restart()
    with Connection(rabbit_node.amqp_uri) as conn:
        msg = queue(conn.default_channel).get(no_ack=True)
    assert msg is not None and msg.payload == {"n": 1}
    rabbit_node.freeze()
    try:
        assert not rabbit_node._amqp_answers()
    finally:
        rabbit_node.thaw()
    rabbit_node.kill()
    assert not rabbit_node._amqp_answers()
