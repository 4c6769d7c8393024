"""A service's database: the provider and transactions (db), what every schema shares
(schema), write calls done once (idempotency), keyset paging (paging), timers that act once across
instances (timers), which database faults are worth retrying (transient)."""
