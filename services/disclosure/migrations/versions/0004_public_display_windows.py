"""public display windows of published penalties (信用修复管理办法): each publication's window, its end day for the take-down watch and the 信用修复 that ended it early

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('publications') as batch:
        batch.add_column(sa.Column('display_window', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('display_until', sa.Date(), nullable=True))
        batch.add_column(sa.Column('credit_repair', sa.JSON(), nullable=True))
        batch.create_index('ix_publications_state_display_until',
                           ['state', 'display_until', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('publications') as batch:
        batch.drop_index('ix_publications_state_display_until')
        batch.drop_column('credit_repair')
        batch.drop_column('display_until')
        batch.drop_column('display_window')
