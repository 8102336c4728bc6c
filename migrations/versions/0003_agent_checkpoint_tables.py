"""agent_checkpoints tables owned by a migration, not by the checkpointer's setup() at run time

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 15:00:00

LangGraph's ``PostgresSaver.setup()`` runs its own versioned DDL; several workers calling it on a fresh database at
once raced on ``checkpoint_migrations_pkey`` (issue 10). The tables are created here instead, frozen as of
langgraph-checkpoint-postgres 3.2 (its migrations 0–9), and the library's version table is filled in the same way
so that its bookkeeping agrees. ``CREATE INDEX CONCURRENTLY`` cannot run inside a migration's transaction; on the
new, empty tables a plain ``CREATE INDEX`` is the same. A database where ``setup()`` already ran keeps its tables
(every statement is ``IF NOT EXISTS`` and applied versions are skipped). At run time adpilot only checks that the
schema version matches what the installed library expects (``agents.checkpoints``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "agent_checkpoints"

# The library's MIGRATIONS list, index = version, as of langgraph-checkpoint-postgres 3.2.0.
STEPS: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS checkpoint_migrations (v INTEGER PRIMARY KEY)",
    """CREATE TABLE IF NOT EXISTS checkpoints (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT,
        type TEXT,
        checkpoint JSONB NOT NULL,
        metadata JSONB NOT NULL DEFAULT '{}',
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
    )""",
    """CREATE TABLE IF NOT EXISTS checkpoint_blobs (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL,
        version TEXT NOT NULL,
        type TEXT NOT NULL,
        blob BYTEA,
        PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
    )""",
    """CREATE TABLE IF NOT EXISTS checkpoint_writes (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        channel TEXT NOT NULL,
        type TEXT,
        blob BYTEA NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
    )""",
    "ALTER TABLE checkpoint_blobs ALTER COLUMN blob DROP NOT NULL",
    "SELECT 1",
    "CREATE INDEX IF NOT EXISTS checkpoints_thread_id_idx ON checkpoints(thread_id)",
    "CREATE INDEX IF NOT EXISTS checkpoint_blobs_thread_id_idx ON checkpoint_blobs(thread_id)",
    "CREATE INDEX IF NOT EXISTS checkpoint_writes_thread_id_idx ON checkpoint_writes(thread_id)",
    "ALTER TABLE checkpoint_writes ADD COLUMN IF NOT EXISTS task_path TEXT NOT NULL DEFAULT ''",
)


def upgrade() -> None:
    op.execute(f"SET LOCAL search_path TO {SCHEMA}")
    op.execute(STEPS[0])
    bind = op.get_bind()
    applied = bind.execute(sa.text("SELECT coalesce(max(v), -1) FROM checkpoint_migrations")).scalar_one()
    for version in range(applied + 1, len(STEPS)):
        op.execute(STEPS[version])
        bind.execute(sa.text("INSERT INTO checkpoint_migrations (v) VALUES (:v)"), {"v": version})
    op.execute("RESET search_path")


def downgrade() -> None:
    for table in ("checkpoint_writes", "checkpoint_blobs", "checkpoints", "checkpoint_migrations"):
        op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table}")
