"""idempotency records of write calls (shared.idempotency): each write RPC once per key

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 23:00:00
"""
from alembic import op
import sqlalchemy as sa

from shared.idempotency import PG_CLAIM_FUNCTION


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('idempotency',
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=140), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('agency', 'actor_id', 'method', 'key', name=op.f('pk_idempotency'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_CLAIM_FUNCTION)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sanxiang_idempotency_claim(text, text, text, text)")
    op.drop_table('idempotency')
