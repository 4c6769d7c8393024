"""redaction of publications: the party's fields masked, the free text's hits and their resolutions, the record of the redactions published

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 02:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publications') as batch:
        batch.add_column(sa.Column('redaction', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('publications') as batch:
        batch.drop_column('redaction')
