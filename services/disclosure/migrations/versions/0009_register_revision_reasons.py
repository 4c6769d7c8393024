"""registers on the portal: each register revision keeps why the register changed (000《公示办法》第十八条)

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("register_revisions", sa.Column("reason", sa.String(length=20), nullable=True))
    op.add_column("register_revisions", sa.Column("reason_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("register_revisions") as batch:
        batch.drop_column("reason_text")
        batch.drop_column("reason")
