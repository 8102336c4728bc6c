"""impression_logs range-partitioned by occurred_at (UTC days), partitions in schema ``partitions``

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 18:00:00

Issue 12 part 8: a 30-day demo grew the store 16 MB per simulated day, nearly all impression logs. Partitioning by
day lets retention drop whole days (``DROP TABLE`` returns the space at once; ``DELETE`` + ``VACUUM`` would not).

Upgrade: the existing table is renamed aside, the partitioned table is created with the same columns, a DEFAULT
partition (so an insert for any time lands, however far simulated time is from wall time) and one partition per
UTC day that holds rows, the rows are copied, the id sequence carried on, and the old table dropped. Postgres
requires every unique key of a partitioned table to include the partition key, so the primary key becomes
``(id, occurred_at)`` and the natural key ``(campaign_id, external_id, occurred_at)``.

Partitions live in their own schema so the ORM-vs-database drift check (``db.migrate.drift``) and table listings
of ``public`` see one table, as the ORM does. This migration is self-contained on purpose (no import of
``db.partitions``): a later change to the maintenance code must not change what an old migration did.

Downgrade copies the rows back into a plain table with the old keys (a duplicate ``(campaign_id, external_id)``
with two times, impossible before, keeps the earliest id) and drops the schema ``partitions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SCHEMA = "partitions"
_COLUMNS = (
    "id, campaign_id, segment_id, creative_id, external_id, occurred_at, features, clicked, converted_at, cost_micros"
)


def _columns() -> list[SchemaItem]:
    return [
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("campaign_id", sa.BigInteger(), nullable=False),
        sa.Column("segment_id", sa.BigInteger(), nullable=True),
        sa.Column("creative_id", sa.BigInteger(), nullable=True),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("features", postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), nullable=False),
        sa.Column("clicked", sa.Boolean(), nullable=False),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "converted_at IS NULL OR converted_at >= occurred_at",
            name=op.f("ck_impression_logs_conversion_after_impression"),
        ),
        sa.CheckConstraint("cost_micros >= 0", name=op.f("ck_impression_logs_cost_nonneg")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_impression_logs_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["creative_id"],
            ["creatives.id"],
            name=op.f("fk_impression_logs_creative_id_creatives"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["audience_segments.id"],
            name=op.f("fk_impression_logs_segment_id_audience_segments"),
            ondelete="SET NULL",
        ),
    ]


def _rename_aside(table: str, suffix: str, unique_index: str) -> None:
    """Move a table and the names Postgres keeps schema-unique (indexes, the id sequence) out of the way."""
    op.execute(f"ALTER TABLE {table} RENAME TO {table}_{suffix}")
    op.execute(f"ALTER INDEX pk_{table} RENAME TO pk_{table}_{suffix}")
    op.execute(f"ALTER INDEX {unique_index} RENAME TO uq_{table}_{suffix}")
    op.execute(f"ALTER INDEX ix_{table}_campaign_time RENAME TO ix_{table}_{suffix}_time")
    op.execute(f"ALTER SEQUENCE {table}_id_seq RENAME TO {table}_{suffix}_id_seq")


def _day_partition(day: date) -> str:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    return (
        f"CREATE TABLE {_SCHEMA}.impression_logs_p{day:%Y%m%d} PARTITION OF impression_logs "
        f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
    )


def _carry_sequence() -> None:
    op.execute("SELECT setval('impression_logs_id_seq', coalesce(max(id), 0) + 1, false) FROM impression_logs")


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {_SCHEMA}")
    _rename_aside("impression_logs", "unpartitioned", "uq_impression_logs_campaign_id_external_id")
    op.create_table(
        "impression_logs",
        *_columns(),
        sa.PrimaryKeyConstraint("id", "occurred_at", name=op.f("pk_impression_logs")),
        sa.UniqueConstraint(
            "campaign_id",
            "external_id",
            "occurred_at",
            name=op.f("uq_impression_logs_campaign_id_external_id_occurred_at"),
        ),
        postgresql_partition_by="RANGE (occurred_at)",
    )
    op.execute(f"CREATE TABLE {_SCHEMA}.impression_logs_default PARTITION OF impression_logs DEFAULT")
    days = (
        op.get_bind()
        .execute(sa.text("SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM impression_logs_unpartitioned"))
        .scalars()
    )
    for day in sorted(days):
        op.execute(_day_partition(day))
    op.execute(f"INSERT INTO impression_logs ({_COLUMNS}) SELECT {_COLUMNS} FROM impression_logs_unpartitioned")
    _carry_sequence()
    op.drop_table("impression_logs_unpartitioned")
    op.create_index("ix_impression_logs_campaign_time", "impression_logs", ["campaign_id", "occurred_at"])


def downgrade() -> None:
    _rename_aside("impression_logs", "partitioned", "uq_impression_logs_campaign_id_external_id_occurred_at")
    op.create_table(
        "impression_logs",
        *_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impression_logs")),
        sa.UniqueConstraint("campaign_id", "external_id", name=op.f("uq_impression_logs_campaign_id_external_id")),
    )
    op.execute(
        f"INSERT INTO impression_logs ({_COLUMNS}) SELECT {_COLUMNS} FROM impression_logs_partitioned "
        "ORDER BY id ON CONFLICT (campaign_id, external_id) DO NOTHING"
    )
    _carry_sequence()
    op.drop_table("impression_logs_partitioned")
    op.create_index("ix_impression_logs_campaign_time", "impression_logs", ["campaign_id", "occurred_at"])
    op.execute(f"DROP SCHEMA IF EXISTS {_SCHEMA} CASCADE")
