"""Observed outcomes: hourly performance facts and impression-level training logs.

Both grow with time; ARCHITECTURE.md decision 9 moves them to native partitioning by time when they outgrow one
table, which is why their natural keys already include the time column. ``impression_logs`` (by far the largest)
is range-partitioned by ``occurred_at`` into UTC days (migration 0007, maintenance in :mod:`db.partitions`), so
retention drops whole days instead of deleting rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.types import Micros

__all__ = ["ImpressionLog", "PerformanceHour"]


class PerformanceHour(Base):
    """One hour of delivery for campaign × segment × creative (0 = "not broken down" is not used: rows are
    always at full grain, so sums over any dimension are exact)."""

    __tablename__ = "performance_hours"
    __table_args__ = (
        UniqueConstraint("campaign_id", "segment_id", "creative_id", "hour_start"),
        CheckConstraint(
            "impressions >= 0 AND clicks >= 0 AND conversions >= 0 AND spend_micros >= 0 AND revenue_micros >= 0",
            name="nonneg",
        ),
        CheckConstraint("clicks <= impressions", name="clicks_le_impressions"),
        Index("ix_performance_hours_campaign_hour", "campaign_id", "hour_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    segment_id: Mapped[int] = mapped_column(ForeignKey("audience_segments.id", ondelete="CASCADE"))
    creative_id: Mapped[int] = mapped_column(ForeignKey("creatives.id", ondelete="CASCADE"))
    hour_start: Mapped[datetime]
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(BigInteger, default=0)
    spend_micros: Mapped[int] = mapped_column(Micros, default=0)
    revenue_micros: Mapped[int] = mapped_column(Micros, default=0)


class ImpressionLog(Base):
    """One served impression with the advertiser-visible features, for CTR/CVR training.

    ``converted_at`` stays NULL until the (delayed) conversion arrives; training code must treat recent
    impressions as not-yet-labelled rather than negative.

    Partitioned by range of ``occurred_at``: Postgres requires every unique key of a partitioned table to include
    the partition key, hence ``(id, occurred_at)`` and ``(campaign_id, external_id, occurred_at)`` — an impression's
    time never changes, so the natural key is as strict as before. The partitions themselves live in the schema
    ``partitions`` (created and dropped by :mod:`db.partitions`, not part of this metadata).
    """

    __tablename__ = "impression_logs"
    __table_args__ = (
        UniqueConstraint("campaign_id", "external_id", "occurred_at"),
        CheckConstraint("cost_micros >= 0", name="cost_nonneg"),
        CheckConstraint("converted_at IS NULL OR converted_at >= occurred_at", name="conversion_after_impression"),
        Index("ix_impression_logs_campaign_time", "campaign_id", "occurred_at"),
        {"postgresql_partition_by": "RANGE (occurred_at)"},
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("audience_segments.id", ondelete="SET NULL"))
    creative_id: Mapped[int | None] = mapped_column(ForeignKey("creatives.id", ondelete="SET NULL"))
    external_id: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(primary_key=True)
    features: Mapped[dict[str, Any]]
    clicked: Mapped[bool] = mapped_column(Boolean, default=False)
    converted_at: Mapped[datetime | None]
    cost_micros: Mapped[int] = mapped_column(Micros, default=0)
