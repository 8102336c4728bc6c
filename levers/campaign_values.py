"""Campaign-level numbers: daily budget, target CPA (integer micros, moved by exact rational arithmetic) and the bid
multiplier. Each step is bounded by the policy's per-step and per-day limits against the day's first value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field
from sqlalchemy.orm import Session

from db.enums import ChangeAction
from db.schema import Campaign, ChangeItem
from levers.base import Blocked, Clamped, Lever, Payload, PlatformCall, round_inward
from platforms.base import AdPlatform, WriteResult

if TYPE_CHECKING:  # levers must not import the guardrails at run time: the engine imports levers
    from guardrails.policy import GuardrailPolicy, StepLimits

__all__ = ["BidMultiplierLever", "BudgetLever", "TargetCpaLever"]


def _int_interval(current: int, day_start: int, limits: StepLimits) -> tuple[int, int]:
    """Integers within the step % of ``current`` and the day % of ``day_start`` (no float touches micros)."""
    step = Fraction(str(limits.max_change_pct_per_step)) / 100
    day = Fraction(str(limits.max_change_pct_per_day)) / 100
    lo = max(math.ceil(current * (1 - step)), math.ceil(day_start * (1 - day)))
    hi = min(math.floor(current * (1 + step)), math.floor(day_start * (1 + day)))
    return lo, hi


def _clamp_micros(
    key: str, value: int, current: int | None, day_start: int | None, limits: StepLimits, floor: int
) -> Clamped | Blocked:
    if not current or current <= 0:
        return Blocked("no_baseline", f"current {key} is not set; set the first value by hand")
    value = max(value, floor)
    lo, hi = _int_interval(current, day_start or current, limits)
    lo = max(lo, floor)
    if lo > hi:
        return Blocked("daily_limit", f"today's allowance for {key} is used up ({current} now)")
    new = min(max(value, lo), hi)
    return Clamped({key: new}, abs(new - current) / current)


class _MicrosLever(Lever):
    """A campaign-level amount in micros, moved within the step and day limits of ``limits`` (policy section)."""

    key: ClassVar[str]
    limits: ClassVar[str]  # "budget" or "bid"
    evidence = "conversions"

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        current, day_start, floor = self._bounds(state, policy)
        return _clamp_micros(self.key, after[self.key], current, day_start, getattr(policy, self.limits), floor)

    def _bounds(self, state: Any, policy: GuardrailPolicy) -> tuple[int | None, int | None, int]:
        raise NotImplementedError

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        return {self.key: getattr(campaign, self.key)}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        return PlatformCall(campaign.external_id, values={self.key: int(item.after[self.key])})

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        return bool(getattr(platform.get_controls(call.campaign), self.key) == call.values[self.key])

    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        setattr(campaign, self.key, int(item.after[self.key]))
        return {}


class BudgetPayload(Payload):
    daily_budget_micros: int = Field(ge=0)


class BudgetLever(_MicrosLever):
    action: ClassVar[ChangeAction] = ChangeAction.SET_BUDGET
    target_type: ClassVar[str] = "campaign"
    control: ClassVar[str | None] = "budget"
    payload = BudgetPayload
    key: ClassVar[str] = "daily_budget_micros"
    limits: ClassVar[str] = "budget"

    def _bounds(self, state: Any, policy: GuardrailPolicy) -> tuple[int | None, int | None, int]:
        return state.daily_budget_micros, state.budget_at_day_start_micros, policy.min_daily_budget_micros

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        return platform.set_daily_budget(
            call.campaign, call.values[self.key], idempotency_key=key, validate_only=validate_only
        )


class TargetCpaPayload(Payload):
    target_cpa_micros: int = Field(ge=1)


class TargetCpaLever(_MicrosLever):
    action: ClassVar[ChangeAction] = ChangeAction.SET_TARGET_CPA
    target_type: ClassVar[str] = "campaign"
    control: ClassVar[str | None] = "bid"
    payload = TargetCpaPayload
    key: ClassVar[str] = "target_cpa_micros"
    limits: ClassVar[str] = "bid"

    def _bounds(self, state: Any, policy: GuardrailPolicy) -> tuple[int | None, int | None, int]:
        return state.target_cpa_micros, state.target_cpa_at_day_start_micros, 1

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        return platform.set_target_cpa(
            call.campaign, call.values[self.key], idempotency_key=key, validate_only=validate_only
        )


class BidMultiplierPayload(Payload):
    bid_multiplier: float = Field(gt=0, allow_inf_nan=False)


class BidMultiplierLever(Lever):
    action: ClassVar[ChangeAction] = ChangeAction.SET_BID_MULTIPLIER
    target_type: ClassVar[str] = "campaign"
    control: ClassVar[str | None] = "bid"
    payload = BidMultiplierPayload
    evidence = "conversions"

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        step, day = policy.bid.max_change_pct_per_step / 100, policy.bid.max_change_pct_per_day / 100
        current, start = state.bid_multiplier, state.bid_multiplier_at_day_start
        lo, hi = round_inward(
            max(current * (1 - step), start * (1 - day)), min(current * (1 + step), start * (1 + day))
        )
        if lo > hi:
            return Blocked("daily_limit", "today's allowance for the bid multiplier is used up")
        new = min(max(float(after["bid_multiplier"]), lo), hi)
        return Clamped({"bid_multiplier": new}, abs(new - current) / current)

    def clamp_for_pacer(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        """The pacer's bounds (policy ``pacing``): absolute range, per step and per day."""
        rules = policy.pacing
        step, day = rules.max_step_pct / 100, rules.max_change_pct_per_day / 100
        current, start = state.bid_multiplier, state.bid_multiplier_at_day_start
        lo, hi = round_inward(
            max(rules.min_multiplier, current * (1 - step), start * (1 - day)),
            min(rules.max_multiplier, current * (1 + step), start * (1 + day)),
        )
        if lo > hi:
            return Blocked("daily_limit", "today's pacing allowance for the bid multiplier is used up")
        new = min(max(float(after["bid_multiplier"]), lo), hi)
        return Clamped({"bid_multiplier": new}, abs(new - current) / current)

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        return {"bid_multiplier": float(campaign.bid_multiplier)}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        return PlatformCall(campaign.external_id, values={"bid_multiplier": float(item.after["bid_multiplier"])})

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        return platform.set_bid_multiplier(
            call.campaign, call.values["bid_multiplier"], idempotency_key=key, validate_only=validate_only
        )

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        return abs(platform.get_controls(call.campaign).bid_multiplier - call.values["bid_multiplier"]) < 5e-5

    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        campaign.bid_multiplier = Decimal(str(item.after["bid_multiplier"]))
        return {}
