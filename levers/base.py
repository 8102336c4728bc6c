"""What every lever provides, and the small value types they exchange with the guardrails and the apply job."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from adpilot.errors import InvalidInput, NotFound
from db.enums import ChangeAction
from db.schema import Campaign, ChangeItem
from platforms.base import AdPlatform, WriteResult

if TYPE_CHECKING:  # levers must not import the guardrails at run time: the engine imports levers
    from guardrails.policy import GuardrailPolicy

__all__ = [
    "Blocked",
    "Clamped",
    "Evidence",
    "Lever",
    "Payload",
    "PlatformCall",
    "get_row",
    "round_inward",
    "status_inverse",
]

Evidence = Literal["conversions", "segment_impressions", "creative_clicks"]


class Payload(BaseModel):
    """An item's ``after``: strict, closed, immutable. Booleans are never numbers here."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


@dataclass(frozen=True)
class Clamped:
    """The number the policy allows (maybe moved), and the relative change for the autonomy tier."""

    after: dict[str, Any]
    change: float


@dataclass(frozen=True)
class Blocked:
    rule: str
    reason: str


@dataclass(frozen=True)
class PlatformCall:
    """A platform write with every store id already resolved to the platform's, so the call itself needs no
    database transaction (the apply job never holds one across a platform call)."""

    campaign: str
    target: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)


def get_row(session: Session, model: type[Any], row_id: str | int) -> Any:
    try:
        row = session.get(model, int(row_id))
    except ValueError as exc:
        raise InvalidInput(f"{model.__tablename__} id {row_id!r} is not a number") from exc
    if row is None:
        raise NotFound(f"{model.__tablename__} {row_id} does not exist")
    return row


def status_inverse(item: ChangeItem, status: str, opposite: ChangeAction) -> dict[str, Any] | None:
    """Undo a pause/resume: the opposite lever back to the recorded status (nothing when it did not change)."""
    was = item.before.get("status")
    if was == status or was not in ("active", "paused"):
        return None
    return {"action": opposite.value, "target_id": item.target_id, "after": {"status": was}}


def round_inward(lo: float, hi: float) -> tuple[float, float]:
    """An interval rounded inward to 4 decimals (the store's NUMERIC(10,4)), so a stored value stays inside it."""
    return math.ceil(lo * 10_000) / 10_000, math.floor(hi * 10_000) / 10_000


class Lever(ABC):
    action: ClassVar[ChangeAction]
    target_type: ClassVar[str]
    control: ClassVar[str | None] = None  # the cooldown clock this lever shares with others
    payload: ClassVar[type[Payload]]
    evidence: ClassVar[Evidence | None] = None  # data the policy wants before an automated change

    def parse(self, after: Mapping[str, Any]) -> dict[str, Any]:
        """``after`` validated against the typed payload (InvalidInput naming the field otherwise)."""
        try:
            return self.payload.model_validate(dict(after)).model_dump()
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'after'}: {e['msg']}" for e in exc.errors())
            raise InvalidInput(f"{self.action.value}: {problems}", remedy="fix the proposed values") from exc

    @abstractmethod
    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        """The allowed version of ``after`` under the policy's limits (``state``: ``guardrails.CampaignState``)."""

    @abstractmethod
    def read_before(
        self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The store's current value of what the item changes."""

    @abstractmethod
    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall: ...

    @abstractmethod
    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult: ...

    @abstractmethod
    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        """Whether the platform already shows the effect (the read-back after a crash between write and ledger)."""

    def live_facts(self, platform: AdPlatform, call: PlatformCall) -> dict[str, Any] | None:
        """What the read-back found (``None``: the effect is not live) — the platform-side facts the store mirror
        needs, as a write's ``after`` would have carried them (a created creative's id)."""
        return {} if self.is_live(platform, call) else None

    @abstractmethod
    def mirror(
        self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Write the applied effect into the store; returns facts for the ledger (a new creative's id …)."""

    def inverse(self, item: ChangeItem, facts: Mapping[str, Any]) -> dict[str, Any] | None:
        """The item that undoes ``item`` (default: the same lever back to the recorded ``before``)."""
        return {"action": self.action.value, "target_id": item.target_id, "after": dict(item.before)}

    def describe(self, after: Mapping[str, Any]) -> str:
        return f"{self.action.value} " + ", ".join(f"{k}={v}" for k, v in after.items())
