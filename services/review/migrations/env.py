"""Alembic environment for the review database (see shared.schema.run_migrations)."""
from services.review.models import metadata
from shared.schema import run_migrations

run_migrations(metadata)
