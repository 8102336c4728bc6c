"""Pausing and resuming a whole campaign (a resume counts against the account's daily ceiling in the guardrails)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from sqlalchemy.orm import Session

from db.enums import ChangeAction
from db.schema import Campaign, ChangeItem
from levers.base import Blocked, Clamped, Lever, Payload, PlatformCall, status_inverse
from platforms.base import AdPlatform, WriteResult

if TYPE_CHECKING:  # levers must not import the guardrails at run time: the engine imports levers
    from guardrails.policy import GuardrailPolicy

__all__ = ["PauseCampaignLever", "ResumeCampaignLever"]


class CampaignStatusPayload(Payload):
    status: Literal["paused", "active"] | None = None


class _CampaignStatusLever(Lever):
    target_type: ClassVar[str] = "campaign"
    control: ClassVar[str | None] = "status"
    payload = CampaignStatusPayload
    status: ClassVar[str]
    opposite: ClassVar[ChangeAction]

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        return Clamped({"status": self.status}, 1.0)

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        return {"status": campaign.status}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        return PlatformCall(campaign.external_id)

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        method = platform.pause_campaign if self.status == "paused" else platform.resume_campaign
        return method(call.campaign, idempotency_key=key, validate_only=validate_only)

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        return platform.get_controls(call.campaign).status.value == self.status

    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        campaign.status = self.status
        return {}

    def inverse(self, item: ChangeItem, facts: Mapping[str, Any]) -> dict[str, Any] | None:
        return status_inverse(item, self.status, self.opposite)


class PauseCampaignLever(_CampaignStatusLever):
    action: ClassVar[ChangeAction] = ChangeAction.PAUSE_CAMPAIGN
    status: ClassVar[str] = "paused"
    opposite: ClassVar[ChangeAction] = ChangeAction.RESUME_CAMPAIGN


class ResumeCampaignLever(_CampaignStatusLever):
    action: ClassVar[ChangeAction] = ChangeAction.RESUME_CAMPAIGN
    status: ClassVar[str] = "active"
    opposite: ClassVar[ChangeAction] = ChangeAction.PAUSE_CAMPAIGN
