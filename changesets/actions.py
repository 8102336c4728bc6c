"""What each change action means for the store and for the platform.

For every :class:`ChangeAction` this module knows how to read the current value from the store (``before``), how to
issue the platform write (with the item's idempotency key, dry-run or for real), how to mirror an applied write into
the store, and what the inverse item is. ``after`` keys per action:

=========================  =================  =====================================
action                     target             after
=========================  =================  =====================================
set_budget                 campaign id        ``daily_budget_micros``
set_target_cpa             campaign id        ``target_cpa_micros``
set_bid_multiplier         campaign id        ``bid_multiplier``
set_segment_modifier       segment id         ``modifier``
set_segment_exclusion      segment id         ``excluded``
set_daypart_modifier       campaign id        ``hour``, ``modifier``
set_placement_modifier     placement name     ``modifier``
set_frequency_cap          campaign id        ``per_day`` (null = no cap)
create_creative            campaign id        ``headline``, ``description``
pause/resume_creative      creative id        ``status``
pause/resume_campaign      campaign id        ``status``
=========================  =================  =====================================
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from adpilot.errors import InvalidInput, NotFound
from db.enums import ChangeAction, CreativeOrigin, CreativeStatus, PolicyVerdict
from db.schema import AudienceSegment, Campaign, ChangeItem, Creative
from platforms.base import AdPlatform, WriteResult

__all__ = ["TARGET_TYPE", "inverse_of", "read_before", "write_to_platform", "write_to_store"]

A = ChangeAction
TARGET_TYPE: dict[ChangeAction, str] = {
    A.SET_BUDGET: "campaign",
    A.SET_TARGET_CPA: "campaign",
    A.SET_BID_MULTIPLIER: "campaign",
    A.SET_SEGMENT_MODIFIER: "segment",
    A.SET_SEGMENT_EXCLUSION: "segment",
    A.SET_DAYPART_MODIFIER: "campaign",
    A.SET_PLACEMENT_MODIFIER: "placement",
    A.SET_FREQUENCY_CAP: "campaign",
    A.CREATE_CREATIVE: "campaign",
    A.PAUSE_CREATIVE: "creative",
    A.RESUME_CREATIVE: "creative",
    A.PAUSE_CAMPAIGN: "campaign",
    A.RESUME_CAMPAIGN: "campaign",
}


def _get(session: Session, model: type[Any], row_id: str | int) -> Any:
    try:
        row = session.get(model, int(row_id))
    except ValueError as exc:
        raise InvalidInput(f"{model.__tablename__} id {row_id!r} is not a number") from exc
    if row is None:
        raise NotFound(f"{model.__tablename__} {row_id} does not exist")
    return row


def read_before(
    session: Session, campaign: Campaign, action: ChangeAction, target_id: str, after: dict[str, Any]
) -> dict[str, Any]:
    """The store's current value of what the item changes."""
    if action is A.SET_BUDGET:
        return {"daily_budget_micros": campaign.daily_budget_micros}
    if action is A.SET_TARGET_CPA:
        return {"target_cpa_micros": campaign.target_cpa_micros}
    if action is A.SET_BID_MULTIPLIER:
        return {"bid_multiplier": float(campaign.bid_multiplier)}
    if action is A.SET_SEGMENT_MODIFIER:
        return {"modifier": float(_get(session, AudienceSegment, target_id).bid_modifier)}
    if action is A.SET_SEGMENT_EXCLUSION:
        return {"excluded": _get(session, AudienceSegment, target_id).excluded}
    if action is A.SET_DAYPART_MODIFIER:
        hour = after.get("hour")
        return {"hour": hour, "modifier": float(campaign.daypart_modifiers.get(str(hour), 1.0))}
    if action is A.SET_PLACEMENT_MODIFIER:
        return {"modifier": float(campaign.placement_modifiers.get(target_id, 1.0))}
    if action is A.SET_FREQUENCY_CAP:
        return {"per_day": campaign.frequency_cap_per_day}
    if action in (A.PAUSE_CREATIVE, A.RESUME_CREATIVE):
        return {"status": _get(session, Creative, target_id).status}
    if action in (A.PAUSE_CAMPAIGN, A.RESUME_CAMPAIGN):
        return {"status": campaign.status}
    return {}


def inverse_of(item: ChangeItem, result_after: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The item that undoes ``item``: same action with the recorded ``before`` values; a created creative is undone
    by pausing it. ``None`` when nothing needs undoing."""
    action = ChangeAction(item.action)
    if action is A.CREATE_CREATIVE:
        creative_id = (result_after or {}).get("store_creative_id")
        if creative_id is None:
            return None
        return {"action": A.PAUSE_CREATIVE.value, "target_id": str(creative_id), "after": {"status": "paused"}}
    if action in (A.PAUSE_CREATIVE, A.RESUME_CREATIVE, A.PAUSE_CAMPAIGN, A.RESUME_CAMPAIGN):
        was = item.before.get("status")
        if was == item.after.get("status"):
            return None
        creative = action in (A.PAUSE_CREATIVE, A.RESUME_CREATIVE)
        back = (
            (A.RESUME_CREATIVE if creative else A.RESUME_CAMPAIGN)
            if was == "active"
            else (A.PAUSE_CREATIVE if creative else A.PAUSE_CAMPAIGN)
        )
        return {"action": back.value, "target_id": item.target_id, "after": {"status": was}}
    return {"action": action.value, "target_id": item.target_id, "after": dict(item.before)}


def write_to_platform(
    session: Session, platform: AdPlatform, item: ChangeItem, campaign: Campaign, *, validate_only: bool
) -> WriteResult:
    """Issue the item's platform write with its idempotency key (a retry of the same key is a no-op there)."""
    action, after, key = ChangeAction(item.action), item.after, item.idempotency_key
    cid = campaign.external_id
    if action is A.SET_BUDGET:
        return platform.set_daily_budget(
            cid, int(after["daily_budget_micros"]), idempotency_key=key, validate_only=validate_only
        )
    if action is A.SET_TARGET_CPA:
        return platform.set_target_cpa(
            cid, after["target_cpa_micros"], idempotency_key=key, validate_only=validate_only
        )
    if action is A.SET_BID_MULTIPLIER:
        return platform.set_bid_multiplier(
            cid, float(after["bid_multiplier"]), idempotency_key=key, validate_only=validate_only
        )
    if action is A.SET_SEGMENT_MODIFIER:
        segment = _get(session, AudienceSegment, item.target_id)
        return platform.set_segment_modifier(
            cid, segment.external_id, float(after["modifier"]), idempotency_key=key, validate_only=validate_only
        )
    if action is A.SET_SEGMENT_EXCLUSION:
        segment = _get(session, AudienceSegment, item.target_id)
        return platform.set_segment_exclusion(
            cid, segment.external_id, bool(after["excluded"]), idempotency_key=key, validate_only=validate_only
        )
    if action is A.SET_DAYPART_MODIFIER:
        # the platform takes the whole day; read it back so a concurrent edit of another hour is not overwritten
        hours = list(platform.get_controls(cid).daypart_modifiers)
        hours[int(after["hour"])] = float(after["modifier"])
        return platform.set_daypart_modifiers(cid, hours, idempotency_key=key, validate_only=validate_only)
    if action is A.SET_PLACEMENT_MODIFIER:
        return platform.set_placement_modifier(
            cid, item.target_id, float(after["modifier"]), idempotency_key=key, validate_only=validate_only
        )
    if action is A.SET_FREQUENCY_CAP:
        return platform.set_frequency_cap(cid, after["per_day"], idempotency_key=key, validate_only=validate_only)
    if action is A.CREATE_CREATIVE:
        return platform.create_creative(
            cid,
            str(after["headline"]),
            str(after.get("description", "")),
            idempotency_key=key,
            validate_only=validate_only,
        )
    if action in (A.PAUSE_CREATIVE, A.RESUME_CREATIVE):
        creative = _get(session, Creative, item.target_id)
        if creative.external_id is None:
            raise InvalidInput(f"creative {creative.id} is not on the platform yet")
        call = platform.pause_creative if action is A.PAUSE_CREATIVE else platform.resume_creative
        return call(creative.external_id, idempotency_key=key, validate_only=validate_only)
    if action is A.PAUSE_CAMPAIGN:
        return platform.pause_campaign(cid, idempotency_key=key, validate_only=validate_only)
    if action is A.RESUME_CAMPAIGN:
        return platform.resume_campaign(cid, idempotency_key=key, validate_only=validate_only)
    raise InvalidInput(f"unknown action {action}")


def _store_segment(session: Session, target_id: str, field: str, value: Any) -> None:
    setattr(_get(session, AudienceSegment, target_id), field, value)


def write_to_store(session: Session, item: ChangeItem, campaign: Campaign, result: WriteResult) -> dict[str, Any]:
    """Mirror an applied platform write into the store; returns extra facts for the ledger (e.g. a new creative's
    store id)."""
    action, after = ChangeAction(item.action), item.after
    setters: dict[ChangeAction, Callable[[], None]] = {
        A.SET_BUDGET: lambda: setattr(campaign, "daily_budget_micros", int(after["daily_budget_micros"])),
        A.SET_TARGET_CPA: lambda: setattr(campaign, "target_cpa_micros", after["target_cpa_micros"]),
        A.SET_BID_MULTIPLIER: lambda: setattr(campaign, "bid_multiplier", Decimal(str(after["bid_multiplier"]))),
        A.SET_SEGMENT_MODIFIER: lambda: _store_segment(
            session, item.target_id, "bid_modifier", Decimal(str(after["modifier"]))
        ),
        A.SET_SEGMENT_EXCLUSION: lambda: _store_segment(session, item.target_id, "excluded", bool(after["excluded"])),
        A.SET_DAYPART_MODIFIER: lambda: setattr(
            campaign, "daypart_modifiers", {**campaign.daypart_modifiers, str(after["hour"]): float(after["modifier"])}
        ),
        A.SET_PLACEMENT_MODIFIER: lambda: setattr(
            campaign, "placement_modifiers", {**campaign.placement_modifiers, item.target_id: float(after["modifier"])}
        ),
        A.SET_FREQUENCY_CAP: lambda: setattr(campaign, "frequency_cap_per_day", after["per_day"]),
        A.PAUSE_CAMPAIGN: lambda: setattr(campaign, "status", "paused"),
        A.RESUME_CAMPAIGN: lambda: setattr(campaign, "status", "active"),
        A.PAUSE_CREATIVE: lambda: setattr(_get(session, Creative, item.target_id), "status", "paused"),
        A.RESUME_CREATIVE: lambda: setattr(_get(session, Creative, item.target_id), "status", "active"),
    }
    if action is A.CREATE_CREATIVE:
        platform_after = result.after if isinstance(result.after, dict) else {}
        external_id = platform_after.get("creative_id")
        status = str(platform_after.get("status") or "active")
        creative = Creative(
            campaign_id=campaign.id,
            external_id=str(external_id) if external_id is not None else None,
            headline=str(after["headline"]),
            description=str(after.get("description", "")),
            status=status if status in {s.value for s in CreativeStatus} else CreativeStatus.ACTIVE.value,
            origin=CreativeOrigin.LLM.value if after.get("origin", "llm") == "llm" else CreativeOrigin.HUMAN.value,
            policy_verdict=(PolicyVerdict.DISAPPROVED if status == "disapproved" else PolicyVerdict.APPROVED).value,
        )
        session.add(creative)
        session.flush()
        return {"store_creative_id": creative.id, "platform_creative_id": external_id}
    setters[action]()
    session.flush()
    return {}
