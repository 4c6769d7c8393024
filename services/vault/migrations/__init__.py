"""Alembic scripts of the vault's database."""

# What the service's own PostgreSQL role may UPDATE (shared.persistence.db.grant_service_role):
# an object's state (retention extended, hold, fixity marks, disposal), an upload's state, a
# disposal's approval, a case package's archiving (and its intent's progress) and the outbox's
# relay state. The fixity events, the vault log and the idempotency records are SELECT and
# INSERT only (the inbox: SELECT, INSERT and DELETE, below).
SERVICE_ROLE_UPDATES = ("objects", "uploads", "disposals", "packages", "package_intents",
                        "outbox")

# What it may DELETE: published outbox rows and handled inbox rows past their retention
# (shared.messaging.retention), and nothing else.
SERVICE_ROLE_DELETES = ("outbox", "inbox")
