"""Alembic scripts of the records database."""

# What the service's own PostgreSQL role may UPDATE (shared.persistence.db.grant_service_role):
# a case's head and stage (also locked FOR UPDATE when an entry is appended), the outbox's
# relay state, and an agency's Merkle log frontier (locked FOR UPDATE when a checkpoint is
# appended to it). Everything else — entries, checkpoints, the log's leaves, nodes and tree
# heads, the access log, AV records, the idempotency records with their answers — is SELECT
# and INSERT only (the inbox: SELECT, INSERT and DELETE, below).
SERVICE_ROLE_UPDATES = ("cases", "outbox", "merkle_logs")

# What it may DELETE: published outbox rows and handled inbox rows past their retention
# (shared.messaging.retention), and nothing else.
SERVICE_ROLE_DELETES = ("outbox", "inbox")
