"""Alembic scripts of the vault's database."""

# What the service's own PostgreSQL role may UPDATE (shared.persistence.db.grant_service_role):
# an object's state (retention extended, hold, fixity marks, disposal), an upload's state, a
# disposal's approval, a case package's archiving (and its intent's progress) and the outbox's
# relay state. The fixity events, the vault log, the inbox and the idempotency records are
# SELECT and INSERT only.
SERVICE_ROLE_UPDATES = ("objects", "uploads", "disposals", "packages", "package_intents",
                        "outbox")
