"""Read-side aggregates of the hourly performance facts, for the agents' read tools and reports. The SQL that
matters for "how is this campaign / segment / creative doing" lives here and nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.schema import AudienceSegment, Creative, ImpressionLog, PerformanceHour

__all__ = ["DailyTotals", "PerformanceRepository", "Totals", "data_clock", "recent_impressions"]


@dataclass(frozen=True)
class Totals:
    key: int
    impressions: int
    clicks: int
    conversions: int
    spend_micros: int
    revenue_micros: int


@dataclass(frozen=True)
class DailyTotals:
    day: datetime
    impressions: int
    clicks: int
    conversions: int
    spend_micros: int


def _sums() -> tuple[Any, ...]:
    p = PerformanceHour
    return (
        func.coalesce(func.sum(p.impressions), 0),
        func.coalesce(func.sum(p.clicks), 0),
        func.coalesce(func.sum(p.conversions), 0),
        func.coalesce(func.sum(p.spend_micros), 0),
        func.coalesce(func.sum(p.revenue_micros), 0),
    )


class PerformanceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _grouped(self, column: Any, campaign_id: int, start: datetime, end: datetime) -> list[Totals]:
        p = PerformanceHour
        stmt = (
            select(column, *_sums())
            .where(p.campaign_id == campaign_id, p.hour_start >= start, p.hour_start < end)
            .group_by(column)
            .order_by(column)
        )
        return [Totals(int(r[0]), *(int(x) for x in r[1:])) for r in self.session.execute(stmt)]

    def campaign_totals(self, campaign_id: int, start: datetime, end: datetime) -> Totals:
        p = PerformanceHour
        row = self.session.execute(
            select(*_sums()).where(p.campaign_id == campaign_id, p.hour_start >= start, p.hour_start < end)
        ).one()
        return Totals(campaign_id, *(int(x) for x in row))

    def by_segment(self, campaign_id: int, start: datetime, end: datetime) -> list[Totals]:
        return self._grouped(PerformanceHour.segment_id, campaign_id, start, end)

    def by_creative(self, campaign_id: int, start: datetime, end: datetime) -> list[Totals]:
        return self._grouped(PerformanceHour.creative_id, campaign_id, start, end)

    def by_hour_of_day(self, campaign_id: int, start: datetime, end: datetime) -> list[Totals]:
        hour = func.extract("hour", func.timezone("UTC", PerformanceHour.hour_start)).cast(
            type_=PerformanceHour.id.type
        )
        return self._grouped(hour, campaign_id, start, end)

    def daily(self, campaign_id: int, start: datetime, end: datetime) -> list[DailyTotals]:
        p = PerformanceHour
        day = func.date_trunc("day", func.timezone("UTC", p.hour_start))
        stmt = (
            select(day, *_sums()[:4])
            .where(p.campaign_id == campaign_id, p.hour_start >= start, p.hour_start < end)
            .group_by(day)
            .order_by(day)
        )
        return [DailyTotals(r[0].replace(tzinfo=UTC), *(int(x) for x in r[1:])) for r in self.session.execute(stmt)]

    def creative_daily_ctr(self, campaign_id: int, start: datetime, end: datetime) -> dict[int, list[tuple[int, int]]]:
        """Per creative, (impressions, clicks) per day in order — the fatigue signal."""
        p = PerformanceHour
        day = func.date_trunc("day", func.timezone("UTC", p.hour_start))
        stmt = (
            select(p.creative_id, day, func.sum(p.impressions), func.sum(p.clicks))
            .where(p.campaign_id == campaign_id, p.hour_start >= start, p.hour_start < end)
            .group_by(p.creative_id, day)
            .order_by(p.creative_id, day)
        )
        out: dict[int, list[tuple[int, int]]] = {}
        for creative_id, _, imps, clicks in self.session.execute(stmt):
            out.setdefault(int(creative_id), []).append((int(imps), int(clicks)))
        return out

    def segments(self, campaign_id: int) -> list[AudienceSegment]:
        stmt = select(AudienceSegment).where(AudienceSegment.campaign_id == campaign_id).order_by(AudienceSegment.id)
        return list(self.session.scalars(stmt))

    def creatives(self, campaign_id: int) -> list[Creative]:
        stmt = select(Creative).where(Creative.campaign_id == campaign_id).order_by(Creative.id)
        return list(self.session.scalars(stmt))


def data_clock(session: Session, campaign_id: int) -> datetime | None:
    """The end of the latest synced hour of a campaign: "now" for a simulated platform, whose clock is not ours."""
    latest = session.scalar(
        select(func.max(PerformanceHour.hour_start)).where(PerformanceHour.campaign_id == campaign_id)
    )
    return latest + timedelta(hours=1) if latest is not None else None


def recent_impressions(session: Session, *, limit: int = 200_000) -> list[dict[str, Any]]:
    """The newest impression-level log rows (all campaigns), oldest first: the training data of the nightly
    retraining. Plain dicts in the shape ``models.datasets.load_impression_logs`` reads."""
    stmt = (
        select(ImpressionLog.features, ImpressionLog.clicked, ImpressionLog.converted_at, ImpressionLog.occurred_at)
        .order_by(ImpressionLog.occurred_at.desc())
        .limit(limit)
    )
    rows = [
        {"features": f, "clicked": c, "converted_at": conv, "timestamp": at} for f, c, conv, at in session.execute(stmt)
    ]
    rows.reverse()
    return rows
