"""cases are listed per agency in opening order, a page at a time (list_cases newest first,
agency_findings oldest first): an index in that order lets each page read only its rows

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_cases_agency_opened_at", "cases", ["agency", "opened_at", "id"])


def downgrade():
    op.drop_index("ix_cases_agency_opened_at", table_name="cases")
