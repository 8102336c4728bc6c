"""The SQL of the stepped simulation clock (``scheduler.clock.SteppedClock`` and ``scheduler.stepper.Stepper``).

The driver writes a named clock's current simulated time; every daemon replica reads it as "now" and, once it has
fired every scheduled job due at that time, records it as its ``stepped_to``. The driver moves the clock on only when
every replica has stepped and no work item created during the run is still to be done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from db.enums import AgentRunStatus
from db.schema import AgentRun, Replica, SimClockRow

__all__ = ["OpenItem", "SimClockRepository"]

_OPEN = (AgentRunStatus.QUEUED.value, AgentRunStatus.RUNNING.value, AgentRunStatus.FAILED.value)


@dataclass(frozen=True)
class OpenItem:
    """A work item that is not finished (queued, running, or failed and waiting for its retry)."""

    id: int
    kind: str
    status: str
    attempts: int
    campaign_id: int | None
    error: str | None


class SimClockRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def set(self, name: str, now: datetime) -> None:
        self.session.execute(
            text(
                "INSERT INTO sim_clocks (name, now, updated_at) VALUES (:name, :now, clock_timestamp()) "
                "ON CONFLICT (name) DO UPDATE SET now = EXCLUDED.now, updated_at = EXCLUDED.updated_at"
            ),
            {"name": name, "now": now},
        )

    def get(self, name: str) -> datetime | None:
        return self.session.scalar(select(SimClockRow.now).where(SimClockRow.name == name))

    def stepped(self, replica_id: str, now: datetime) -> None:
        self.session.execute(
            text("UPDATE replicas SET stepped_to = :now WHERE id = :id"), {"now": now, "id": replica_id}
        )

    def steps(self, replica_ids: list[str]) -> dict[str, datetime | None]:
        rows = self.session.execute(select(Replica.id, Replica.stepped_to).where(Replica.id.in_(replica_ids)))
        return {rid: stepped for rid, stepped in rows}

    def open_items(self, since: datetime | None = None, limit: int = 20) -> tuple[int, list[OpenItem]]:
        """How many work items (created at or after ``since``, wall time, when given) are not finished, and the
        first few."""
        where: list[ColumnElement[bool]] = [AgentRun.status.in_(_OPEN)]
        if since is not None:
            where.append(AgentRun.created_at >= since)
        count = int(self.session.scalar(select(func.count()).select_from(AgentRun).where(*where)) or 0)
        if not count:
            return 0, []
        rows = self.session.scalars(select(AgentRun).where(*where).order_by(AgentRun.id).limit(limit))
        return count, [OpenItem(r.id, r.kind, r.status, r.attempts, r.campaign_id, r.last_error) for r in rows]

    def wall_now(self) -> datetime:
        return self.session.execute(text("SELECT clock_timestamp()")).scalar_one()
