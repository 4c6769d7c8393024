"""retention walks the outbox's published rows (ix_outbox_published, partial) and the inbox by
age (ix_inbox_received_at), oldest first, reading only what it deletes; the service's role may
DELETE from the outbox and the inbox alone (SERVICE_ROLE_DELETES, granted after every migration)

Revision ID: 0010
Revises: 0009
"""
from alembic import op

from shared.messaging.consumer import create_age_index, drop_age_index
from shared.messaging.outbox import create_published_index, drop_published_index

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    create_published_index(op)
    create_age_index(op)


def downgrade():
    drop_age_index(op)
    drop_published_index(op)
