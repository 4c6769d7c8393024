"""the annual statistics report: every version compiled of an agency's report on a year, and each overdue notice sent

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('annual_reports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('ruleset', sa.String(length=80), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('due', sa.JSON(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('gaps', sa.JSON(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('compiled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('compiled_by', sa.String(length=64), nullable=False),
    sa.Column('published', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annual_reports')),
    sa.UniqueConstraint('agency', 'year', 'version', name='uq_annual_reports_agency_year_version')
    )
    op.create_table('annual_report_notices',
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('noticed_on', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('agency', 'year', name=op.f('pk_annual_report_notices'))
    )


def downgrade() -> None:
    op.drop_table('annual_report_notices')
    op.drop_table('annual_reports')
