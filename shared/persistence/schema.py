"""What every service's tables share: one naming convention (so migrations name constraints
the same way on SQLite and PostgreSQL), the id type, and the Alembic environment that runs a
service's migrations on the connection the Database provider hands it."""
from __future__ import annotations

from datetime import UTC

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, MetaData, String, Table
from sqlalchemy.types import TypeDecorator

BigId = BigInteger().with_variant(Integer, "sqlite")


class UtcDateTime(TypeDecorator):
    """A moment, stored in UTC and read back aware (UTC) on every database.

    `DateTime(timezone=True)` alone is right on PostgreSQL (timestamptz) but on SQLite keeps
    the clock reading of an aware value and drops its offset, so 23:30+08:00 came back as
    23:30 UTC, eight hours late. Here an aware value is converted to UTC before it is bound
    and a naive one read back is UTC; a naive value on the way in is refused (nobody can
    tell which clock it was read from)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give its UTC offset")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def service_metadata() -> MetaData:
    return MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s"})


def run_migrations(metadata: MetaData) -> None:
    """Body of a service's migrations/env.py: on the connection passed in
    config.attributes["connection"], or, from the `alembic` CLI, on sqlalchemy.url."""
    from alembic import context

    connection = context.config.attributes.get("connection")
    if connection is None:
        from sqlalchemy import create_engine
        engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as connection:
            context.configure(connection=connection, target_metadata=metadata,
                              render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def action_log_table(metadata: MetaData, name: str, subject: str) -> Table:
    """A service's log of what was done to each of its subjects (`<subject>_id`): when, by
    whom in which role, which action, with what — appended, never rewritten (the review
    board's `review_log`, the vault's `vault_log`)."""
    return Table(
        name, metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column(f"{subject}_id", String(36), nullable=False, index=True),
        Column("at", UtcDateTime(), nullable=False),
        Column("actor_id", String(64), nullable=False),
        Column("actor_role", String(16), nullable=False),
        Column("action", String(40), nullable=False),
        Column("body", JSON, nullable=False),
    )
