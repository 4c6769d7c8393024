"""the board's access log: every read of its reviews and every refused call, who, when, what,
why (002 第十九条; 003 调阅监督), paged per agency and per reader, newest first

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(16), nullable=False),
        sa.Column("actor_agency", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("review_id", sa.String(36)),
        sa.Column("case_id", sa.String(64)),
        sa.Column("agency", sa.String(64)),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
    )
    op.create_index("ix_access_log_agency_id", "access_log", ["agency", "id"])
    op.create_index("ix_access_log_reader_id", "access_log", ["actor_id", "id"])
    op.create_index("ix_access_log_review_id", "access_log", ["review_id"])


def downgrade() -> None:
    op.drop_table("access_log")
