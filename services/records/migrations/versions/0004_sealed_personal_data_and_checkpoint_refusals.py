"""entries keep the plain body and the salts of the commitments that stand for a protected
person's data in the hashed body; the checkpoint timer records a head it refused to sign

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

from shared.persistence.schema import BigId, UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("entries", sa.Column("plain", sa.Text(), nullable=True))
    op.add_column("entries", sa.Column("openings", sa.Text(), nullable=True))
    op.create_index("ix_entries_sealed", "entries", ["case_id", "seq"],
                    postgresql_where=sa.text("plain IS NOT NULL"),
                    sqlite_where=sa.text("plain IS NOT NULL"))
    op.create_table(
        "checkpoint_refusals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("head_seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("failure", sa.String(length=40), nullable=False),
        sa.Column("first_bad_seq", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_checkpoint_refusals_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoint_refusals")))
    op.create_index(op.f("ix_checkpoint_refusals_case_id"), "checkpoint_refusals", ["case_id"])
    # append-only like entries and checkpoints (0002): the function exists on PostgreSQL
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TRIGGER checkpoint_refusals_append_only BEFORE UPDATE OR DELETE ON "
                   "checkpoint_refusals FOR EACH ROW EXECUTE FUNCTION sanxiang_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER checkpoint_refusals_no_{action.lower()} BEFORE {action} "
                       f"ON checkpoint_refusals BEGIN SELECT RAISE(ABORT, 'checkpoint_refusals "
                       f"is append-only: {action} refused'); END")


def downgrade():
    op.drop_table("checkpoint_refusals")  # its triggers go with it
    op.drop_index("ix_entries_sealed", table_name="entries")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("openings")
        batch.drop_column("plain")
