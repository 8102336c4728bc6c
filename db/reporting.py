"""Queries behind the HTML report: per-campaign hourly and daily series, the creative leaderboard and the
change-set timeline of one account over a period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.schema import AdAccount, AgentRun, Campaign, ChangeSet, Creative, PerformanceHour

__all__ = ["CampaignSeries", "ReportRepository", "change_set_counts", "llm_tokens"]


@dataclass
class CampaignSeries:
    campaign_id: int
    name: str
    daily_budget_micros: int
    target_cpa_micros: int | None
    hours: list[datetime]
    spend_micros: list[int]
    conversions: list[int]
    impressions: list[int]
    clicks: list[int]


class ReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def accounts(self) -> list[AdAccount]:
        return list(self.session.scalars(select(AdAccount).order_by(AdAccount.id)))

    def latest_account_id(self) -> int | None:
        return self.session.scalar(select(func.max(AdAccount.id)))

    def campaigns(self, account_id: int) -> list[Campaign]:
        return list(
            self.session.scalars(select(Campaign).where(Campaign.account_id == account_id).order_by(Campaign.id))
        )

    def hourly(self, campaign: Campaign, start: datetime, end: datetime) -> CampaignSeries:
        p = PerformanceHour
        rows = self.session.execute(
            select(
                p.hour_start,
                func.sum(p.spend_micros),
                func.sum(p.conversions),
                func.sum(p.impressions),
                func.sum(p.clicks),
            )
            .where(p.campaign_id == campaign.id, p.hour_start >= start, p.hour_start < end)
            .group_by(p.hour_start)
            .order_by(p.hour_start)
        ).all()
        return CampaignSeries(
            campaign.id,
            campaign.name,
            campaign.daily_budget_micros,
            campaign.target_cpa_micros,
            [r[0].astimezone(UTC) for r in rows],
            [int(r[1]) for r in rows],
            [int(r[2]) for r in rows],
            [int(r[3]) for r in rows],
            [int(r[4]) for r in rows],
        )

    def creative_leaderboard(self, account_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
        p = PerformanceHour
        stmt = (
            select(
                Creative,
                Campaign.name,
                func.coalesce(func.sum(p.impressions), 0),
                func.coalesce(func.sum(p.clicks), 0),
                func.coalesce(func.sum(p.conversions), 0),
            )
            .join(Campaign, Campaign.id == Creative.campaign_id)
            .outerjoin(p, (p.creative_id == Creative.id) & (p.hour_start >= start) & (p.hour_start < end))
            .where(Campaign.account_id == account_id)
            .group_by(Creative.id, Campaign.name)
        )
        out = []
        for creative, campaign_name, imps, clicks, conv in self.session.execute(stmt):
            out.append(
                {
                    "creative_id": creative.id,
                    "campaign": campaign_name,
                    "headline": creative.headline,
                    "description": creative.description,
                    "status": creative.status,
                    "origin": creative.origin,
                    "impressions": int(imps),
                    "clicks": int(clicks),
                    "conversions": int(conv),
                    "ctr": int(clicks) / int(imps) if imps else 0.0,
                }
            )
        return sorted(out, key=lambda r: (-r["ctr"], -r["impressions"]))

    def change_sets(self, account_id: int, start: datetime, end: datetime) -> list[ChangeSet]:
        stmt = (
            select(ChangeSet)
            .where(
                ChangeSet.account_id == account_id,
                ChangeSet.created_at >= start,
                ChangeSet.created_at < end,
                ChangeSet.origin != "pacer",
            )  # the per-tick pacer's adjustments are plotted, not listed
            .order_by(ChangeSet.created_at, ChangeSet.id)
        )
        return list(self.session.scalars(stmt))


def change_set_counts(session: Session, account_id: int) -> dict[str, int]:
    """Change-sets of an account by outcome (agents and people; the per-tick pacer's are counted apart)."""
    rows = dict(
        session.execute(
            select(ChangeSet.status, func.count())
            .where(ChangeSet.account_id == account_id, ChangeSet.origin != "pacer")
            .group_by(ChangeSet.status)
        ).all()
    )
    pacer = session.scalar(
        select(func.count()).where(
            ChangeSet.account_id == account_id, ChangeSet.origin == "pacer", ChangeSet.status == "applied"
        )
    )
    return {
        "proposed": int(sum(rows.values())),
        "applied": int(rows.get("applied", 0)) + int(rows.get("rolled_back", 0)),
        "blocked": int(rows.get("blocked", 0)),
        "rolled_back": int(rows.get("rolled_back", 0)),
        "pending_approval": int(rows.get("pending_approval", 0)),
        "pacer_adjustments": int(pacer or 0),
    }


def llm_tokens(session: Session, account_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(AgentRun.prompt_tokens + AgentRun.completion_tokens), 0))
        .join(Campaign, Campaign.id == AgentRun.campaign_id)
        .where(Campaign.account_id == account_id)
    )
    return int(total or 0)
