"""Work items (``agent_runs``): agent cycles, change-set apply jobs, webhook-triggered runs.

The queue is at-least-once; exactly-once holds at the effect (idempotency keys on platform writes). Enqueueing
with a ``dedupe_key`` is idempotent: the same key enqueues one row however often it is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.schema import AgentRun
from db.types import utcnow

__all__ = ["WorkQueue"]


class WorkQueue:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        kind: str,
        *,
        campaign_id: int | None = None,
        account_id: int | None = None,
        trigger: str = "schedule",
        payload: dict[str, Any] | None = None,
        dedupe_key: str | None = None,
        run_after: datetime | None = None,
        max_attempts: int = 5,
    ) -> int | None:
        """Insert a queued work item; returns its id, or None when ``dedupe_key`` was already enqueued."""
        stmt = (
            insert(AgentRun)
            .values(
                kind=kind,
                campaign_id=campaign_id,
                account_id=account_id,
                trigger=trigger,
                payload=payload or {},
                dedupe_key=dedupe_key,
                status="queued",
                attempts=0,
                max_attempts=max_attempts,
                run_after=run_after or utcnow(),
                prompt_tokens=0,
                completion_tokens=0,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(AgentRun.id)
        )
        return self.session.execute(stmt).scalar_one_or_none()

    def get(self, run_id: int) -> AgentRun | None:
        return self.session.get(AgentRun, run_id)

    def by_dedupe_key(self, dedupe_key: str) -> AgentRun | None:
        return self.session.scalars(select(AgentRun).where(AgentRun.dedupe_key == dedupe_key)).one_or_none()
