"""requests to correct a publication from the public portal: each request's channel (staff or portal) and attachments (vault object ids, SHA-256, size, sniffed type), and the fixed-window counters of the portal form's rate limits

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('form_windows',
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('window', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'key', 'window', name=op.f('pk_form_windows'))
    )
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=8), server_default='staff',
                                      nullable=False))
        batch_op.add_column(sa.Column('attachments', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_column('attachments')
        batch_op.drop_column('channel')
    op.drop_table('form_windows')
