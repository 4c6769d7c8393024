"""the checkpoint timer finds the heads it has not judged from a partial index instead of
comparing every case with its latest checkpoint: `cases.checkpoint_hash` holds the head it last
signed or refused, filled here from the checkpoints and refusals already there

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JUDGE_PENDING = "checkpoint_hash IS NULL OR checkpoint_hash <> head_hash"


def upgrade():
    op.add_column("cases", sa.Column("checkpoint_hash", sa.String(64)))
    # a head is judged when its latest checkpoint signs it or a refusal names it
    op.execute("""
        UPDATE cases SET checkpoint_hash = head_hash
        WHERE EXISTS (SELECT 1 FROM checkpoints cp
                      WHERE cp.case_id = cases.id AND cp.seq = cases.head_seq
                        AND cp.head_hash = cases.head_hash
                        AND cp.id = (SELECT max(id) FROM checkpoints l
                                     WHERE l.case_id = cases.id))
           OR EXISTS (SELECT 1 FROM checkpoint_refusals r
                      WHERE r.case_id = cases.id AND r.head_seq = cases.head_seq
                        AND r.head_hash = cases.head_hash)""")
    op.create_index("ix_cases_head_not_judged", "cases", ["id"],
                    postgresql_where=sa.text(JUDGE_PENDING), sqlite_where=sa.text(JUDGE_PENDING))


def downgrade():
    op.drop_index("ix_cases_head_not_judged", table_name="cases")
    op.drop_column("cases", "checkpoint_hash")
