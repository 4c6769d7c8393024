"""Alembic environment for the disclosure publisher's database (see
shared.persistence.schema.run_migrations)."""
from services.disclosure.models import metadata
from shared.persistence.schema import run_migrations

run_migrations(metadata)
