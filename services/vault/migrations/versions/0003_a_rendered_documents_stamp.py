"""a rendered document's stamp on its object (store_document: render id, format, template
id@version, template and data SHA-256); null for every other object

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 01:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('objects', sa.Column('stamp', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('objects') as batch:
        batch.drop_column('stamp')
