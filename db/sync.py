"""Stats sync into the store: upserts keyed by the platform's external ids, and the window aggregates the anomaly
checks read back.

Why upserts everywhere: the hourly sync re-reads a trailing window (conversions arrive late, so an hour's figures keep
growing), may be retried after a crash, and may overlap the previous run. Writing by natural key with
``ON CONFLICT DO UPDATE`` makes a re-run converge to the platform's current figures instead of double counting.

The platform is the source of truth for live campaign state (status, budget, target CPA, bid multiplier), so the
sync overwrites those columns; store-only columns (``protected``, ``bid_strategy`` after creation) are never
touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.enums import BidStrategy
from db.schema import AdAccount, AudienceSegment, Campaign, Creative, ImpressionLog, PerformanceHour

__all__ = ["CampaignRef", "SyncRepository", "WindowTotals"]



@dataclass(frozen=True)
class WindowTotals:
    impressions: int
    clicks: int
    conversions: int
    spend_micros: int
    hours: int


@dataclass(frozen=True)
class CampaignRef:
    id: int
    external_id: str
    account_id: int
    account_external_id: str
    platform: str
    status: str
    daily_budget_micros: int


class SyncRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert_account(self, *, platform: str, external_id: str, name: str, currency: str, time_zone: str) -> int:
        stmt = insert(AdAccount).values(
            platform=platform, external_id=external_id, name=name, currency=currency, time_zone=time_zone
        )
        upsert = stmt.on_conflict_do_update(
            index_elements=["platform", "external_id"], set_={"name": stmt.excluded.name}
        ).returning(AdAccount.id)
        return int(self.session.execute(upsert).scalar_one())

    def upsert_campaign(
        self,
        *,
        account_id: int,
        external_id: str,
        name: str,
        objective: str,
        status: str,
        daily_budget_micros: int,
        target_cpa_micros: int | None,
        bid_multiplier: float,
        frequency_cap_per_day: int | None,
    ) -> int:
        values: dict[str, Any] = {
            "name": name,
            "objective": objective,
            "status": status,
            "daily_budget_micros": daily_budget_micros,
            "target_cpa_micros": target_cpa_micros,
            "bid_multiplier": Decimal(str(round(bid_multiplier, 4))),
            "frequency_cap_per_day": frequency_cap_per_day,
        }
        stmt = insert(Campaign).values(
            account_id=account_id,
            external_id=external_id,
            bid_strategy=(BidStrategy.TARGET_CPA if target_cpa_micros else BidStrategy.MAX_CONVERSIONS).value,
            **values,
        )
        upsert = stmt.on_conflict_do_update(
            index_elements=["account_id", "external_id"], set_={k: stmt.excluded[k] for k in values}
        ).returning(Campaign.id)
        return int(self.session.execute(upsert).scalar_one())

    def upsert_segments(self, campaign_id: int, segments: Sequence[dict[str, Any]]) -> None:
        """A campaign's segments in one executemany (``external_id, name, definition, bid_modifier, excluded``):
        one statement per segment made every sync ~20 round trips per campaign slower."""
        if not segments:
            return
        rows = [{**seg, "campaign_id": campaign_id, "bid_modifier": Decimal(str(round(seg["bid_modifier"], 4)))}
                for seg in segments]
        stmt = insert(AudienceSegment)
        upsert = stmt.on_conflict_do_update(
            index_elements=["campaign_id", "external_id"],
            set_={k: stmt.excluded[k] for k in ("name", "definition", "bid_modifier", "excluded")},
        )
        self.session.execute(upsert, rows)

    def upsert_creative(
        self,
        *,
        campaign_id: int,
        external_id: str,
        headline: str,
        description: str,
        status: str,
        policy_verdict: str,
        policy_reasons: list[str],
    ) -> int:
        stmt = insert(Creative).values(
            campaign_id=campaign_id,
            external_id=external_id,
            headline=headline,
            description=description,
            status=status,
            policy_verdict=policy_verdict,
            policy_reasons=policy_reasons,
        )
        upsert = stmt.on_conflict_do_update(
            index_elements=["campaign_id", "external_id"],
            set_={
                k: stmt.excluded[k] for k in ("headline", "description", "status", "policy_verdict", "policy_reasons")
            },
        ).returning(Creative.id)
        return int(self.session.execute(upsert).scalar_one())

    def upsert_performance(self, rows: Sequence[dict[str, Any]]) -> int:
        """Rows keyed by store ids ``campaign_id, segment_id, creative_id, hour_start``; figures are replaced."""
        figures = ("impressions", "clicks", "conversions", "spend_micros", "revenue_micros")
        if rows:
            stmt = insert(PerformanceHour)
            stmt = stmt.on_conflict_do_update(
                index_elements=["campaign_id", "segment_id", "creative_id", "hour_start"],
                set_={k: stmt.excluded[k] for k in figures},
            )
            # executemany: one compiled statement, batched by SQLAlchemy's insertmanyvalues; a multi-VALUES
            # statement built per call is compiled (and parsed by psycopg) anew every time, which made the
            # hourly sync cost seconds
            self.session.execute(stmt, list(rows))
        return len(rows)

    def upsert_impressions(self, rows: Sequence[dict[str, Any]]) -> int:
        """Rows keyed by ``campaign_id, external_id, occurred_at`` (the partition key is part of every unique key
        of the partitioned table; an impression's time never changes); a late conversion updates ``converted_at``.
        A row for a day without its own partition lands in the default partition (``db.partitions``)."""
        if rows:
            stmt = insert(ImpressionLog)
            stmt = stmt.on_conflict_do_update(
                index_elements=["campaign_id", "external_id", "occurred_at"],
                set_={"clicked": stmt.excluded.clicked, "converted_at": stmt.excluded.converted_at},
            )
            self.session.execute(stmt, list(rows))  # executemany (see upsert_performance)
        return len(rows)

    def latest_hour(self) -> datetime | None:
        """Start of the latest synced performance hour (the sync's progress marker)."""
        return self.session.scalar(select(func.max(PerformanceHour.hour_start)))

    def id_maps(self, campaign_id: int) -> tuple[dict[str, int], dict[str, int]]:
        """External → store ids of the campaign's segments and creatives."""
        seg_rows = self.session.execute(
            select(AudienceSegment.external_id, AudienceSegment.id).where(AudienceSegment.campaign_id == campaign_id)
        ).all()
        cre_rows = self.session.execute(
            select(Creative.external_id, Creative.id).where(Creative.campaign_id == campaign_id)
        ).all()
        segments = {str(ext): int(pk) for ext, pk in seg_rows}
        creatives = {str(ext): int(pk) for ext, pk in cre_rows if ext is not None}
        return segments, creatives

    def campaigns(self, *, platform: str | None = None, active_only: bool = True) -> list[CampaignRef]:
        stmt = (
            select(
                Campaign.id,
                Campaign.external_id,
                Campaign.account_id,
                AdAccount.external_id,
                AdAccount.platform,
                Campaign.status,
                Campaign.daily_budget_micros,
            )
            .join(AdAccount, AdAccount.id == Campaign.account_id)
            .order_by(Campaign.id)
        )
        if platform is not None:
            stmt = stmt.where(AdAccount.platform == platform)
        if active_only:
            stmt = stmt.where(Campaign.status == "active")
        return [CampaignRef(*row) for row in self.session.execute(stmt)]

    def window_totals(self, campaign_id: int, start: datetime, end: datetime) -> WindowTotals:
        """Sums over ``[start, end)`` of the campaign's hourly facts, and how many distinct hours had rows."""
        row = self.session.execute(
            select(
                func.coalesce(func.sum(PerformanceHour.impressions), 0),
                func.coalesce(func.sum(PerformanceHour.clicks), 0),
                func.coalesce(func.sum(PerformanceHour.conversions), 0),
                func.coalesce(func.sum(PerformanceHour.spend_micros), 0),
                func.count(func.distinct(PerformanceHour.hour_start)),
            ).where(
                PerformanceHour.campaign_id == campaign_id,
                PerformanceHour.hour_start >= start,
                PerformanceHour.hour_start < end,
            )
        ).one()
        return WindowTotals(*(int(v) for v in row))
