"""LangGraph checkpoints in Postgres (``langgraph-checkpoint-postgres``), in their own schema
``agent_checkpoints`` (created by migration 0002) so they never mix with the campaign store's tables.

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
        saver.setup()  # the library's own versioned DDL, idempotent, confined to CHECKPOINT_SCHEMA
        yield saver
