"""The kill switch row (id = 1). Reads take a share lock inside apply transactions so a switch flipped mid-apply
is seen before the next platform write."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.schema import KillSwitch
from db.types import utcnow

__all__ = ["KillSwitchRepository"]


class KillSwitchRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self) -> KillSwitch:
        row = self.session.scalars(select(KillSwitch).where(KillSwitch.id == 1)).one_or_none()
        if row is None:  # the migration inserts it; recreate fail-closed if someone deleted it
            row = KillSwitch(id=1, engaged=True, reason="kill switch row was missing", changed_at=utcnow())
            self.session.add(row)
            self.session.flush()
        return row

    def engaged(self) -> bool:
        return self.get().engaged

    def set(self, engaged: bool, *, actor: str, reason: str | None) -> tuple[bool, KillSwitch]:
        row = self.session.scalars(select(KillSwitch).where(KillSwitch.id == 1).with_for_update()).one_or_none()
        if row is None:
            row = self.get()
        before = row.engaged
        row.engaged, row.actor, row.reason, row.changed_at = engaged, actor, reason, utcnow()
        self.session.flush()
        return before, row
