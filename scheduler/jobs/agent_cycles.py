"""Daily agent cycles: one ``agent_cycle`` work item per active campaign per day.

The handler comes with the agents package; until one is registered, the items fail with a clear ``NoHandler``
error (retried, then dead-lettered) — visible in ``adpilot daemon status`` rather than silently skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from db.sync import SyncRepository
from db.work_kinds import WorkKind
from scheduler.registry import JobContext, JobRegistry, ScheduledJob, WorkSpec

__all__ = ["KIND", "register"]

KIND = WorkKind.AGENT_CYCLE


def _plan(ctx: JobContext, session: Session, period: datetime) -> list[WorkSpec]:
    day = period.date().isoformat()
    return [
        WorkSpec(KIND, dedupe_key=f"{KIND}:{c.id}:{day}", campaign_id=c.id, account_id=c.account_id,
                 payload={"graph": "supervisor", "day": day})
        for c in SyncRepository(session).campaigns(active_only=True)
    ]


def register(registry: JobRegistry) -> None:
    registry.schedule(ScheduledJob("agent_cycles", timedelta(days=1), plan=_plan,
                                   description="daily agent cycle per active campaign"))
