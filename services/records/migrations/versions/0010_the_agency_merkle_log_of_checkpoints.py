"""each agency's append-only Merkle log of signed checkpoints (RFC 9162): its frontier, leaves,
subtree roots and signed tree heads; leaves, nodes and tree heads refuse UPDATE and DELETE

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

from shared.persistence.schema import BigId, UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

APPEND_ONLY = ("merkle_leaves", "merkle_nodes", "tree_heads")


def upgrade():
    op.create_table(
        "merkle_logs",
        sa.Column("agency", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("frontier", sa.JSON, nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False))
    op.create_table(
        "merkle_leaves",
        sa.Column("agency", sa.String(64), primary_key=True),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("leaf", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.String(64), nullable=False))
    op.create_index("ix_merkle_leaves_case_id", "merkle_leaves", ["case_id"])
    op.create_table(
        "merkle_nodes",
        sa.Column("agency", sa.String(64), primary_key=True),
        sa.Column("level", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("hash", sa.String(64), nullable=False))
    op.create_table(
        "tree_heads",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("signed_at", UtcDateTime(), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("statement", sa.Text, nullable=False),
        sa.UniqueConstraint("agency", "size", name="uq_tree_heads_agency_size"))
    # as entries and checkpoints (0002): the honest path is the only one an application
    # connection can take; an owner who drops the triggers still shows against the vault
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION sanxiang_append_only()")
    else:
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON "
                           f"{table} BEGIN SELECT RAISE(ABORT, '{table} is append-only: "
                           f"{action} refused'); END")


def downgrade():
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        else:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
    for table in ("tree_heads", "merkle_nodes", "merkle_leaves", "merkle_logs"):
        op.drop_table(table)
