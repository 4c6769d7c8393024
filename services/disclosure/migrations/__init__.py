"""Alembic scripts of the disclosure publisher's database."""

# What the service's own PostgreSQL role may UPDATE (shared.persistence.db.grant_service_role):
# a publication's state (reviewed, withdrawn, its clock marks), an agency log's frontier and the
# outbox's relay state. The history, the leaves, nodes and tree heads, the disclosure log and the
# idempotency records are SELECT and INSERT only (the inbox: SELECT, INSERT and DELETE, below).
SERVICE_ROLE_UPDATES = ("publications", "merkle_logs", "outbox")

# What it may DELETE: published outbox rows and handled inbox rows past their retention
# (shared.messaging.retention), and nothing else.
SERVICE_ROLE_DELETES = ("outbox", "inbox")
