"""stepped simulation clock: a shared simulated "now" and each replica's acknowledged step

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 17:40:00

Issue 12: in the stepped mode the simulated market advances one tick only when every job due at the current tick
has finished. The driver writes the current simulated time into ``sim_clocks`` (one row per named clock); each
daemon replica reads it as its clock and, once it has fired every scheduled job due at that time, records it in
``replicas.stepped_to``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sim_clocks",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("now", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"),
                  nullable=False),
    )
    op.add_column("replicas", sa.Column("stepped_to", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("replicas", "stepped_to")
    op.drop_table("sim_clocks")
