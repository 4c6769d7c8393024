"""package intents: the writes of a case's archive package announced (bag and report keys and
digests) in their own transaction before they are made, so a crash between the write-once
store and the package row leaves a record a redelivery adopts and the fixity audit reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 01:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('package_intents',
    sa.Column('package_id', sa.String(length=36), nullable=False),
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=36), nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('bag_key', sa.String(length=200), nullable=False),
    sa.Column('bag_sha256', sa.String(length=64), nullable=False),
    sa.Column('report_key', sa.String(length=200), nullable=True),
    sa.Column('report_sha256', sa.String(length=64), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('package_id', name=op.f('pk_package_intents')),
    sa.UniqueConstraint('agency', 'case_id', name='uq_package_intents_agency_case')
    )


def downgrade() -> None:
    op.drop_table('package_intents')
