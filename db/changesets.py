"""Repository for change-sets and their items. Status transitions are checked here against one table of allowed
moves, so no caller can jump from ``proposed`` to ``applied``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from adpilot.errors import InvalidInput, NotFound
from db.enums import ChangeItemStatus, ChangeSetStatus
from db.schema import Approval, ChangeItem, ChangeSet
from db.types import utcnow

__all__ = ["ALLOWED_TRANSITIONS", "ChangeSetRepository"]

S = ChangeSetStatus
ALLOWED_TRANSITIONS: dict[ChangeSetStatus, frozenset[ChangeSetStatus]] = {
    S.PROPOSED: frozenset({S.BLOCKED, S.PENDING_APPROVAL, S.APPROVED}),
    S.PENDING_APPROVAL: frozenset({S.APPROVED, S.REJECTED, S.EXPIRED, S.BLOCKED}),
    S.APPROVED: frozenset({S.VALIDATED, S.BLOCKED, S.FAILED, S.EXPIRED}),
    S.VALIDATED: frozenset({S.APPLIED, S.FAILED, S.BLOCKED, S.EXPIRED}),
    S.APPLIED: frozenset({S.ROLLED_BACK}),
    S.FAILED: frozenset({S.VALIDATED, S.ROLLED_BACK, S.BLOCKED}),
    S.BLOCKED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
    S.ROLLED_BACK: frozenset(),
}


class ChangeSetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def create(
        self,
        *,
        account_id: int,
        campaign_id: int | None,
        origin: str,
        expires_at: datetime,
        items: Sequence[dict[str, Any]],
        summary: str = "",
        rationale: str = "",
        predicted_effect: dict[str, Any] | None = None,
        agent_run_id: int | None = None,
        rolled_back_from_id: int | None = None,
        created_at: datetime | None = None,
    ) -> ChangeSet:
        cs = ChangeSet(
            account_id=account_id,
            campaign_id=campaign_id,
            origin=origin,
            status=S.PROPOSED.value,
            summary=summary,
            rationale=rationale,
            predicted_effect=predicted_effect or {},
            expires_at=expires_at,
            agent_run_id=agent_run_id,
            rolled_back_from_id=rolled_back_from_id,
            created_at=created_at or utcnow(),
        )
        cs.items = [ChangeItem(seq=seq, **item) for seq, item in enumerate(items)]
        self.session.add(cs)
        self.session.flush()
        return cs

    def get(self, change_set_id: int, *, for_update: bool = False) -> ChangeSet:
        stmt = select(ChangeSet).where(ChangeSet.id == change_set_id).options(selectinload(ChangeSet.items))
        if for_update:
            stmt = stmt.with_for_update()
        cs = self.session.scalars(stmt).one_or_none()
        if cs is None:
            raise NotFound(
                f"change-set {change_set_id} does not exist", remedy="list them with `adpilot changesets list`"
            )
        return cs

    def list_change_sets(
        self, *, status: str | None = None, campaign_id: int | None = None, limit: int = 100
    ) -> list[ChangeSet]:
        stmt = select(ChangeSet).options(selectinload(ChangeSet.items)).order_by(ChangeSet.id.desc()).limit(limit)
        if status is not None:
            if status not in {s.value for s in S}:
                raise InvalidInput(f"unknown status {status!r}", remedy=f"use one of: {', '.join(s.value for s in S)}")
            stmt = stmt.where(ChangeSet.status == status)
        if campaign_id is not None:
            stmt = stmt.where(ChangeSet.campaign_id == campaign_id)
        return list(self.session.scalars(stmt))

    def transition(self, cs: ChangeSet, to: ChangeSetStatus, *, at: datetime | None = None) -> None:
        """Move ``cs`` to ``to`` if the status machine allows it; ``at`` is the (possibly simulated) time."""
        current = ChangeSetStatus(cs.status)
        if to not in ALLOWED_TRANSITIONS[current]:
            raise InvalidInput(
                f"change-set {cs.id} is {current.value}; it cannot become {to.value}",
                remedy="check its status with `adpilot changesets show`",
            )
        cs.status = to.value
        now = at or utcnow()
        if to in (S.APPROVED, S.REJECTED, S.BLOCKED):
            cs.decided_at = now
        if to is S.APPLIED:
            cs.applied_at = now
        self.session.flush()

    def record_approval(self, cs: ChangeSet, *, actor: str, decision: str, comment: str | None) -> Approval:
        approval = Approval(change_set_id=cs.id, actor=actor, decision=decision, comment=comment, decided_at=utcnow())
        self.session.add(approval)
        self.session.flush()
        return approval

    def approvals(self, change_set_id: int) -> list[Approval]:
        stmt = select(Approval).where(Approval.change_set_id == change_set_id).order_by(Approval.id)
        return list(self.session.scalars(stmt))

    def stale(self, now: datetime) -> list[ChangeSet]:
        """Proposals past ``expires_at`` that nobody decided on or applied, locked for expiry."""
        stmt = (
            select(ChangeSet)
            .where(ChangeSet.status.in_([S.PENDING_APPROVAL.value, S.APPROVED.value]), ChangeSet.expires_at <= now)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(stmt))

    def awaiting_outcome(self, applied_before: datetime, limit: int = 200) -> list[ChangeSet]:
        """Applied change-sets whose observation window has passed and whose realised effect is not written yet."""
        stmt = (
            select(ChangeSet)
            .where(
                ChangeSet.status == S.APPLIED.value,
                ChangeSet.realised_effect.is_(None),
                ChangeSet.applied_at <= applied_before,
            )
            .order_by(ChangeSet.applied_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(stmt))

    def applied_items_since(self, campaign_id: int, since: datetime) -> list[ChangeItem]:
        """Items applied to a campaign since ``since`` (oldest first): per-day limits and cooldowns. Matched on the
        *item's* campaign: a change-set scoped to another campaign, or to none, must not escape them (issue 11)."""
        stmt = (
            select(ChangeItem)
            .where(
                ChangeItem.campaign_id == campaign_id,
                ChangeItem.status == ChangeItemStatus.APPLIED.value,
                ChangeItem.applied_at >= since,
            )
            .order_by(ChangeItem.applied_at)
        )
        return list(self.session.scalars(stmt))

    def set_item_status(
        self, item: ChangeItem, status: ChangeItemStatus, *, error: str | None = None, at: datetime | None = None
    ) -> None:
        item.status = status.value
        item.error = error
        if status is ChangeItemStatus.APPLIED:
            item.applied_at = at or utcnow()
        self.session.flush()
