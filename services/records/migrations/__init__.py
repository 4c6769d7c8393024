"""Alembic scripts of the records database."""

# What the service's own PostgreSQL role may UPDATE (shared.persistence.db.grant_service_role):
# a case's head and stage (also locked FOR UPDATE when an entry is appended), and the outbox's
# relay state. Everything else — entries, checkpoints, the access log, AV records, the inbox, the
# idempotency records with their answers — is SELECT and INSERT only.
SERVICE_ROLE_UPDATES = ("cases", "outbox")
