"""What the cycle's nodes need from outside, built once per run by the runner and captured by the node closures
(never stored in the checkpointed state)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from agents.llm.base import LLMBackend
from agents.toolbelt import Toolbelt
from db.database import Database
from guardrails.policy import GuardrailPolicy
from tools.read import ToolContext

__all__ = ["CreativeScorer", "CycleDeps", "SegmentRates"]

# (headline, description) pairs → predicted CTR each (the CTR model's text-aware score), or None if no model.
CreativeScorer = Callable[[int, Sequence[tuple[str, str]]], list[float] | None]
# campaign id → predicted conversions per impression by segment id, or None if no model.
SegmentRates = Callable[[int], dict[int, float] | None]


@dataclass
class CycleDeps:
    database: Database
    policy: GuardrailPolicy
    llm: LLMBackend | None
    read_only: bool = False
    dry_run: bool = False
    score_creatives: CreativeScorer | None = None
    segment_rates: SegmentRates | None = None
    max_tokens: int = 256
    belts: list[Toolbelt] = field(default_factory=list)

    def belt(self, node: str, campaign_id: int, now: datetime) -> Toolbelt:
        belt = Toolbelt(node, ToolContext(self.database, campaign_id, now))
        self.belts.append(belt)
        return belt
