"""Alembic environment for the renderer database (see shared.schema.run_migrations)."""
from services.renderer.models import metadata
from shared.schema import run_migrations

run_migrations(metadata)
