"""Alembic environment for the vault database (see shared.persistence.schema.run_migrations)."""
from services.vault.models import metadata
from shared.persistence.schema import run_migrations

run_migrations(metadata)
