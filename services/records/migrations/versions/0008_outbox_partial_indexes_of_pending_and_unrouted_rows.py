"""the outbox relay picks its pending rows from a partial index of them alone, in id order,
instead of reading them among every row ever published; the unrouted rows have one too, and
the full index of `state` (written for every event, and again when it is published) is gone

Revision ID: 0008
Revises: 0007
"""
from alembic import op

from shared.messaging.outbox import create_partial_indexes, drop_partial_indexes

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    create_partial_indexes(op)


def downgrade():
    drop_partial_indexes(op)
