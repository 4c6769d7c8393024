"""What every service's tables share: one naming convention (so migrations name constraints
the same way on SQLite and PostgreSQL), the id type, and the Alembic environment that runs a
service's migrations on the connection the Database provider hands it."""
from __future__ import annotations

from sqlalchemy import BigInteger, Integer, MetaData

BigId = BigInteger().with_variant(Integer, "sqlite")


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
        engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            context.configure(connection=connection, target_metadata=metadata,
                              render_as_batch=True)
            context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
