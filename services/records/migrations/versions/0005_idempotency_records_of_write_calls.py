"""idempotency records of write calls (shared.persistence.idempotency): each write RPC once per key

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 23:00:00
"""
from alembic import op

from shared.persistence import idempotency
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    idempotency.create_schema(op)


def downgrade():
    idempotency.drop_schema(op)
