"""Read, forecast and propose tools against a synced sandbox account."""

from __future__ import annotations

import pytest

from adpilot.errors import InvalidInput
from tools.forecast import ForecastInput, forecast
from tools.propose import (
    BudgetChangeInput,
    PauseCreativeInput,
    SegmentModifierInput,
    propose_budget_change,
    propose_pause_creative,
    propose_segment_modifier,
)
from tools.read import ToolContext, campaign_state, creative_performance, pacing_status, segment_performance


def test_read_tools_agree_with_each_other(world) -> None:
    ctx = ToolContext(world.database, world.campaign_ids[1], world.now)
    state = campaign_state(ctx)
    segments = segment_performance(ctx)
    creatives = creative_performance(ctx)
    assert state.window.impressions == sum(s.metrics.impressions for s in segments)
    assert state.window.impressions == sum(c.metrics.impressions for c in creatives)
    assert state.window.spend_micros > 0 and state.budget_utilisation >= 0
    pace = pacing_status(ctx)
    assert pace.share_of_day_elapsed > 0 and pace.daily_budget_micros == state.daily_budget_micros


def test_forecast_is_monotone_in_the_bid_and_capped_by_budget(world) -> None:
    ctx = ToolContext(world.database, world.campaign_ids[1], world.now)
    low = forecast(ctx, ForecastInput(lever="bid_multiplier", new_value=0.8))
    high = forecast(ctx, ForecastInput(lever="bid_multiplier", new_value=1.2))
    assert low.expected_spend_micros <= low.baseline_spend_micros <= high.expected_spend_micros
    assert low.expected_conversions <= high.expected_conversions
    state = campaign_state(ctx)
    huge = forecast(ctx, ForecastInput(lever="bid_multiplier", new_value=50))
    assert huge.expected_spend_micros <= state.daily_budget_micros
    if high.delta_conversions > 0:  # marginal CPA above average: diminishing returns
        assert high.marginal_cpa_micros and high.expected_cpa_micros
        assert high.marginal_cpa_micros >= high.expected_cpa_micros


def test_propose_tools_refuse_targets_outside_the_campaign(world) -> None:
    mine, other = world.campaign_ids[1], world.campaign_ids[0]
    ctx = ToolContext(world.database, mine, world.now)
    foreign_segment = segment_performance(ToolContext(world.database, other, world.now))[0].segment_id
    with pytest.raises(InvalidInput, match="not part of campaign"):
        propose_segment_modifier(ctx, SegmentModifierInput(segment_id=foreign_segment, modifier=2.0))
    foreign_creative = creative_performance(ToolContext(world.database, other, world.now))[0].creative_id
    with pytest.raises(InvalidInput):
        propose_pause_creative(ctx, PauseCreativeInput(creative_id=foreign_creative))
    (item,) = propose_budget_change(ctx, BudgetChangeInput(new_daily_budget_micros=1_000_000, rationale="r"))
    assert item.campaign_id == mine and item.after == {"daily_budget_micros": 1_000_000}
