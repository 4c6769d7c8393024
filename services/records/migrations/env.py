"""Alembic environment for the records database (see shared.schema.run_migrations)."""
from services.records.models import metadata
from shared.schema import run_migrations

run_migrations(metadata)
