"""Alembic environment for the review database (see shared.persistence.schema.run_migrations)."""
from services.review.models import metadata
from shared.persistence.schema import run_migrations

run_migrations(metadata)
