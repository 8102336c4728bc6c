"""Read tools: what the agents may look at. Side-effect free; every figure comes from the campaign store.

Each tool takes a pydantic input and returns a pydantic output, so the same definitions document the tool for the
model (JSON schema) and type the deterministic code that calls it. Platform-sourced text (segment and creative
names, creative copy) is returned as data fields; prompts wrap it with ``untrusted()`` before a model sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from db.campaigns import CampaignRepository
from db.changesets import ChangeSetRepository
from db.database import Database
from db.performance import PerformanceRepository, Totals

__all__ = [
    "AccountCampaign",
    "CampaignState",
    "CreativePerformance",
    "HourPerformance",
    "PacingStatus",
    "RecentChange",
    "SegmentPerformance",
    "ToolContext",
    "account_campaigns",
    "campaign_state",
    "creative_performance",
    "hour_of_day_performance",
    "pacing_status",
    "recent_changes",
    "segment_performance",
]


@dataclass(frozen=True)
class ToolContext:
    """What every tool needs: the store, the campaign in scope and the (possibly simulated) time."""

    database: Database
    campaign_id: int
    now: datetime


class WindowInput(BaseModel):
    days: int = Field(7, ge=1, le=90, description="look-back window in days")


class Metrics(BaseModel):
    impressions: int
    clicks: int
    conversions: int
    spend_micros: int
    ctr: float = Field(description="clicks / impressions")
    cvr: float = Field(description="conversions / clicks")
    cpa_micros: int | None = Field(description="spend / conversions; null without conversions")

    @classmethod
    def of(cls, t: Totals) -> Metrics:
        return cls(
            impressions=t.impressions,
            clicks=t.clicks,
            conversions=t.conversions,
            spend_micros=t.spend_micros,
            ctr=t.clicks / t.impressions if t.impressions else 0.0,
            cvr=t.conversions / t.clicks if t.clicks else 0.0,
            cpa_micros=t.spend_micros // t.conversions if t.conversions else None,
        )


class CampaignState(BaseModel):
    campaign_id: int
    name: str
    objective: str
    status: str
    daily_budget_micros: int
    target_cpa_micros: int | None
    bid_multiplier: float
    frequency_cap_per_day: int | None
    daypart_modifiers: dict[str, float] = Field(default_factory=dict, description="hour (UTC) → bid modifier")
    protected: bool
    window_days: int
    window: Metrics
    budget_utilisation: float = Field(description="mean share of the daily budget spent per full day in the window")
    days_budget_limited: int = Field(description="full days in the window that spent >= 95 % of the budget")


class SegmentPerformance(BaseModel):
    segment_id: int
    name: str
    bid_modifier: float
    excluded: bool
    metrics: Metrics
    conversions_per_1k_impressions: float


class CreativePerformance(BaseModel):
    creative_id: int
    headline: str
    description: str
    status: str
    origin: str
    metrics: Metrics
    ctr_first_half: float = Field(description="CTR over the older half of the window's days")
    ctr_second_half: float = Field(description="CTR over the recent half; a fall signals fatigue")


class PacingStatus(BaseModel):
    campaign_id: int
    day_start: datetime
    spend_today_micros: int
    daily_budget_micros: int
    share_of_day_elapsed: float
    share_of_budget_spent: float
    projected_spend_micros: int = Field(description="linear projection of today's spend to the end of the day")


class RecentChange(BaseModel):
    change_set_id: int
    status: str
    origin: str
    action: str
    target: str
    before: dict[str, object]
    after: dict[str, object]
    created_at: datetime


def _window(ctx: ToolContext, days: int) -> tuple[datetime, datetime]:
    return ctx.now - timedelta(days=days), ctx.now


def campaign_state(ctx: ToolContext, params: WindowInput | None = None) -> CampaignState:
    """The campaign's controls and its performance over the window."""
    days = (params or WindowInput()).days
    start, end = _window(ctx, days)
    with ctx.database.transaction() as session:
        c = CampaignRepository(session).get(ctx.campaign_id)
        perf = PerformanceRepository(session)
        totals = perf.campaign_totals(c.id, start, end)
        daily = [d for d in perf.daily(c.id, start, end) if d.day + timedelta(days=1) <= ctx.now]
        budget = c.daily_budget_micros
        shares = [d.spend_micros / budget for d in daily] if budget else []
        return CampaignState(
            campaign_id=c.id,
            name=c.name,
            objective=c.objective,
            status=c.status,
            daily_budget_micros=budget,
            target_cpa_micros=c.target_cpa_micros,
            bid_multiplier=float(c.bid_multiplier),
            frequency_cap_per_day=c.frequency_cap_per_day,
            daypart_modifiers={str(h): float(m) for h, m in c.daypart_modifiers.items()},
            protected=c.protected,
            window_days=days,
            window=Metrics.of(totals),
            budget_utilisation=sum(shares) / len(shares) if shares else 0.0,
            days_budget_limited=sum(s >= 0.95 for s in shares),
        )


def segment_performance(ctx: ToolContext, params: WindowInput | None = None) -> list[SegmentPerformance]:
    """Each audience segment's delivery and conversions over the window."""
    start, end = _window(ctx, (params or WindowInput()).days)
    with ctx.database.transaction() as session:
        perf = PerformanceRepository(session)
        totals = {t.key: t for t in perf.by_segment(ctx.campaign_id, start, end)}
        out = []
        for seg in perf.segments(ctx.campaign_id):
            t = totals.get(seg.id, Totals(seg.id, 0, 0, 0, 0, 0))
            out.append(
                SegmentPerformance(
                    segment_id=seg.id,
                    name=seg.name,
                    bid_modifier=float(seg.bid_modifier),
                    excluded=seg.excluded,
                    metrics=Metrics.of(t),
                    conversions_per_1k_impressions=1000 * t.conversions / t.impressions if t.impressions else 0.0,
                )
            )
        return out


def _half_ctrs(days: list[tuple[int, int]]) -> tuple[float, float]:
    if not days:
        return 0.0, 0.0
    mid = max(1, len(days) // 2)
    first, second = days[:mid], days[mid:] or days[:mid]

    def ctr(part: list[tuple[int, int]]) -> float:
        imps = sum(i for i, _ in part)
        return sum(c for _, c in part) / imps if imps else 0.0

    return ctr(first), ctr(second)


def creative_performance(ctx: ToolContext, params: WindowInput | None = None) -> list[CreativePerformance]:
    """Each creative's delivery, CTR and fatigue signal (CTR of the older vs the recent half of the window)."""
    start, end = _window(ctx, (params or WindowInput()).days)
    with ctx.database.transaction() as session:
        perf = PerformanceRepository(session)
        totals = {t.key: t for t in perf.by_creative(ctx.campaign_id, start, end)}
        daily = perf.creative_daily_ctr(ctx.campaign_id, start, end)
        out = []
        for cr in perf.creatives(ctx.campaign_id):
            first, second = _half_ctrs(daily.get(cr.id, []))
            out.append(
                CreativePerformance(
                    creative_id=cr.id,
                    headline=cr.headline,
                    description=cr.description,
                    status=cr.status,
                    origin=cr.origin,
                    metrics=Metrics.of(totals.get(cr.id, Totals(cr.id, 0, 0, 0, 0, 0))),
                    ctr_first_half=first,
                    ctr_second_half=second,
                )
            )
        return out


def pacing_status(ctx: ToolContext) -> PacingStatus:
    """Today's spend against the daily budget, and a linear projection to the end of the day."""
    day_start = ctx.now.replace(hour=0, minute=0, second=0, microsecond=0)
    with ctx.database.transaction() as session:
        c = CampaignRepository(session).get(ctx.campaign_id)
        spent = PerformanceRepository(session).campaign_totals(c.id, day_start, ctx.now).spend_micros
        elapsed = max((ctx.now - day_start).total_seconds() / 86_400, 1e-6)
        budget = c.daily_budget_micros
        return PacingStatus(
            campaign_id=c.id,
            day_start=day_start,
            spend_today_micros=spent,
            daily_budget_micros=budget,
            share_of_day_elapsed=elapsed,
            share_of_budget_spent=spent / budget if budget else 0.0,
            projected_spend_micros=int(spent / elapsed),
        )


def recent_changes(ctx: ToolContext, limit: int = 20) -> list[RecentChange]:
    """The campaign's latest change-set items, newest first (what was tried, and whether it was applied)."""
    with ctx.database.transaction() as session:
        out: list[RecentChange] = []
        for cs in ChangeSetRepository(session).list_change_sets(campaign_id=ctx.campaign_id, limit=limit):
            for item in cs.items:
                out.append(
                    RecentChange(
                        change_set_id=cs.id,
                        status=item.status,
                        origin=cs.origin,
                        action=item.action,
                        target=f"{item.target_type} {item.target_id}",
                        before=item.before,
                        after=item.after,
                        created_at=cs.created_at,
                    )
                )
        return out[:limit]


class HourPerformance(BaseModel):
    hour: int
    metrics: Metrics


def hour_of_day_performance(ctx: ToolContext, params: WindowInput | None = None) -> list[HourPerformance]:
    """Delivery by hour of day (UTC) over the window: where value varies by hour, dayparting pays."""
    start, end = _window(ctx, (params or WindowInput()).days)
    with ctx.database.transaction() as session:
        rows = PerformanceRepository(session).by_hour_of_day(ctx.campaign_id, start, end)
        return [HourPerformance(hour=t.key, metrics=Metrics.of(t)) for t in rows]


class AccountCampaign(BaseModel):
    campaign_id: int
    name: str
    status: str
    daily_budget_micros: int
    target_cpa_micros: int | None
    window: Metrics
    budget_utilisation: float


def account_campaigns(ctx: ToolContext, params: WindowInput | None = None) -> list[AccountCampaign]:
    """The other campaigns of the same account, for budget reallocation by marginal return."""
    days = (params or WindowInput()).days
    start, end = _window(ctx, days)
    with ctx.database.transaction() as session:
        repo = CampaignRepository(session)
        account_id = repo.get(ctx.campaign_id).account_id
        perf = PerformanceRepository(session)
        out = []
        for c in repo.list_campaigns(account_id=account_id, status="active"):
            t = perf.campaign_totals(c.id, start, end)
            budget = c.daily_budget_micros
            out.append(
                AccountCampaign(
                    campaign_id=c.id,
                    name=c.name,
                    status=c.status,
                    daily_budget_micros=budget,
                    target_cpa_micros=c.target_cpa_micros,
                    window=Metrics.of(t),
                    budget_utilisation=t.spend_micros / (budget * days) if budget else 0.0,
                )
            )
        return out
