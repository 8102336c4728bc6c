"""Alembic environment. The caller (``db.migrate``) passes an open connection in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from db.schema import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations are run through `adpilot db upgrade`, which supplies the connection")
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) mode is not supported; run `adpilot db upgrade` against a server")
run_migrations_online()
