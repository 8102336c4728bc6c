"""Schema migrations through Alembic's Python API, with the connection supplied here (no alembic.ini to keep in
sync). Also the drift check: the ORM metadata compared with the migrated database must show no difference."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

import migrations
from adpilot.errors import InvalidInput, SchemaOutOfDate
from db.database import Database
from db.schema import Base

__all__ = ["MigrationStatus", "downgrade", "drift", "require_current", "status", "upgrade"]

SCRIPT_LOCATION = str(Path(migrations.__file__).parent)
_MIGRATION_LOCK_KEY = 0x61647069_6C6F7400 >> 1  # "adpilot\0", fits a signed bigint


@dataclass(frozen=True)
class MigrationStatus:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    return cfg


@contextmanager
def _bound(engine: Engine) -> Iterator[Config]:
    cfg = _config()
    with engine.begin() as connection:
        # Processes that start together on a fresh database (daemon replicas, demo children) would otherwise run
        # the same DDL at once; the lock lasts until this transaction ends, so the later ones find it done.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        cfg.attributes["connection"] = connection
        yield cfg


def upgrade(database: Database, revision: str = "head") -> MigrationStatus:
    with _bound(database.engine) as cfg:
        command.upgrade(cfg, revision)
    return status(database)


def downgrade(database: Database, revision: str) -> MigrationStatus:
    script = ScriptDirectory.from_config(_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if revision != "base" and not revision.startswith("-") and revision not in known:
        raise InvalidInput(
            f"unknown revision {revision!r}",
            remedy=f"use 'base', a relative step like '-1', or one of: {', '.join(sorted(known))}",
        )
    with _bound(database.engine) as cfg:
        command.downgrade(cfg, revision)
    return status(database)


def status(database: Database) -> MigrationStatus:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None, "migrations/versions holds no revision"
    with database.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return MigrationStatus(current=current, head=head)


def require_current(database: Database) -> None:
    st = status(database)
    if not st.up_to_date:
        raise SchemaOutOfDate(
            f"database schema is at {st.current or 'nothing (empty database)'}, the code needs {st.head}"
        )


def drift(database: Database) -> list[Any]:
    """Differences between the ORM metadata and the live schema (empty list = in sync)."""
    with database.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(ctx, Base.metadata))
