"""The append-only audit log. Rule: this module only INSERTs; a database trigger refuses UPDATE and DELETE on
``audit_log`` (see migration 0001), so history cannot be rewritten even by a buggy caller."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.enums import AuditEvent
from db.schema import AuditLog
from db.types import utcnow

__all__ = ["AuditRepository"]


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self,
        event: AuditEvent,
        *,
        actor: str,
        message: str = "",
        change_set_id: int | None = None,
        change_item_id: int | None = None,
        campaign_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditLog:
        row = AuditLog(
            occurred_at=utcnow(),
            actor=actor,
            event=event.value,
            message=message,
            change_set_id=change_set_id,
            change_item_id=change_item_id,
            campaign_id=campaign_id,
            details=details or {},
        )
        self.session.add(row)
        self.session.flush()
        return row

    def recent(self, *, campaign_id: int | None = None, limit: int = 50) -> list[AuditLog]:
        stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
        if campaign_id is not None:
            stmt = stmt.where(AuditLog.campaign_id == campaign_id)
        return list(self.session.scalars(stmt))
