"""idempotency records of write calls (shared.persistence.idempotency): each write RPC once per key

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 23:00:00
"""
from alembic import op

from shared.persistence import idempotency
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    idempotency.create_schema(op)


def downgrade() -> None:
    idempotency.drop_schema(op)
