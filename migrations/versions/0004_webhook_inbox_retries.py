"""webhook inbox: retry with backoff, then dead-letter

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:30:00

A failing event used to be marked processed on its first error and never retried (issue 11). Each row now counts
its attempts and waits ``next_attempt_at`` before the next; after the last attempt it is dead-lettered
(``dead_at``) and an alert is raised.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhook_inbox", sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.add_column("webhook_inbox", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("webhook_inbox", sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(op.f("ck_webhook_inbox_attempts_nonneg"), "webhook_inbox", "attempts >= 0")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_webhook_inbox_attempts_nonneg"), "webhook_inbox", type_="check")
    op.drop_column("webhook_inbox", "dead_at")
    op.drop_column("webhook_inbox", "next_attempt_at")
    op.drop_column("webhook_inbox", "attempts")
