"""Multiplicative modifiers and targeting switches: audience segments (modifier, exclusion), hours of the day,
placements, and the frequency cap. Ranges come from the policy (``modifier_min``..``modifier_max``,
``max_frequency_cap``); the change for the autonomy tier is the distance from neutral (1.0)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field
from sqlalchemy.orm import Session

from db.enums import ChangeAction
from db.schema import AudienceSegment, Campaign, ChangeItem
from levers.base import Blocked, Clamped, Lever, Payload, PlatformCall, get_row
from platforms.base import AdPlatform, WriteResult

if TYPE_CHECKING:  # levers must not import the guardrails at run time: the engine imports levers
    from guardrails.policy import GuardrailPolicy

__all__ = ["DaypartLever", "FrequencyCapLever", "PlacementLever", "SegmentExclusionLever", "SegmentModifierLever"]


def _clamp_modifier(after: dict[str, Any], policy: GuardrailPolicy) -> Clamped:
    value = round(min(max(float(after["modifier"]), policy.modifier_min), policy.modifier_max), 4)
    return Clamped({**after, "modifier": value}, abs(value - 1.0))


class ModifierPayload(Payload):
    modifier: float = Field(ge=0, allow_inf_nan=False)


class SegmentModifierLever(Lever):
    action: ClassVar[ChangeAction] = ChangeAction.SET_SEGMENT_MODIFIER
    target_type: ClassVar[str] = "segment"
    control: ClassVar[str | None] = "segment"
    payload = ModifierPayload
    evidence = "segment_impressions"

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        return _clamp_modifier(after, policy)

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        return {"modifier": float(get_row(session, AudienceSegment, target_id).bid_modifier)}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        segment = get_row(session, AudienceSegment, item.target_id)
        return PlatformCall(campaign.external_id, segment.external_id, {"modifier": float(item.after["modifier"])})

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        return platform.set_segment_modifier(
            call.campaign, str(call.target), call.values["modifier"], idempotency_key=key, validate_only=validate_only
        )

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        live = platform.get_controls(call.campaign).segment_modifiers.get(str(call.target), 1.0)
        return abs(live - call.values["modifier"]) < 5e-5

    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        get_row(session, AudienceSegment, item.target_id).bid_modifier = Decimal(str(item.after["modifier"]))
        return {}


class ExclusionPayload(Payload):
    excluded: bool


class SegmentExclusionLever(Lever):
    action: ClassVar[ChangeAction] = ChangeAction.SET_SEGMENT_EXCLUSION
    target_type: ClassVar[str] = "segment"
    control: ClassVar[str | None] = "segment"
    payload = ExclusionPayload
    evidence = "segment_impressions"

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        return Clamped(after, 1.0)

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        return {"excluded": get_row(session, AudienceSegment, target_id).excluded}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        segment = get_row(session, AudienceSegment, item.target_id)
        return PlatformCall(campaign.external_id, segment.external_id, {"excluded": bool(item.after["excluded"])})

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        return platform.set_segment_exclusion(
            call.campaign, str(call.target), call.values["excluded"], idempotency_key=key, validate_only=validate_only
        )

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        excluded = str(call.target) in platform.get_controls(call.campaign).excluded_segments
        return excluded == call.values["excluded"]

    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        get_row(session, AudienceSegment, item.target_id).excluded = bool(item.after["excluded"])
        return {}


class DaypartPayload(Payload):
    hour: int = Field(ge=0, le=23)
    modifier: float = Field(ge=0, allow_inf_nan=False)


class DaypartLever(Lever):
    action: ClassVar[ChangeAction] = ChangeAction.SET_DAYPART_MODIFIER
    target_type: ClassVar[str] = "campaign"
    control: ClassVar[str | None] = "daypart"
    payload = DaypartPayload

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        return _clamp_modifier(after, policy)

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        hour = after.get("hour")
        return {"hour": hour, "modifier": float(campaign.daypart_modifiers.get(str(hour), 1.0))}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        return PlatformCall(
            campaign.external_id, values={"hour": int(item.after["hour"]), "modifier": float(item.after["modifier"])}
        )

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        # the platform takes the whole day; read it back so a concurrent edit of another hour is not overwritten
        hours = list(platform.get_controls(call.campaign).daypart_modifiers)
        hours[call.values["hour"]] = call.values["modifier"]
        return platform.set_daypart_modifiers(call.campaign, hours, idempotency_key=key, validate_only=validate_only)

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        live = platform.get_controls(call.campaign).daypart_modifiers[call.values["hour"]]
        return abs(live - call.values["modifier"]) < 5e-5

    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        campaign.daypart_modifiers = {
            **campaign.daypart_modifiers,
            str(item.after["hour"]): float(item.after["modifier"]),
        }
        return {}


class PlacementLever(Lever):
    action: ClassVar[ChangeAction] = ChangeAction.SET_PLACEMENT_MODIFIER
    target_type: ClassVar[str] = "placement"
    control: ClassVar[str | None] = "placement"
    payload = ModifierPayload

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        return _clamp_modifier(after, policy)

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        return {"modifier": float(campaign.placement_modifiers.get(target_id, 1.0))}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        return PlatformCall(campaign.external_id, item.target_id, {"modifier": float(item.after["modifier"])})

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        return platform.set_placement_modifier(
            call.campaign, str(call.target), call.values["modifier"], idempotency_key=key, validate_only=validate_only
        )

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        live = platform.get_controls(call.campaign).placement_modifiers.get(str(call.target), 1.0)
        return abs(live - call.values["modifier"]) < 5e-5

    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        campaign.placement_modifiers = {**campaign.placement_modifiers, item.target_id: float(item.after["modifier"])}
        return {}


class FrequencyCapPayload(Payload):
    per_day: int | None = Field(ge=1)


class FrequencyCapLever(Lever):
    action: ClassVar[ChangeAction] = ChangeAction.SET_FREQUENCY_CAP
    target_type: ClassVar[str] = "campaign"
    control: ClassVar[str | None] = "frequency"
    payload = FrequencyCapPayload

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        cap = after["per_day"]
        return Clamped({"per_day": min(cap, policy.max_frequency_cap) if cap is not None else None}, 1.0)

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        return {"per_day": campaign.frequency_cap_per_day}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        return PlatformCall(campaign.external_id, values={"per_day": item.after["per_day"]})

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        return platform.set_frequency_cap(
            call.campaign, call.values["per_day"], idempotency_key=key, validate_only=validate_only
        )

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        return platform.get_controls(call.campaign).frequency_cap_per_day == call.values["per_day"]

    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        campaign.frequency_cap_per_day = item.after["per_day"]
        return {}
