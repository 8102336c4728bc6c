"""Creatives: create one (its text judged by the creative policy in the guardrails), pause or resume one. A created
creative is undone by pausing it; the read-back after a crash looks for a creative with the same text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field
from sqlalchemy.orm import Session

from adpilot.errors import InvalidInput
from db.enums import ChangeAction, CreativeOrigin, CreativeStatus, PolicyVerdict
from db.schema import Campaign, ChangeItem, Creative
from levers.base import Blocked, Clamped, Lever, Payload, PlatformCall, get_row, status_inverse
from platforms.base import AdPlatform, WriteResult

if TYPE_CHECKING:  # levers must not import the guardrails at run time: the engine imports levers
    from guardrails.policy import GuardrailPolicy

__all__ = ["CreateCreativeLever", "PauseCreativeLever", "ResumeCreativeLever"]


class CreativePayload(Payload):
    headline: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=1000)
    origin: Literal["llm", "human"] = "llm"
    angle: str | None = None


class CreateCreativeLever(Lever):
    action: ClassVar[ChangeAction] = ChangeAction.CREATE_CREATIVE
    target_type: ClassVar[str] = "campaign"
    payload = CreativePayload

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        return Clamped(after, 1.0)  # text is judged by the creative policy, not clamped

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        return {}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        return PlatformCall(
            campaign.external_id,
            values={"headline": str(item.after["headline"]), "description": str(item.after.get("description", ""))},
        )

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        return platform.create_creative(
            call.campaign,
            call.values["headline"],
            call.values["description"],
            idempotency_key=key,
            validate_only=validate_only,
        )

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        return self.live_facts(platform, call) is not None

    def live_facts(self, platform: AdPlatform, call: PlatformCall) -> dict[str, Any] | None:
        for creative in platform.list_creatives(call.campaign):
            if creative.headline == call.values["headline"] and creative.description == call.values["description"]:
                return {"creative_id": creative.id, "status": creative.status.value}
        return None



    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        external_id = platform_after.get("creative_id")
        status = str(platform_after.get("status") or "active")
        creative = Creative(
            campaign_id=campaign.id,
            external_id=str(external_id) if external_id is not None else None,
            headline=str(item.after["headline"]),
            description=str(item.after.get("description", "")),
            status=status if status in {s.value for s in CreativeStatus} else CreativeStatus.ACTIVE.value,
            origin=CreativeOrigin.LLM.value if item.after.get("origin", "llm") == "llm" else CreativeOrigin.HUMAN.value,
            policy_verdict=(PolicyVerdict.DISAPPROVED if status == "disapproved" else PolicyVerdict.APPROVED).value,
        )
        session.add(creative)
        session.flush()
        return {"store_creative_id": creative.id, "platform_creative_id": external_id}

    def inverse(self, item: ChangeItem, facts: Mapping[str, Any]) -> dict[str, Any] | None:
        creative_id = facts.get("store_creative_id")
        if creative_id is None:
            return None
        return {
            "action": ChangeAction.PAUSE_CREATIVE.value,
            "target_id": str(creative_id),
            "after": {"status": "paused"},
        }

    def describe(self, after: Mapping[str, Any]) -> str:
        return f"create_creative {after.get('headline', '')!r} / {after.get('description', '')!r}"


class CreativeStatusPayload(Payload):
    status: Literal["paused", "active"]


class _CreativeStatusLever(Lever):
    target_type: ClassVar[str] = "creative"
    payload = CreativeStatusPayload
    status: ClassVar[str]
    opposite: ClassVar[ChangeAction]

    def clamp(self, after: dict[str, Any], state: Any, policy: GuardrailPolicy) -> Clamped | Blocked:
        return Clamped({"status": self.status}, 1.0)

    def read_before(self, session: Session, campaign: Campaign, target_id: str, after: Mapping[str, Any]) -> dict:
        return {"status": get_row(session, Creative, target_id).status}

    def resolve(self, session: Session, item: ChangeItem, campaign: Campaign) -> PlatformCall:
        creative = get_row(session, Creative, item.target_id)
        if creative.external_id is None:
            raise InvalidInput(f"creative {creative.id} is not on the platform yet")
        return PlatformCall(campaign.external_id, creative.external_id)

    def write(self, platform: AdPlatform, call: PlatformCall, *, key: str, validate_only: bool) -> WriteResult:
        method = platform.pause_creative if self.status == "paused" else platform.resume_creative
        return method(str(call.target), idempotency_key=key, validate_only=validate_only)

    def is_live(self, platform: AdPlatform, call: PlatformCall) -> bool:
        return any(
            c.id == call.target and c.status.value == self.status for c in platform.list_creatives(call.campaign)
        )

    def mirror(self, session: Session, item: ChangeItem, campaign: Campaign, platform_after: Mapping[str, Any]) -> dict:
        get_row(session, Creative, item.target_id).status = self.status
        return {}

    def inverse(self, item: ChangeItem, facts: Mapping[str, Any]) -> dict[str, Any] | None:
        return status_inverse(item, self.status, self.opposite)


class PauseCreativeLever(_CreativeStatusLever):
    action: ClassVar[ChangeAction] = ChangeAction.PAUSE_CREATIVE
    status: ClassVar[str] = "paused"
    opposite: ClassVar[ChangeAction] = ChangeAction.RESUME_CREATIVE
    evidence = "creative_clicks"


class ResumeCreativeLever(_CreativeStatusLever):
    action: ClassVar[ChangeAction] = ChangeAction.RESUME_CREATIVE
    status: ClassVar[str] = "active"
    opposite: ClassVar[ChangeAction] = ChangeAction.PAUSE_CREATIVE
