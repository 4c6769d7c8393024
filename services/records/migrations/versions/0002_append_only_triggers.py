"""entries, checkpoints and access_log refuse UPDATE and DELETE at the database itself

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("entries", "checkpoints", "access_log")


def upgrade():
    # The hash chain detects tampering; these triggers make the honest path the only one
    # an application connection can take (a DBA dropping them still shows in verify_case).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION sanxiang_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
            END $$ LANGUAGE plpgsql""")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION sanxiang_append_only()")
    else:
        for table in TABLES:
            for action in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON "
                           f"{table} BEGIN SELECT RAISE(ABORT, '{table} is append-only: "
                           f"{action} refused'); END")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION sanxiang_append_only()")
    else:
        for table in TABLES:
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
