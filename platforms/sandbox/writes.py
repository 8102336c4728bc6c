"""The advertiser's writes on the sandbox: validation rules and effects, one method per ``AdPlatform`` write.

Why each write is a *plan*: validation runs first and returns ``(before, after, apply)``; the common path in
``SandboxPlatform._write`` handles idempotency, the rate limit and ``validate_only`` once, so a dry run performs
exactly the same checks as the real write and a rule cannot be forgotten on one path.

Ranges: daily budget 1–1,000,000 units (integer micros); target CPA 0.01–100,000 units or ``None``; bid multiplier
0.1–10; segment, daypart and placement modifiers 0–10 (``None`` resets a modifier to 1); frequency cap 1–1,000 per
user per day or ``None``; headline ≤ 30 and description ≤ 90 characters (longer text is accepted but disapproved,
like every other policy breach, with a ``creative_disapproved`` event).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime

from platforms.base import (
    CampaignStatus,
    CreativeRotation,
    CreativeStatus,
    InvalidValue,
    JsonValue,
    PolicyRejected,
    WriteResult,
)
from platforms.sandbox.campaign_state import CampaignState, CreativeState
from platforms.sandbox.creative_text import rule_violations
from platforms.sandbox.vocabulary import PLACEMENTS, segment_definitions

__all__ = ["WriteMixin"]

_M = 1_000_000
_SEGMENT_IDS = frozenset(s.id for s in segment_definitions())
Plan = tuple[JsonValue, JsonValue, Callable[[], JsonValue | None]]


def _micros(value: object, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"{field} must be integer micros, got {value!r}", field=field,
                           remedy="pass money as an int of micros (1 unit = 1_000_000)")
    if not lo <= value <= hi:
        raise InvalidValue(f"{field} must be within {lo}..{hi} micros, got {value}", field=field)
    return value


def _factor(value: object, field: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValue(f"{field} must be a finite number, got {value!r}", field=field)
    if not lo <= value <= hi:
        raise InvalidValue(f"{field} must be within {lo}..{hi}, got {value}", field=field)
    return float(value)


class WriteMixin:
    """Writes of :class:`platforms.sandbox.platform.SandboxPlatform` (it provides the attributes below)."""

    _campaigns: list[CampaignState]
    _creatives: list[CreativeState]
    _tick: int

    def _campaign(self, campaign_id: str | None) -> CampaignState:
        raise NotImplementedError

    def _creative(self, creative_id: str) -> CreativeState:
        raise NotImplementedError

    def _emit_disapproval(self, creative: CreativeState) -> None:
        raise NotImplementedError

    def now(self) -> datetime:
        raise NotImplementedError

    def _write(
        self,
        operation: str,
        target_id: str,
        payload: dict[str, JsonValue],
        key: str,
        validate_only: bool,
        plan: Callable[[], Plan],
    ) -> WriteResult:
        raise NotImplementedError

    def _set_field(
        self, operation: str, campaign_id: str, name: str, value: JsonValue, key: str, validate_only: bool,
        check: Callable[[], object],
    ) -> WriteResult:
        def plan() -> Plan:
            camp = self._campaign(campaign_id)
            check()
            before = getattr(camp, name)

            def apply() -> None:
                setattr(camp, name, value)

            return before, value, apply

        return self._write(operation, campaign_id, {name: value}, key, validate_only, plan)

    # ------------------------------------------------------------------------------------------ campaign controls
    def set_daily_budget(
        self, campaign_id: str, amount_micros: int, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._set_field("set_daily_budget", campaign_id, "daily_budget_micros", amount_micros,
                               idempotency_key, validate_only,
                               lambda: _micros(amount_micros, "amount_micros", _M, 10**6 * _M))

    def set_target_cpa(
        self, campaign_id: str, amount_micros: int | None, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        def check() -> None:
            if amount_micros is not None:
                _micros(amount_micros, "amount_micros", 10_000, 10**5 * _M)

        return self._set_field("set_target_cpa", campaign_id, "target_cpa_micros", amount_micros,
                               idempotency_key, validate_only, check)

    def set_bid_multiplier(
        self, campaign_id: str, multiplier: float, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        return self._set_field("set_bid_multiplier", campaign_id, "bid_multiplier", multiplier,
                               idempotency_key, validate_only, lambda: _factor(multiplier, "multiplier", 0.1, 10.0))

    def set_frequency_cap(
        self, campaign_id: str, per_day: int | None, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        def check() -> None:
            if per_day is not None and (isinstance(per_day, bool) or not isinstance(per_day, int)
                                        or not 1 <= per_day <= 1000):
                raise InvalidValue(f"per_day must be an int within 1..1000 or None, got {per_day!r}",
                                   field="per_day")

        return self._set_field("set_frequency_cap", campaign_id, "frequency_cap_per_day", per_day,
                               idempotency_key, validate_only, check)

    def set_creative_rotation(
        self, campaign_id: str, rotation: CreativeRotation, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        def check() -> None:
            if rotation not in tuple(CreativeRotation):
                raise InvalidValue(f"unknown rotation {rotation!r}", field="rotation")

        value = str(CreativeRotation(rotation).value) if rotation in tuple(CreativeRotation) else str(rotation)
        return self._set_field("set_creative_rotation", campaign_id, "creative_rotation", value,
                               idempotency_key, validate_only, check)

    def set_daypart_modifiers(
        self, campaign_id: str, modifiers: Sequence[float], *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult:
        values = list(modifiers)

        def check() -> None:
            if len(values) != 24:
                raise InvalidValue(f"need 24 hour-of-day modifiers (UTC), got {len(values)}", field="modifiers")
            for hour, value in enumerate(values):
                _factor(value, f"modifiers[{hour}]", 0.0, 10.0)

        clean: list[JsonValue] = [float(v) for v in values] if len(values) == 24 else list(values)
        return self._set_field("set_daypart_modifiers", campaign_id, "daypart_modifiers", clean,
                               idempotency_key, validate_only, check)

    def _set_mapping_entry(
        self, operation: str, campaign_id: str, attr: str, entry: str, modifier: float | None, key: str,
        validate_only: bool,
    ) -> WriteResult:
        def plan() -> Plan:
            camp = self._campaign(campaign_id)
            if modifier is not None:
                _factor(modifier, "modifier", 0.0, 10.0)
            table: dict[str, float] = getattr(camp, attr)
            before = table.get(entry)

            def apply() -> None:
                if modifier is None:
                    table.pop(entry, None)
                else:
                    table[entry] = float(modifier)

            return before, None if modifier is None else float(modifier), apply

        payload: dict[str, JsonValue] = {"entry": entry, "modifier": modifier}
        return self._write(operation, campaign_id, payload, key, validate_only, plan)

    def set_segment_modifier(
        self, campaign_id: str, segment_id: str, modifier: float | None, *, idempotency_key: str,
        validate_only: bool = False,
    ) -> WriteResult:
        if segment_id not in _SEGMENT_IDS:
            self._campaign(campaign_id)
            raise InvalidValue(f"no segment {segment_id!r}", field="segment_id",
                               remedy="list the account's segments and use one of their ids")
        return self._set_mapping_entry("set_segment_modifier", campaign_id, "segment_modifiers", segment_id,
                                       modifier, idempotency_key, validate_only)

    def set_placement_modifier(
        self, campaign_id: str, placement: str, modifier: float | None, *, idempotency_key: str,
        validate_only: bool = False,
    ) -> WriteResult:
        if placement not in PLACEMENTS:
            raise InvalidValue(f"no placement {placement!r}; one of {', '.join(PLACEMENTS)}", field="placement")
        return self._set_mapping_entry("set_placement_modifier", campaign_id, "placement_modifiers", placement,
                                       modifier, idempotency_key, validate_only)

    def set_segment_exclusion(
        self, campaign_id: str, segment_id: str, excluded: bool, *, idempotency_key: str,
        validate_only: bool = False,
    ) -> WriteResult:
        def plan() -> Plan:
            camp = self._campaign(campaign_id)
            if segment_id not in _SEGMENT_IDS:
                raise InvalidValue(f"no segment {segment_id!r}", field="segment_id")
            before = segment_id in camp.excluded_segments

            def apply() -> None:
                if excluded and not before:
                    camp.excluded_segments.append(segment_id)
                elif not excluded and before:
                    camp.excluded_segments.remove(segment_id)

            return before, bool(excluded), apply

        payload: dict[str, JsonValue] = {"segment_id": segment_id, "excluded": bool(excluded)}
        return self._write("set_segment_exclusion", campaign_id, payload, idempotency_key, validate_only, plan)

    def _set_campaign_status(self, campaign_id: str, status: CampaignStatus, key: str, dry: bool) -> WriteResult:
        operation = "pause_campaign" if status is CampaignStatus.PAUSED else "resume_campaign"
        return self._set_field(operation, campaign_id, "status", status.value, key, dry, lambda: None)

    def pause_campaign(self, campaign_id: str, *, idempotency_key: str, validate_only: bool = False) -> WriteResult:
        return self._set_campaign_status(campaign_id, CampaignStatus.PAUSED, idempotency_key, validate_only)

    def resume_campaign(self, campaign_id: str, *, idempotency_key: str, validate_only: bool = False) -> WriteResult:
        return self._set_campaign_status(campaign_id, CampaignStatus.ACTIVE, idempotency_key, validate_only)

    # ------------------------------------------------------------------------------------------ creatives
    def create_creative(
        self, campaign_id: str, headline: str, description: str, *, idempotency_key: str,
        validate_only: bool = False,
    ) -> WriteResult:
        def plan() -> Plan:
            self._campaign(campaign_id)
            if not isinstance(headline, str) or not isinstance(description, str):
                raise InvalidValue("headline and description must be strings", field="headline")
            reasons = list(rule_violations(headline, description))
            status = CreativeStatus.DISAPPROVED if reasons else CreativeStatus.ACTIVE
            after: dict[str, JsonValue] = {"creative_id": None, "status": status.value,
                                           "disapproval_reasons": list(reasons)}

            def apply() -> JsonValue:
                creative = CreativeState(
                    id=f"cr_{len(self._creatives) + 1:04d}", index=len(self._creatives), campaign_id=campaign_id,
                    headline=headline, description=description, status=status.value,
                    disapproval_reasons=list(reasons), created_tick=self._tick,
                )
                self._creatives.append(creative)
                if reasons:
                    self._emit_disapproval(creative)
                return {**after, "creative_id": creative.id}

            return None, after, apply

        payload: dict[str, JsonValue] = {"headline": headline, "description": description}
        return self._write("create_creative", campaign_id, payload, idempotency_key, validate_only, plan)

    def _set_creative_status(self, creative_id: str, status: CreativeStatus, key: str, dry: bool) -> WriteResult:
        operation = "pause_creative" if status is CreativeStatus.PAUSED else "resume_creative"

        def plan() -> Plan:
            creative = self._creative(creative_id)
            if creative.status == CreativeStatus.DISAPPROVED and status is CreativeStatus.ACTIVE:
                raise PolicyRejected(f"creative {creative_id} is disapproved and cannot run",
                                     reasons=creative.disapproval_reasons)
            before = creative.status
            if before == CreativeStatus.DISAPPROVED:
                return before, before, lambda: None

            def apply() -> None:
                creative.status = status.value

            return before, status.value, apply

        return self._write(operation, creative_id, {"status": status.value}, key, dry, plan)

    def pause_creative(self, creative_id: str, *, idempotency_key: str, validate_only: bool = False) -> WriteResult:
        return self._set_creative_status(creative_id, CreativeStatus.PAUSED, idempotency_key, validate_only)

    def resume_creative(self, creative_id: str, *, idempotency_key: str, validate_only: bool = False) -> WriteResult:
        return self._set_creative_status(creative_id, CreativeStatus.ACTIVE, idempotency_key, validate_only)
