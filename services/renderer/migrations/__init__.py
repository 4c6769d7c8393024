"""Alembic scripts of the renderer's database."""

# What the service's own PostgreSQL role may UPDATE (shared.db.grant_service_role): only the
# outbox's relay state and an idempotency record (its answer is written last in the call's
# transaction, shared.idempotency). Template versions, renders and refusals are SELECT and
# INSERT only.
SERVICE_ROLE_UPDATES = ("outbox", "idempotency")
