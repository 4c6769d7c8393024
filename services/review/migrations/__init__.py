"""Alembic scripts of the review board's database."""

# What the service's own PostgreSQL role may UPDATE (shared.persistence.db.grant_service_role): a
# review's state (locked FOR UPDATE while it changes), the staff register, and the outbox's
# relay state. The review log, the inbox and the idempotency records are SELECT and INSERT
# only.
SERVICE_ROLE_UPDATES = ("reviews", "staff", "outbox")
