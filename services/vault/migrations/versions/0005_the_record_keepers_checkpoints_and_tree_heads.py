"""the record keeper's signed statements kept write-once: the pinned checkpoint verification
keys, each case checkpoint and each tree head of an agency's Merkle log

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from shared.persistence.schema import BigId, UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _signed() -> list:
    return [sa.Column("signed_at", sa.String(40), nullable=False),
            sa.Column("key_id", sa.String(16), nullable=False),
            sa.Column("signature", sa.String(128), nullable=False),
            sa.Column("statement", sa.Text, nullable=False),
            sa.Column("object_id", sa.String(36), nullable=False),
            sa.Column("message_id", sa.String(64), nullable=False),
            sa.Column("stored_at", UtcDateTime(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "pinned_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("signer", sa.String(40), nullable=False),
        sa.Column("public_key", sa.Text, nullable=False),
        sa.Column("object_key", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("pinned_at", UtcDateTime(), nullable=False))
    op.create_table(
        "anchored_checkpoints",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("leaf_index", sa.BigInteger, nullable=False),
        *_signed(),
        sa.UniqueConstraint("agency", "case_id", "seq", name="uq_anchored_checkpoints_case_seq"))
    op.create_table(
        "anchored_tree_heads",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        *_signed(),
        sa.UniqueConstraint("agency", "size", name="uq_anchored_tree_heads_agency_size"))


def downgrade() -> None:
    for table in ("anchored_tree_heads", "anchored_checkpoints", "pinned_keys"):
        op.drop_table(table)
