"""The tool executor: every tool an agent node uses goes through ``Toolbelt.call``, which enforces the node's
allowlist and records each call. A model can ask for anything; only the node's own tools ever run.

Why an explicit allowlist per node instead of trusting the graph's wiring: the prompt-injection defence needs a
count of "calls outside the node's allowed tools", and a refusal must be visible, not silently impossible.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from adpilot.errors import AdpilotError
from tools import forecast as forecast_tool
from tools import read
from tools.propose import PROPOSE_TOOLS
from tools.read import ToolContext

__all__ = ["ALLOWED_TOOLS", "ToolNotAllowed", "Toolbelt"]

READ_TOOLS: dict[str, Callable[..., Any]] = {
    "campaign_state": read.campaign_state,
    "segment_performance": read.segment_performance,
    "creative_performance": read.creative_performance,
    "pacing_status": read.pacing_status,
    "recent_changes": read.recent_changes,
    "hour_of_day_performance": read.hour_of_day_performance,
    "account_campaigns": read.account_campaigns,
    "forecast": forecast_tool.forecast,
}

ALLOWED_TOOLS: dict[str, frozenset[str]] = {
    "audience_analyst": frozenset(
        {"campaign_state", "segment_performance", "forecast", "propose_segment_modifier", "propose_segment_exclusion"}
    ),
    "creative_strategist": frozenset(
        {"campaign_state", "creative_performance", "segment_performance", "propose_creative", "propose_pause_creative"}
    ),
    "bid_optimiser": frozenset(
        {
            "campaign_state",
            "pacing_status",
            "hour_of_day_performance",
            "account_campaigns",
            "forecast",
            "propose_budget_change",
            "propose_bid_target",
            "propose_daypart_modifier",
            "propose_frequency_cap",
        }
    ),
    "reviewer": frozenset({"campaign_state", "recent_changes", "forecast"}),
}


class ToolNotAllowed(AdpilotError):
    default_remedy = "the node may only call its own tools (see agents.toolbelt.ALLOWED_TOOLS)"


@dataclass
class Toolbelt:
    node: str
    ctx: ToolContext
    calls: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def call(self, name: str, params: BaseModel | dict[str, Any] | None = None) -> Any:
        if name not in ALLOWED_TOOLS[self.node]:
            self.refused.append(name)
            raise ToolNotAllowed(f"node {self.node} may not call {name!r}")
        self.calls.append(name)
        if name in PROPOSE_TOOLS:
            model, fn = PROPOSE_TOOLS[name]
            args = params if isinstance(params, model) else model.model_validate(params or {})
            return fn(self.ctx, args)
        fn = READ_TOOLS[name]
        if name == "forecast":
            return fn(
                self.ctx,
                params
                if isinstance(params, forecast_tool.ForecastInput)
                else forecast_tool.ForecastInput.model_validate(params),
            )
        return fn(self.ctx) if params is None else fn(self.ctx, params)
