"""The bid & budget optimiser node: bid level, budget, reallocation and dayparting candidates → model review →
propose tools, each with a forecast from the ``forecast`` tool."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from agents.bidding import prompts
from agents.bidding.analysis import bid_budget_candidates, daypart_candidates, reallocation_candidates
from agents.candidates import Candidate
from agents.deps import CycleDeps
from agents.llm.messages import untrusted
from agents.selection import select
from agents.state import CycleState
from agents.toolbelt import Toolbelt
from tools.forecast import ForecastInput

__all__ = ["bid_optimiser"]

NODE = "bid_optimiser"


def _forecast(belt: Toolbelt, c: Candidate) -> dict[str, Any]:
    if c.tool == "propose_budget_change" and "campaign_id" not in c.args:
        params = ForecastInput(lever="budget", new_value=float(c.args["new_daily_budget_micros"]))
    elif c.tool == "propose_bid_target" and "bid_multiplier" in c.args:
        params = ForecastInput(lever="bid_multiplier", new_value=float(c.args["bid_multiplier"]))
    elif c.tool == "propose_daypart_modifier":
        params = ForecastInput(lever="daypart_modifier", new_value=float(c.args["modifier"]), hour=c.args["hour"])
    else:
        return {}
    return dict(belt.call("forecast", params).model_dump())


def bid_optimiser(deps: CycleDeps) -> Callable[[CycleState], dict[str, Any]]:
    def node(state: CycleState) -> dict[str, Any]:
        belt = deps.belt(NODE, state["campaign_id"], datetime.fromisoformat(state["now"]))
        campaign = belt.call("campaign_state")
        belt.call("pacing_status")
        others = belt.call("account_campaigns")
        hours = belt.call("hour_of_day_performance")
        min_conv = deps.policy.evidence.min_conversions_for_bid_or_budget
        candidates = reallocation_candidates(campaign, others, min_conv) or bid_budget_candidates(campaign, min_conv)
        if campaign.target_cpa_micros:
            candidates += daypart_candidates(
                hours, campaign.daypart_modifiers, min_spend=2 * campaign.target_cpa_micros
            )
        context = (
            f"Campaign {campaign.campaign_id} {untrusted('campaign_name', campaign.name)}: budget "
            f"{campaign.daily_budget_micros} micros/day (utilisation {campaign.budget_utilisation:.0%}, limited on "
            f"{campaign.days_budget_limited} of {campaign.window_days} days), target CPA {campaign.target_cpa_micros},"
            f" CPA {campaign.window.cpa_micros}, {campaign.window.conversions} conversions, multiplier "
            f"{campaign.bid_multiplier}."
        )
        kept, selection, fallback = select(deps.llm, prompts.SYSTEM, context, candidates, max_tokens=deps.max_tokens)
        drafts = []
        for c in kept:
            effect = _forecast(belt, c)
            for item in belt.call(c.tool, {**c.args, "rationale": c.reason, "predicted_effect": effect}):
                drafts.append(item.model_dump(mode="json"))
        return {
            "drafts": drafts,
            "notes": [f"bidding: {len(candidates)} candidate(s), kept {len(kept)}; {selection.rationale}"],
            "tool_calls": [f"{NODE}:{t}" for t in belt.calls],
            "refused_calls": [f"{NODE}:{t}" for t in belt.refused],
            "llm_fallbacks": [NODE] if fallback else [],
        }

    return node
