"""Mutable, JSON-able state of the advertiser's campaigns and creatives inside the sandbox.

Why plain dataclasses of JSON types: the whole sandbox state must round-trip through ``json.dumps`` (a later issue
persists it so several daemon processes share one sandbox). The public, frozen value objects of ``platforms.base`` are
*views* built from this state; the hidden fields (``base_ctr``, ``base_cvr``, ``market_value_micros``,
``daily_opportunities``) never leave the sandbox.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from platforms.base import (
    Campaign,
    CampaignControls,
    CampaignStatus,
    Creative,
    CreativeRotation,
    CreativeStatus,
    Objective,
)
from platforms.sandbox.clock import SimClock

__all__ = ["CampaignState", "CreativeState"]


@dataclass
class CampaignState:
    id: str
    index: int
    account_id: str
    name: str
    objective: str
    daily_budget_micros: int
    target_cpa_micros: int | None
    conversion_value_micros: int
    base_ctr: float
    base_cvr: float
    market_value_micros: int
    daily_opportunities: float
    status: str = CampaignStatus.ACTIVE.value
    bid_multiplier: float = 1.0
    segment_modifiers: dict[str, float] = field(default_factory=dict)
    excluded_segments: list[str] = field(default_factory=list)
    daypart_modifiers: list[float] = field(default_factory=lambda: [1.0] * 24)
    placement_modifiers: dict[str, float] = field(default_factory=dict)
    frequency_cap_per_day: int | None = None
    creative_rotation: str = CreativeRotation.OPTIMIZE.value
    bid_strategy: str = "manual"  # or "target_cpa": the platform sets the bids (platforms.sandbox.smart_bidding)
    spend_today_micros: int = 0
    depleted_today: bool = False

    @property
    def value_micros(self) -> int:
        """Value per conversion the bidder uses: the target CPA when set, else the conversion value."""
        return self.target_cpa_micros if self.target_cpa_micros is not None else self.conversion_value_micros

    def to_campaign(self) -> Campaign:
        return Campaign(
            id=self.id,
            account_id=self.account_id,
            name=self.name,
            objective=Objective(self.objective),
            status=CampaignStatus(self.status),
            daily_budget_micros=self.daily_budget_micros,
            target_cpa_micros=self.target_cpa_micros,
        )

    def to_controls(self) -> CampaignControls:
        return CampaignControls(
            campaign_id=self.id,
            status=CampaignStatus(self.status),
            daily_budget_micros=self.daily_budget_micros,
            target_cpa_micros=self.target_cpa_micros,
            bid_multiplier=self.bid_multiplier,
            segment_modifiers=dict(self.segment_modifiers),
            excluded_segments=frozenset(self.excluded_segments),
            daypart_modifiers=tuple(self.daypart_modifiers),
            placement_modifiers=dict(self.placement_modifiers),
            frequency_cap_per_day=self.frequency_cap_per_day,
            creative_rotation=CreativeRotation(self.creative_rotation),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CampaignState:
        return cls(**data)


@dataclass
class CreativeState:
    id: str
    index: int
    campaign_id: str
    headline: str
    description: str
    status: str
    disapproval_reasons: list[str]
    created_tick: int
    impressions: int = 0
    clicks: int = 0

    def to_creative(self, clock: SimClock) -> Creative:
        return Creative(
            id=self.id,
            campaign_id=self.campaign_id,
            headline=self.headline,
            description=self.description,
            status=CreativeStatus(self.status),
            disapproval_reasons=tuple(self.disapproval_reasons),
            created_at=clock.time_of(self.created_tick),
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CreativeState:
        return cls(**data)
