"""the tree heads of each service's log: the disclosure publisher's beside the record keeper's

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("anchored_tree_heads") as batch:
        batch.add_column(sa.Column("source", sa.String(40), nullable=False,
                                   server_default="records"))
        batch.drop_constraint("uq_anchored_tree_heads_agency_size", type_="unique")
        batch.create_unique_constraint("uq_anchored_tree_heads_source_size",
                                       ["source", "agency", "size"])


def downgrade() -> None:
    with op.batch_alter_table("anchored_tree_heads") as batch:
        batch.drop_constraint("uq_anchored_tree_heads_source_size", type_="unique")
        batch.create_unique_constraint("uq_anchored_tree_heads_agency_size",
                                       ["agency", "size"])
        batch.drop_column("source")
