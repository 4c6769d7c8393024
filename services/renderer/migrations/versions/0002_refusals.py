"""refused calls of the renderer

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 08:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refusals',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.String(length=64), nullable=False),
    sa.Column('actor_role', sa.String(length=16), nullable=False),
    sa.Column('actor_agency', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=40), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refusals'))
    )


def downgrade() -> None:
    op.drop_table('refusals')
