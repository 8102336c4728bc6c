"""The change-set apply job's effect ledger: intents live on ``change_items`` (status ``pending`` and the item's
``idempotency_key``), so ``scheduler.effects.perform_once`` — the one exactly-once implementation, the one the kill -9
tests exercise — drives the apply job too (issue 11: the apply job had its own copy, without the read-back).

Recording an applied effect also mirrors it into the store, stores the inverse item and writes the audit row, all
in the ledger transaction: the store never shows a change the ledger does not, and vice versa.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.audit import AuditRepository
from db.changesets import ChangeSetRepository
from db.enums import AuditEvent, ChangeItemStatus
from db.schema import Campaign, ChangeItem
from levers import lever_for
from platforms.base import JsonValue
from scheduler.effects import EffectRecord, EffectState

__all__ = ["ChangeItemLedger"]


class ChangeItemLedger:
    def __init__(self, actor: str, now: Any) -> None:
        self.actor, self.now = actor, now
        self.live_after: dict[str, Any] = {}  # what a read-back found (set by the apply job's read-back)

    @staticmethod
    def _item(session: Session, key: str) -> ChangeItem | None:
        return session.scalars(select(ChangeItem).where(ChangeItem.idempotency_key == key).with_for_update()).first()

    def load(self, session: Session, key: str) -> EffectRecord | None:
        item = self._item(session, key)
        if item is None or item.status not in (ChangeItemStatus.PENDING.value, ChangeItemStatus.APPLIED.value):
            return None
        state = EffectState.APPLIED if item.status == ChangeItemStatus.APPLIED.value else EffectState.PENDING
        return EffectRecord(key, state, item.after, {"status": "recorded"} if state is EffectState.APPLIED else None)

    def record_intent(self, session: Session, key: str, intended: JsonValue) -> None:
        item = self._item(session, key)
        assert item is not None, key
        ChangeSetRepository(session).set_item_status(item, ChangeItemStatus.PENDING)

    def record_applied(self, session: Session, key: str, result: dict[str, Any]) -> None:
        item = self._item(session, key)
        assert item is not None, key
        campaign = session.get(Campaign, item.campaign_id)
        assert campaign is not None
        lever = lever_for(item.action)
        if result.get("status") == "read_back":
            platform_after: Any = self.live_after
        else:
            platform_after = result.get("after") if isinstance(result.get("after"), dict) else {}
        facts = lever.mirror(session, item, campaign, platform_after or {})
        item.inverse = lever.inverse(item, facts)
        ChangeSetRepository(session).set_item_status(item, ChangeItemStatus.APPLIED, at=self.now)
        AuditRepository(session).append(
            AuditEvent.APPLIED,
            actor=self.actor,
            change_set_id=item.change_set_id,
            change_item_id=item.id,
            campaign_id=item.campaign_id,
            message=lever.describe(item.after),
            details={
                "platform_status": result.get("status"),
                "before": item.before,
                "after": item.after,
                "platform_before": result.get("before"),
                "platform_after": result.get("after"),
                **facts,
            },
        )
