"""the public portal's list slots: the list page each publication was given when first listed

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('portal_slots',
    sa.Column('publication_id', sa.String(length=36), nullable=False),
    sa.Column('folder', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('publication_id', 'folder', name=op.f('pk_portal_slots'))
    )


def downgrade() -> None:
    op.drop_table('portal_slots')
