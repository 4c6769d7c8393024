"""costs that stay flat as an agency's history grows: the clock watch reads the reviews owed a
notice from partial indexes (`reviews.remind_due`, `reviews.overdue_due`), a reviewer's penalty
reviews are a counter on the staff row (`staff.penalty_reviews_in_system`, with each review's
`credited`), and an agency's reviews are read newest first from an index; the new columns are
filled here from the reviews already there

Revision ID: 0003
Revises: 0002
"""
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

REMIND_PENDING = "remind_due IS NOT NULL"
OVERDUE_PENDING = "overdue_due IS NOT NULL"
# the states the clock watch looks at, as they are at this revision
WATCHED = ("under_review", "awaiting_materials")

reviews = sa.table(
    "reviews", sa.column("id", sa.String), sa.column("agency", sa.String),
    sa.column("state", sa.String), sa.column("decision", sa.JSON),
    sa.column("deadline", sa.JSON), sa.column("reminded_for", sa.Date),
    sa.column("overdue_for", sa.Date), sa.column("assignments", sa.JSON),
    sa.column("opinion", sa.JSON), sa.column("remind_due", sa.Date),
    sa.column("overdue_due", sa.Date), sa.column("credited", sa.JSON))
staff = sa.table("staff", sa.column("agency", sa.String), sa.column("person_id", sa.String),
                 sa.column("penalty_reviews_in_system", sa.Integer))


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("remind_due", sa.Date()))
        batch.add_column(sa.Column("overdue_due", sa.Date()))
        batch.add_column(sa.Column("credited", sa.JSON()))
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("penalty_reviews_in_system", sa.Integer(), nullable=False,
                                   server_default="0"))
    _fill(op.get_bind())
    op.create_index("ix_reviews_agency_requested_at", "reviews",
                    ["agency", "requested_at", "id"])
    op.create_index("ix_reviews_remind_due", "reviews", ["remind_due"],
                    postgresql_where=sa.text(REMIND_PENDING),
                    sqlite_where=sa.text(REMIND_PENDING))
    op.create_index("ix_reviews_overdue_due", "reviews", ["overdue_due"],
                    postgresql_where=sa.text(OVERDUE_PENDING),
                    sqlite_where=sa.text(OVERDUE_PENDING))


def downgrade() -> None:
    op.drop_index("ix_reviews_overdue_due", table_name="reviews")
    op.drop_index("ix_reviews_remind_due", table_name="reviews")
    op.drop_index("ix_reviews_agency_requested_at", table_name="reviews")
    with op.batch_alter_table("staff") as batch:
        batch.drop_column("penalty_reviews_in_system")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("credited")
        batch.drop_column("overdue_due")
        batch.drop_column("remind_due")


def _fill(conn: sa.Connection) -> None:
    """Each review's marks as the service would now save them, and each reviewer's count of
    the penalty reviews finished with an opinion (what assign_reviewer counted by scanning)."""
    counts: dict[tuple[str, str], int] = {}
    rows = conn.execute(sa.select(reviews.c.id, reviews.c.agency, reviews.c.state,
                                  reviews.c.decision, reviews.c.deadline,
                                  reviews.c.reminded_for, reviews.c.overdue_for,
                                  reviews.c.assignments, reviews.c.opinion)).mappings().all()
    for row in rows:
        credited = _credited(row)
        for person in credited:
            counts[(row["agency"], person)] = counts.get((row["agency"], person), 0) + 1
        conn.execute(sa.update(reviews).where(reviews.c.id == row["id"])
                     .values(credited=credited, **_marks(row)))
    for (agency, person), n in counts.items():
        conn.execute(sa.update(staff).where(staff.c.agency == agency)
                     .where(staff.c.person_id == person)
                     .values(penalty_reviews_in_system=n))


def _marks(row) -> dict:
    if row["deadline"] is None or row["state"] not in WATCHED:
        return {"remind_due": None, "overdue_due": None}
    due = date.fromisoformat(row["deadline"]["due"])
    if row["overdue_for"] == due:
        return {"remind_due": None, "overdue_due": None}
    return {"remind_due": None if row["reminded_for"] == due else due, "overdue_due": due}


def _credited(row) -> list:
    if row["opinion"] is None or (row["decision"] or {}).get("act_type") != "penalty":
        return []
    return sorted({a["reviewer_id"] for a in row["assignments"] if a["status"] == "active"})
