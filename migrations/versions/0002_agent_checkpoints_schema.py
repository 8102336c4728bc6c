"""agent_checkpoints schema for LangGraph's Postgres checkpointer

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:10:00

The checkpointer manages its own tables (versioned by the library) inside this schema; keeping them out of the
public schema keeps the ORM drift check meaningful.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS agent_checkpoints")


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS agent_checkpoints CASCADE")
