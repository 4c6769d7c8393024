"""Alembic scripts of the review board's database."""

# What the service's own PostgreSQL role may UPDATE (shared.db.grant_service_role): a
# review's state (locked FOR UPDATE while it changes), the staff register, the outbox's
# relay state, and an idempotency record (its answer is written last in the call's
# transaction, shared.idempotency). The review log and the inbox are SELECT and INSERT only.
SERVICE_ROLE_UPDATES = ("reviews", "staff", "outbox", "idempotency")
