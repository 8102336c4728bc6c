"""The ``AdPlatform`` interface: the one narrow seam between adpilot and an ad platform (sandbox, Google Ads, Meta …).

Why a Protocol and frozen value objects: everything above ``platforms/`` (tools, agents, the apply job) is written
against this file only, so an adapter can be swapped without touching them, and values handed out can never be mutated
behind the platform's back.

Rules every adapter keeps:

- **Money is integer micros** (1 unit of currency = 1_000_000 micros) in every value in and out. Never a float.
- **Times are UTC-aware datetimes.** Naive datetimes are refused with :class:`InvalidValue`.
- **Every write is idempotent and can be dry-run.** Each write takes ``idempotency_key`` and ``validate_only``.
  ``validate_only=True`` runs the full validation and returns ``WriteStatus.VALIDATED`` with the values the write would
  produce, and changes nothing. A key already used for an applied write returns the original result with
  ``WriteStatus.DUPLICATE`` and changes nothing; reusing a key for a *different* write raises
  :class:`IdempotencyConflict`. ``before`` / ``after`` in a :class:`WriteResult` let the caller store the inverse.
- **The truth is never exposed.** An adapter reports outcomes (impressions, clicks, conversions, cost), never the
  probabilities behind them.
- **Vendor errors are translated here**, into this tree (all subclasses of :class:`adpilot.errors.AdpilotError`)::

      PlatformError                 any failure reported by an ad platform adapter
      ├── RateLimited               too many requests; ``retry_after_s`` says when to retry
      ├── PolicyRejected            the platform's policy refuses the change; ``reasons`` lists why
      ├── InvalidValue              a value is out of range or malformed; ``field`` names it
      ├── IdempotencyConflict       the key was already used for a different write
      ├── NotSupported              the platform does not offer this (e.g. impression-level logs)
      └── PlatformObjectNotFound    unknown account / campaign / segment / creative (also a ``NotFound``)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from adpilot.errors import AdpilotError, NotFound

__all__ = [
    "Account",
    "AdPlatform",
    "Campaign",
    "CampaignControls",
    "CampaignStatus",
    "Capabilities",
    "Creative",
    "CreativeRotation",
    "CreativeStatus",
    "EventType",
    "HourlyStat",
    "IdempotencyConflict",
    "ImpressionLogRow",
    "InvalidValue",
    "JsonValue",
    "NotSupported",
    "Objective",
    "PlatformError",
    "PlatformEvent",
    "PlatformObjectNotFound",
    "PolicyRejected",
    "RateLimited",
    "Segment",
    "WriteResult",
    "WriteStatus",
]

JsonValue = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]
FeatureValue = str | int | float


# ---------------------------------------------------------------------------------------------------- errors
class PlatformError(AdpilotError):
    """Any failure reported by an ad platform adapter."""

    default_remedy = "check the platform's status and the request; retry later if the platform is degraded"


class RateLimited(PlatformError):
    """Too many requests. Retry no sooner than ``retry_after_s`` seconds (simulated seconds for the sandbox)."""

    default_remedy = "wait retry_after_s seconds and retry with the same idempotency key"

    def __init__(self, message: str, *, retry_after_s: float, remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.retry_after_s = retry_after_s


class PolicyRejected(PlatformError):
    """The platform's advertising policy refuses the change (e.g. resuming a disapproved creative)."""

    default_remedy = "rewrite the creative to follow the platform's ad policy (see reasons) and submit it again"

    def __init__(self, message: str, *, reasons: Sequence[str], remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.reasons = tuple(reasons)


class InvalidValue(PlatformError):
    """A value is out of range or malformed. ``field`` names the offending input."""

    default_remedy = "correct the value (see the message for the allowed range) and retry"

    def __init__(self, message: str, *, field: str, remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.field = field


class IdempotencyConflict(PlatformError):
    """The idempotency key was already used for a different write."""

    default_remedy = "use a fresh idempotency key for a different change; reuse a key only to retry the same write"


class NotSupported(PlatformError):
    """The platform does not offer this operation."""

    default_remedy = "check ``capabilities()`` before calling; use hourly stats where logs are not offered"


class PlatformObjectNotFound(PlatformError, NotFound):
    """An account, campaign, segment or creative id the platform does not know."""

    default_remedy = "list the objects (accounts, campaigns, segments, creatives) and use one of their ids"


# ---------------------------------------------------------------------------------------------------- enums
class Objective(StrEnum):
    CONVERSIONS = "conversions"
    SALES = "sales"
    LEADS = "leads"
    APP_INSTALLS = "app_installs"
    TRAFFIC = "traffic"
    AWARENESS = "awareness"


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class CreativeStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISAPPROVED = "disapproved"


class CreativeRotation(StrEnum):
    EVEN = "even"
    OPTIMIZE = "optimize"


class WriteStatus(StrEnum):
    APPLIED = "applied"
    VALIDATED = "validated"
    DUPLICATE = "duplicate"


class EventType(StrEnum):
    BUDGET_DEPLETED = "budget_depleted"
    CREATIVE_DISAPPROVED = "creative_disapproved"
    CONVERSIONS = "conversions"
    DAILY_SUMMARY = "daily_summary"


# ---------------------------------------------------------------------------------------------------- reads
@dataclass(frozen=True)
class Capabilities:
    impression_logs: bool
    daypart_modifiers: bool
    placement_modifiers: bool
    frequency_cap: bool
    webhooks: bool


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    currency: str
    timezone: str


@dataclass(frozen=True)
class Campaign:
    id: str
    account_id: str
    name: str
    objective: Objective
    status: CampaignStatus
    daily_budget_micros: int
    target_cpa_micros: int | None


@dataclass(frozen=True)
class Segment:
    """An audience segment. Segments of one account partition its traffic; ``attributes`` says which part."""

    id: str
    account_id: str
    name: str
    attributes: Mapping[str, str]


@dataclass(frozen=True)
class Creative:
    id: str
    campaign_id: str
    headline: str
    description: str
    status: CreativeStatus
    disapproval_reasons: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True)
class CampaignControls:
    """Every advertiser-settable control of a campaign, as the platform holds it now (read back before retries)."""

    campaign_id: str
    status: CampaignStatus
    daily_budget_micros: int
    target_cpa_micros: int | None
    bid_multiplier: float
    segment_modifiers: Mapping[str, float]
    excluded_segments: frozenset[str]
    daypart_modifiers: tuple[float, ...]
    placement_modifiers: Mapping[str, float]
    frequency_cap_per_day: int | None
    creative_rotation: CreativeRotation


@dataclass(frozen=True)
class HourlyStat:
    """Outcomes of one hour for one campaign × segment × creative.

    Conversions are attributed to the hour of the impression and counted once they have happened, so the figures of a
    recent hour still grow as delayed conversions arrive (as on real platforms)."""

    campaign_id: str
    segment_id: str
    creative_id: str
    hour_start: datetime
    impressions: int
    clicks: int
    conversions: int
    cost_micros: int


@dataclass(frozen=True)
class ImpressionLogRow:
    """One won impression. ``features`` holds only what the advertiser can see (names documented by the adapter);
    ``converted_at`` is ``None`` until the conversion has happened (if it ever does)."""

    impression_id: str
    campaign_id: str
    segment_id: str
    creative_id: str
    timestamp: datetime
    features: Mapping[str, FeatureValue]
    clicked: bool
    converted_at: datetime | None
    cost_micros: int


@dataclass(frozen=True)
class PlatformEvent:
    id: str
    type: EventType
    occurred_at: datetime
    account_id: str
    campaign_id: str | None
    data: Mapping[str, JsonValue]


@dataclass(frozen=True)
class WriteResult:
    """What a write did (or would do). ``before`` / ``after`` are the values of the touched control, so the caller
    can store the inverse write. For a ``DUPLICATE`` they are those of the original write."""

    status: WriteStatus
    idempotency_key: str
    operation: str
    target_id: str
    before: JsonValue
    after: JsonValue
    applied_at: datetime | None
    warnings: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------------------------------------------- protocol
@runtime_checkable
class AdPlatform(Protocol):
    """What adpilot needs from an ad platform. Writes are keyword-only past the target and the value."""

    def capabilities(self) -> Capabilities: ...

    def now(self) -> datetime: ...

    def list_accounts(self) -> list[Account]: ...

    def list_campaigns(self, account_id: str) -> list[Campaign]: ...

    def list_segments(self, account_id: str) -> list[Segment]: ...

    def list_creatives(self, campaign_id: str) -> list[Creative]: ...

    def get_controls(self, campaign_id: str) -> CampaignControls: ...

    def hourly_stats(
        self, account_id: str, start: datetime, end: datetime, *, campaign_id: str | None = None
    ) -> list[HourlyStat]: ...

    def impression_logs(
        self, campaign_id: str, start: datetime, end: datetime, *, limit: int | None = None
    ) -> list[ImpressionLogRow]: ...

    def poll_events(
        self, account_id: str, *, after_id: str | None = None, limit: int = 100
    ) -> list[PlatformEvent]: ...

    def set_daily_budget(
        self, campaign_id: str, amount_micros: int, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def set_target_cpa(
        self, campaign_id: str, amount_micros: int | None, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def set_bid_multiplier(
        self, campaign_id: str, multiplier: float, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def set_segment_modifier(
        self,
        campaign_id: str,
        segment_id: str,
        modifier: float | None,
        *,
        idempotency_key: str,
        validate_only: bool = False,
    ) -> WriteResult: ...

    def set_segment_exclusion(
        self, campaign_id: str, segment_id: str, excluded: bool, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def set_daypart_modifiers(
        self, campaign_id: str, modifiers: Sequence[float], *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def set_placement_modifier(
        self,
        campaign_id: str,
        placement: str,
        modifier: float | None,
        *,
        idempotency_key: str,
        validate_only: bool = False,
    ) -> WriteResult: ...

    def set_frequency_cap(
        self, campaign_id: str, per_day: int | None, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def set_creative_rotation(
        self,
        campaign_id: str,
        rotation: CreativeRotation,
        *,
        idempotency_key: str,
        validate_only: bool = False,
    ) -> WriteResult: ...

    def create_creative(
        self, campaign_id: str, headline: str, description: str, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def pause_creative(
        self, creative_id: str, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def resume_creative(
        self, creative_id: str, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def pause_campaign(
        self, campaign_id: str, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...

    def resume_campaign(
        self, campaign_id: str, *, idempotency_key: str, validate_only: bool = False
    ) -> WriteResult: ...
