"""LangGraph checkpoints in Postgres (``langgraph-checkpoint-postgres``), in their own schema
``agent_checkpoints`` so they never mix with the campaign store's tables.

The tables are created by migration 0003, never by ``PostgresSaver.setup()`` at run time: concurrent workers
running ``setup()`` on a fresh database raced on the library's version table. Opening a checkpointer only checks
that the database's checkpoint schema version is the one the installed library expects, and refuses otherwise.

Deserialisation is strict: the serializer's msgpack allowlist is empty (``allowed_msgpack_modules=None``), the
programmatic equivalent of ``LANGGRAPH_STRICT_MSGPACK=true`` — our state holds only plain JSON-able values, so
nothing else ever needs to be revived from the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from psycopg.rows import dict_row

from adpilot.errors import SchemaOutOfDate
from db.database import Database

__all__ = ["CHECKPOINT_SCHEMA", "open_checkpointer"]

CHECKPOINT_SCHEMA = "agent_checkpoints"


def _conninfo(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False).replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def open_checkpointer(database: Database) -> Iterator[PostgresSaver]:
    with psycopg.connect(
        _conninfo(database),
        autocommit=True,
        prepare_threshold=0,
        row_factory=dict_row,
        options=f"-c search_path={CHECKPOINT_SCHEMA} -c TimeZone=UTC",
    ) as conn:
        saver = PostgresSaver(conn, serde=JsonPlusSerializer(allowed_msgpack_modules=None))
        _check_schema_version(conn, len(saver.MIGRATIONS) - 1)
        yield saver


def _check_schema_version(conn: psycopg.Connection[dict[str, object]], expected: int) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass('checkpoint_migrations') IS NOT NULL AS present")
        row = cur.fetchone()
        found = -1
        if row is not None and row["present"]:
            cur.execute("SELECT coalesce(max(v), -1) AS v FROM checkpoint_migrations")
            version = cur.fetchone()
            found = int(str(version["v"])) if version is not None else -1
    if found < expected:
        raise SchemaOutOfDate(
            f"the agent checkpoint tables are at version {found}; the installed langgraph-checkpoint-postgres "
            f"expects {expected}",
            remedy="run `adpilot db upgrade`; if it is already current, install the langgraph-checkpoint-postgres "
            "version pinned in adpilot's pyproject.toml",
        )
