"""Propose tools: the only tools that lead to a change, and all they do is add an item to the cycle's draft
change-set. The draft is written to the store once, by the supervisor's last node, and then judged by the
guardrails; nothing here touches a platform or commits anything.

Each tool validates that its target belongs to the campaign (or, for budgets, the account) in scope, so a model
cannot aim a proposal at somebody else's campaign by naming an id it read in untrusted text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from adpilot.errors import InvalidInput
from changesets.service import ItemProposal
from db.campaigns import CampaignRepository
from db.enums import ChangeAction
from db.schema import AudienceSegment, Creative
from tools.read import ToolContext

__all__ = [
    "PROPOSE_TOOLS",
    "BidTargetInput",
    "BudgetChangeInput",
    "CreativeInput",
    "DaypartInput",
    "FrequencyCapInput",
    "PauseCampaignInput",
    "PauseCreativeInput",
    "SegmentExclusionInput",
    "SegmentModifierInput",
]


class _Base(BaseModel):
    rationale: str = Field("", max_length=600, description="one or two sentences: why")
    predicted_effect: dict[str, Any] = Field(default_factory=dict)


class BudgetChangeInput(_Base):
    campaign_id: int | None = Field(None, description="a campaign of the same account; default: the one in scope")
    new_daily_budget_micros: int = Field(ge=0)


class BidTargetInput(_Base):
    bid_multiplier: float | None = Field(None, gt=0, le=100)
    target_cpa_micros: int | None = Field(None, gt=0)


class SegmentModifierInput(_Base):
    segment_id: int
    modifier: float = Field(ge=0, le=10)


class SegmentExclusionInput(_Base):
    segment_id: int
    excluded: bool = True


class DaypartInput(_Base):
    hour: int = Field(ge=0, le=23)
    modifier: float = Field(ge=0, le=10)


class FrequencyCapInput(_Base):
    per_day: int | None = Field(None, ge=1, le=100)


class CreativeInput(_Base):
    headline: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=400)


class PauseCreativeInput(_Base):
    creative_id: int


class PauseCampaignInput(_Base):
    pass


def _item(
    ctx: ToolContext, action: ChangeAction, target: str, after: dict[str, Any], p: _Base, campaign_id: int | None = None
) -> ItemProposal:
    return ItemProposal(
        action=action,
        campaign_id=campaign_id or ctx.campaign_id,
        target_id=target,
        after=after,
        rationale=p.rationale,
        predicted_effect=p.predicted_effect,
    )


def _owned(ctx: ToolContext, model: type[AudienceSegment] | type[Creative], row_id: int) -> None:
    with ctx.database.transaction() as session:
        row: Any = session.get(model, row_id)
        if row is None or row.campaign_id != ctx.campaign_id:
            raise InvalidInput(f"{model.__tablename__} {row_id} is not part of campaign {ctx.campaign_id}")


def propose_budget_change(ctx: ToolContext, p: BudgetChangeInput) -> list[ItemProposal]:
    """Set a campaign's daily budget (micros). Guardrails clamp the step and check the account ceiling."""
    target = p.campaign_id or ctx.campaign_id
    with ctx.database.transaction() as session:
        repo = CampaignRepository(session)
        if repo.get(target).account_id != repo.get(ctx.campaign_id).account_id:
            raise InvalidInput(f"campaign {target} is in another account")
    return [
        _item(
            ctx,
            ChangeAction.SET_BUDGET,
            str(target),
            {"daily_budget_micros": p.new_daily_budget_micros},
            p,
            campaign_id=target,
        )
    ]


def propose_bid_target(ctx: ToolContext, p: BidTargetInput) -> list[ItemProposal]:
    """Set the bid multiplier and/or the target CPA (micros)."""
    items = []
    if p.bid_multiplier is not None:
        items.append(
            _item(ctx, ChangeAction.SET_BID_MULTIPLIER, str(ctx.campaign_id), {"bid_multiplier": p.bid_multiplier}, p)
        )
    if p.target_cpa_micros is not None:
        items.append(
            _item(ctx, ChangeAction.SET_TARGET_CPA, str(ctx.campaign_id), {"target_cpa_micros": p.target_cpa_micros}, p)
        )
    if not items:
        raise InvalidInput("propose_bid_target needs bid_multiplier or target_cpa_micros")
    return items


def propose_segment_modifier(ctx: ToolContext, p: SegmentModifierInput) -> list[ItemProposal]:
    """Set an audience segment's bid modifier (1.0 = neutral)."""
    _owned(ctx, AudienceSegment, p.segment_id)
    return [_item(ctx, ChangeAction.SET_SEGMENT_MODIFIER, str(p.segment_id), {"modifier": p.modifier}, p)]


def propose_segment_exclusion(ctx: ToolContext, p: SegmentExclusionInput) -> list[ItemProposal]:
    """Exclude (or re-include) an audience segment."""
    _owned(ctx, AudienceSegment, p.segment_id)
    return [_item(ctx, ChangeAction.SET_SEGMENT_EXCLUSION, str(p.segment_id), {"excluded": p.excluded}, p)]


def propose_daypart_modifier(ctx: ToolContext, p: DaypartInput) -> list[ItemProposal]:
    """Set the bid modifier of one hour of the day (UTC)."""
    return [
        _item(ctx, ChangeAction.SET_DAYPART_MODIFIER, str(ctx.campaign_id), {"hour": p.hour, "modifier": p.modifier}, p)
    ]


def propose_frequency_cap(ctx: ToolContext, p: FrequencyCapInput) -> list[ItemProposal]:
    """Cap impressions per user per day (null removes the cap)."""
    return [_item(ctx, ChangeAction.SET_FREQUENCY_CAP, str(ctx.campaign_id), {"per_day": p.per_day}, p)]


def propose_creative(ctx: ToolContext, p: CreativeInput) -> list[ItemProposal]:
    """Add a new creative (headline ≤ 30, description ≤ 90 characters; checked by the creative policy)."""
    return [
        _item(
            ctx,
            ChangeAction.CREATE_CREATIVE,
            str(ctx.campaign_id),
            {"headline": p.headline, "description": p.description, "origin": "llm"},
            p,
        )
    ]


def propose_pause_creative(ctx: ToolContext, p: PauseCreativeInput) -> list[ItemProposal]:
    """Pause a creative (e.g. fatigued or losing its test)."""
    _owned(ctx, Creative, p.creative_id)
    return [_item(ctx, ChangeAction.PAUSE_CREATIVE, str(p.creative_id), {"status": "paused"}, p)]


def propose_pause_campaign(ctx: ToolContext, p: PauseCampaignInput) -> list[ItemProposal]:
    """Pause the campaign in scope."""
    return [_item(ctx, ChangeAction.PAUSE_CAMPAIGN, str(ctx.campaign_id), {"status": "paused"}, p)]


PROPOSE_TOOLS: dict[str, tuple[type[BaseModel], Callable[..., list[ItemProposal]]]] = {
    "propose_budget_change": (BudgetChangeInput, propose_budget_change),
    "propose_bid_target": (BidTargetInput, propose_bid_target),
    "propose_segment_modifier": (SegmentModifierInput, propose_segment_modifier),
    "propose_segment_exclusion": (SegmentExclusionInput, propose_segment_exclusion),
    "propose_daypart_modifier": (DaypartInput, propose_daypart_modifier),
    "propose_frequency_cap": (FrequencyCapInput, propose_frequency_cap),
    "propose_creative": (CreativeInput, propose_creative),
    "propose_pause_creative": (PauseCreativeInput, propose_pause_creative),
    "propose_pause_campaign": (PauseCampaignInput, propose_pause_campaign),
}
