"""Alembic scripts of the review board's database."""

# What the service's own PostgreSQL role may UPDATE (shared.persistence.db.grant_service_role): a
# review's state (locked FOR UPDATE while it changes), the staff register, and the outbox's
# relay state. The review log and the idempotency records are SELECT and INSERT only (the
# inbox: SELECT, INSERT and DELETE, below).
SERVICE_ROLE_UPDATES = ("reviews", "staff", "outbox")

# What it may DELETE: published outbox rows and handled inbox rows past their retention
# (shared.messaging.retention), and nothing else.
SERVICE_ROLE_DELETES = ("outbox", "inbox")
