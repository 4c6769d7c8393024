"""Alembic scripts of the records database."""

# What the service's own PostgreSQL role may UPDATE (shared.db.grant_service_role): a case's
# head and stage (also locked FOR UPDATE when an entry is appended), the outbox's relay
# state, and an idempotency record (claimed first in a write call's transaction, given the
# call's answer last, shared.idempotency). Everything else — entries, checkpoints, the
# access log, AV records, the inbox — is SELECT and INSERT only.
SERVICE_ROLE_UPDATES = ("cases", "outbox", "idempotency")
