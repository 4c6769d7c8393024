"""Messages between services over RabbitMQ: the RPC entrypoint (rpc), the consumer that
outlives broker outages (queue_consumer), consuming events once with dead letters (consumer), the
transactional outbox (outbox), least-privilege broker users (broker), is a peer deployed (peers)."""
