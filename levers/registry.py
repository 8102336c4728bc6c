"""Every lever, by its action. A change action without a lever here cannot be proposed, judged or applied."""

from __future__ import annotations

from db.enums import ChangeAction
from levers.base import Lever
from levers.campaign_values import BidMultiplierLever, BudgetLever, TargetCpaLever
from levers.creatives import CreateCreativeLever, PauseCreativeLever, ResumeCreativeLever
from levers.modifiers import (
    DaypartLever,
    FrequencyCapLever,
    PlacementLever,
    SegmentExclusionLever,
    SegmentModifierLever,
)
from levers.status import PauseCampaignLever, ResumeCampaignLever

__all__ = ["CONTROL_OF", "LEVERS", "TARGET_TYPE", "lever_for"]

LEVERS: dict[ChangeAction, Lever] = {
    lever.action: lever
    for lever in (
        BudgetLever(),
        TargetCpaLever(),
        BidMultiplierLever(),
        SegmentModifierLever(),
        SegmentExclusionLever(),
        DaypartLever(),
        PlacementLever(),
        FrequencyCapLever(),
        CreateCreativeLever(),
        PauseCreativeLever(),
        ResumeCreativeLever(),
        PauseCampaignLever(),
        ResumeCampaignLever(),
    )
}
if set(LEVERS) != set(ChangeAction):  # import-time check: a new action without a lever must not ship
    raise RuntimeError(f"change actions without a lever: {sorted(set(ChangeAction) - set(LEVERS))}")

TARGET_TYPE: dict[ChangeAction, str] = {action: lever.target_type for action, lever in LEVERS.items()}
CONTROL_OF: dict[ChangeAction, str] = {a: lever.control for a, lever in LEVERS.items() if lever.control is not None}


def lever_for(action: ChangeAction | str) -> Lever:
    return LEVERS[ChangeAction(action)]
