"""The ``forecast`` tool: expected daily spend, conversions and CPA after a proposed budget, bid multiplier or
segment/daypart modifier, from the campaign's recent delivery.

Response model (documented, deliberately simple, and checked after the fact: the outcome evaluation writes the
realised effect next to this prediction):

- Without a budget cap, daily spend scales with the bid level as ``k^SPEND_ELASTICITY`` and conversions as
  ``k^CONV_ELASTICITY`` (in a second-price market a higher bid wins more auctions *and* pays more for them, so
  conversions grow slower than spend: marginal CPA rises with the bid).
- The daily budget caps spend; conversions scale with spend along the same curve, so an extra unit of budget buys
  conversions at the marginal CPA, not the average one.
- A segment or daypart modifier applies the same curve to that slice's share of delivery only.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, Field

from db.campaigns import CampaignRepository
from db.performance import PerformanceRepository
from tools.read import ToolContext

__all__ = ["CONV_ELASTICITY", "SPEND_ELASTICITY", "Forecast", "ForecastInput", "forecast"]

SPEND_ELASTICITY = 1.6
CONV_ELASTICITY = 1.0


class ForecastInput(BaseModel):
    lever: Literal["budget", "bid_multiplier", "segment_modifier", "daypart_modifier"]
    new_value: float = Field(description="budget in micros, or the new multiplier / modifier")
    segment_id: int | None = Field(None, description="for segment_modifier")
    hour: int | None = Field(None, ge=0, le=23, description="for daypart_modifier")
    days: int = Field(7, ge=1, le=30, description="history window the baseline is taken from")


class Forecast(BaseModel):
    lever: str
    baseline_spend_micros: int
    baseline_conversions: float
    expected_spend_micros: int
    expected_conversions: float
    expected_cpa_micros: int | None
    delta_conversions: float
    marginal_cpa_micros: int | None = Field(description="extra spend per extra conversion; null if no change")
    basis: str = Field(description="what the forecast rests on")


def _curve(spend: float, conv: float, k: float, cap: float | None) -> tuple[float, float]:
    """Spend and conversions when the bid level is scaled by ``k``, with an optional spend cap."""
    if k <= 0:
        return 0.0, 0.0
    new_spend = spend * k**SPEND_ELASTICITY
    if cap is not None and new_spend > cap:
        new_spend = cap
    if spend <= 0:
        return new_spend, conv
    ratio = new_spend / spend
    return new_spend, conv * ratio ** (CONV_ELASTICITY / SPEND_ELASTICITY)


def forecast(ctx: ToolContext, params: ForecastInput) -> Forecast:
    """Expected daily effect of one lever change, from the last ``days`` of delivery."""
    start = ctx.now - timedelta(days=params.days)
    with ctx.database.transaction() as session:
        campaign = CampaignRepository(session).get(ctx.campaign_id)
        perf = PerformanceRepository(session)
        total = perf.campaign_totals(campaign.id, start, ctx.now)
        budget = campaign.daily_budget_micros
        spend, conv = total.spend_micros / params.days, total.conversions / params.days
        slice_spend, slice_conv = spend, conv
        if params.lever == "segment_modifier" and params.segment_id is not None:
            seg = {t.key: t for t in perf.by_segment(campaign.id, start, ctx.now)}.get(params.segment_id)
            slice_spend = (seg.spend_micros if seg else 0) / params.days
            slice_conv = (seg.conversions if seg else 0) / params.days
            current = float(next((s.bid_modifier for s in perf.segments(campaign.id) if s.id == params.segment_id), 1))
        elif params.lever == "daypart_modifier" and params.hour is not None:
            hours = {t.key: t for t in perf.by_hour_of_day(campaign.id, start, ctx.now)}
            h = hours.get(params.hour)
            slice_spend = (h.spend_micros if h else 0) / params.days
            slice_conv = (h.conversions if h else 0) / params.days
            current = float(campaign.daypart_modifiers.get(str(params.hour), 1.0))
        else:
            current = float(campaign.bid_multiplier)

    if params.lever == "budget":
        limited = spend >= 0.95 * budget
        if limited and budget > 0:
            k = (params.new_value / budget) ** (1 / SPEND_ELASTICITY)
            new_spend, new_conv = _curve(spend, conv, k, params.new_value)
            basis = "budget-limited: extra budget buys conversions at the marginal CPA"
        else:
            new_spend, new_conv = (
                min(spend, params.new_value),
                conv * (min(spend, params.new_value) / spend if spend else 1),
            )
            basis = "not budget-limited: a higher budget changes little; a lower one caps spend"
    else:
        k = params.new_value / current if current > 0 else 1.0
        s2, c2 = _curve(slice_spend, slice_conv, k, None)
        new_spend, new_conv = spend - slice_spend + s2, conv - slice_conv + c2
        if new_spend > budget > 0:
            scale = budget / new_spend
            new_spend, new_conv = budget, new_conv * scale ** (CONV_ELASTICITY / SPEND_ELASTICITY)
        basis = f"bid level ×{k:.3f} on {'the whole campaign' if params.lever == 'bid_multiplier' else 'the slice'}"
    delta_spend, delta_conv = new_spend - spend, new_conv - conv
    return Forecast(
        lever=params.lever,
        baseline_spend_micros=int(spend),
        baseline_conversions=round(conv, 3),
        expected_spend_micros=int(new_spend),
        expected_conversions=round(new_conv, 3),
        expected_cpa_micros=int(new_spend / new_conv) if new_conv > 0 else None,
        delta_conversions=round(delta_conv, 3),
        marginal_cpa_micros=int(delta_spend / delta_conv) if abs(delta_conv) > 1e-9 else None,
        basis=basis,
    )
