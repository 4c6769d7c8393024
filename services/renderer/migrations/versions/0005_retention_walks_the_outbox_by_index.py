"""retention walks the outbox's published rows (ix_outbox_published, partial), oldest first,
reading only what it deletes; the service's role may DELETE from the outbox alone
(SERVICE_ROLE_DELETES, granted after every migration)

Revision ID: 0005
Revises: 0004
"""
from alembic import op

from shared.messaging.outbox import create_published_index, drop_published_index

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    create_published_index(op)


def downgrade():
    drop_published_index(op)
