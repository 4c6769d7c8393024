"""the outbox relay picks its pending rows from a partial index of them alone (and requeue its
unrouted rows from another), in place of the full index of `state` that every event wrote
twice — as the record keeper's 0008 (shared.messaging.outbox.create_partial_indexes)

Revision ID: 0005
Revises: 0004
"""
from alembic import op

from shared.messaging.outbox import create_partial_indexes, drop_partial_indexes

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    create_partial_indexes(op)


def downgrade():
    drop_partial_indexes(op)
