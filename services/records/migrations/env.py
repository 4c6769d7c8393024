"""Alembic environment for the records database (see shared.persistence.schema.run_migrations)."""
from services.records.models import metadata
from shared.persistence.schema import run_migrations

run_migrations(metadata)
