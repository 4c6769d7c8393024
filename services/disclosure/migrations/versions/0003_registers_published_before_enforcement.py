"""the registers published before enforcement (事前公开): each agency's registers with their latest revision, their revisions, every version of every entry and each officer's lapse alerted; versions, revisions and lapses refuse UPDATE and DELETE

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
APPEND_ONLY = ('register_revisions', 'register_versions', 'officer_lapses')


def upgrade() -> None:
    op.create_table('registers',
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('agency', 'kind', name=op.f('pk_registers'))
    )
    op.create_table('register_revisions',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_revisions')),
    sa.UniqueConstraint('agency', 'kind', 'revision', name='uq_register_revisions_revision')
    )
    op.create_table('register_versions',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('entry_key', sa.JSON(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('entry', sa.JSON(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_versions')),
    sa.UniqueConstraint('agency', 'kind', 'key_hash', 'number',
                        name='uq_register_versions_number')
    )
    with op.batch_alter_table('register_versions', schema=None) as batch_op:
        batch_op.create_index('ix_register_versions_agency_kind_revision',
                              ['agency', 'kind', 'revision'], unique=False)
    op.create_table('officer_lapses',
    sa.Column('agency', sa.String(length=64), nullable=False),
    sa.Column('certificate_no', sa.String(length=40), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('noticed_on', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('agency', 'certificate_no', 'valid_until',
                            name=op.f('pk_officer_lapses'))
    )
    _append_only()


def _append_only() -> None:
    # every change to a register is a new version: the tables of versions refuse to be
    # rewritten at the database itself, whatever connection tries
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("""
            CREATE FUNCTION disclosure_registers_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'integrity_constraint_violation';
            END $$ LANGUAGE plpgsql""")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION disclosure_registers_append_only()")
    else:
        for table in APPEND_ONLY:
            for action in ('UPDATE', 'DELETE'):
                op.execute(f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON "
                           f"{table} BEGIN SELECT RAISE(ABORT, '{table} is append-only: "
                           f"{action} refused'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION disclosure_registers_append_only()")
    else:
        for table in APPEND_ONLY:
            for action in ('update', 'delete'):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
    op.drop_table('officer_lapses')
    with op.batch_alter_table('register_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_register_versions_agency_kind_revision')
    op.drop_table('register_versions')
    op.drop_table('register_revisions')
    op.drop_table('registers')
