"""Alembic environment for the renderer database (see shared.persistence.schema.run_migrations)."""
from services.renderer.models import metadata
from shared.persistence.schema import run_migrations

run_migrations(metadata)
