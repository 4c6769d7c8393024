"""Alembic scripts of the renderer's database."""

# What the service's own PostgreSQL role may UPDATE (shared.persistence.db.grant_service_role):
# only the outbox's relay state. Template versions, renders, refusals and idempotency records are
# SELECT and INSERT only.
SERVICE_ROLE_UPDATES = ("outbox",)

# What it may DELETE: published outbox rows past their retention (shared.messaging.retention),
# and nothing else.
SERVICE_ROLE_DELETES = ("outbox",)
