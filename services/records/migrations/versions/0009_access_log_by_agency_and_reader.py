"""the access log is read by a supervisor a page at a time, newest first, per agency and per
reader (access_log, 调阅监督): indexes in that order let each page read only its rows

Revision ID: 0009
Revises: 0008
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_access_log_agency_id", "access_log", ["agency", "id"])
    op.create_index("ix_access_log_reader_id", "access_log", ["actor_id", "id"])


def downgrade():
    op.drop_index("ix_access_log_reader_id", table_name="access_log")
    op.drop_index("ix_access_log_agency_id", table_name="access_log")
