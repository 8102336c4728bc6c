"""The audience analyst node: segment candidates → model review → propose tools (with a forecast each)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from agents.audience import prompts
from agents.audience.analysis import segment_candidates
from agents.deps import CycleDeps
from agents.llm.messages import untrusted
from agents.selection import select
from agents.state import CycleState
from tools.forecast import ForecastInput

__all__ = ["MAX_SEGMENT_ITEMS", "audience_analyst"]

MAX_SEGMENT_ITEMS = 3
NODE = "audience_analyst"


def audience_analyst(deps: CycleDeps) -> Callable[[CycleState], dict[str, Any]]:
    def node(state: CycleState) -> dict[str, Any]:
        belt = deps.belt(NODE, state["campaign_id"], datetime.fromisoformat(state["now"]))
        campaign = belt.call("campaign_state")
        segments = belt.call("segment_performance")
        rates = deps.segment_rates(campaign.campaign_id) if deps.segment_rates else None
        candidates = segment_candidates(segments, campaign, deps.policy, rates)[:MAX_SEGMENT_ITEMS]
        names = {s.segment_id: s.name for s in segments}
        context = "\n".join(
            [
                f"Campaign {campaign.campaign_id} {untrusted('campaign_name', campaign.name)}, objective "
                f"{campaign.objective}, target CPA {campaign.target_cpa_micros}, CPA {campaign.window.cpa_micros}."
            ]
            + [
                f"segment {s.segment_id} {untrusted('segment_name', names[s.segment_id])}: "
                f"{s.metrics.impressions} impressions, {s.metrics.conversions} conversions, modifier {s.bid_modifier}"
                for s in segments
            ]
        )
        kept, selection, fallback = select(deps.llm, prompts.SYSTEM, context, candidates, max_tokens=deps.max_tokens)
        drafts = []
        for c in kept:
            lever_value = 0.0 if c.tool == "propose_segment_exclusion" else float(c.args["modifier"])
            effect = belt.call(
                "forecast",
                ForecastInput(lever="segment_modifier", new_value=lever_value, segment_id=int(c.args["segment_id"])),
            )
            for item in belt.call(c.tool, {**c.args, "rationale": c.reason, "predicted_effect": effect.model_dump()}):
                drafts.append(item.model_dump(mode="json"))
        note = f"audience: {len(candidates)} candidate(s), kept {len(kept)}; {selection.rationale}"
        return {
            "drafts": drafts,
            "notes": [note],
            "tool_calls": [f"{NODE}:{t}" for t in belt.calls],
            "refused_calls": [f"{NODE}:{t}" for t in belt.refused],
            "llm_fallbacks": [NODE] if fallback else [],
        }

    return node
