"""Work items (``agent_runs``): agent cycles, change-set apply jobs, webhook-triggered runs.

The queue is at-least-once; exactly-once holds at the effect (idempotency keys on platform writes, see
``scheduler.effects``). Enqueueing with a ``dedupe_key`` is idempotent: the same key enqueues one row however often
it is sent.

Life of an item (the pattern of procrastinate, Oban and River)::

    queued ──claim──► running ──complete──► succeeded
      ▲                 │  └────fail──────► failed ──(run_after passes)──► claimable again
      │                 │                     └── attempts exhausted ──► dead (dead-letter)
      └────release──────┘  (graceful shutdown: the attempt is given back)
    running with an expired lease ──rescue──► failed (or dead when attempts are exhausted)

Rules this module keeps:

- A claim is ``FOR UPDATE SKIP LOCKED`` on one row plus a lease (``locked_until``); a crashed replica's item is
  rescued by any replica once the lease expires, because nobody can tell a dead replica from a slow one sooner.
- Every transition out of ``running`` is fenced on ``locked_by`` and ``status``: a replica that lost its lease (it
  was rescued and claimed by someone else) cannot overwrite the new owner's outcome; the methods return ``False``.
- One running item per campaign: the claim skips campaigns with a running item and a partial unique index is the
  backstop for the race between two claimers (the loser's claim returns ``None`` and it simply claims again).
- Lease and backoff times use the database clock (``clock_timestamp()``), the one clock every replica shares.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.enums import AgentRunStatus
from db.schema import AgentRun
from db.types import utcnow
from db.work_kinds import MODEL_BOUND_KINDS, WorkKind

__all__ = ["ClaimedItem", "RetryPolicy", "WorkQueue"]


@dataclass(frozen=True)
class ClaimedItem:
    """A claimed work item, detached from the session: handlers get plain values, never an ORM row."""

    id: int
    kind: str
    campaign_id: int | None
    account_id: int | None
    trigger: str
    payload: dict[str, Any]
    dedupe_key: str | None
    attempts: int
    max_attempts: int
    locked_by: str
    locked_until: datetime
    result: dict[str, Any] | None


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``base_s * 2**(attempts-1)`` seconds, capped at ``max_s``."""

    base_s: float = 30.0
    max_s: float = 3600.0

    def delay_s(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure."""
        return float(min(self.base_s * 2 ** max(attempts - 1, 0), self.max_s))


# Kinds that wait on a language model: claimed after everything else that is due, so stats syncs and change-set
# applies never queue behind a model that answers in seconds.
SLOW_KINDS = tuple(str(kind) for kind in MODEL_BOUND_KINDS)

_CLAIM_SQL = text(
    """
    WITH candidate AS (
        SELECT a.id FROM agent_runs a
        WHERE a.status IN ('queued', 'failed')
          AND a.run_after <= clock_timestamp()
          AND (CAST(:kinds AS text[]) IS NULL OR a.kind = ANY(CAST(:kinds AS text[])))
          AND (a.campaign_id IS NULL OR NOT EXISTS (
                SELECT 1 FROM agent_runs r WHERE r.campaign_id = a.campaign_id AND r.status = 'running'))
        ORDER BY (a.kind = ANY(CAST(:slow AS text[]))), a.run_after, a.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED
    )
    UPDATE agent_runs a
       SET status = 'running',
           attempts = a.attempts + 1,
           locked_by = :holder,
           locked_until = clock_timestamp() + make_interval(secs => :lease_s),
           started_at = clock_timestamp(),
           finished_at = NULL,
           -- a coalescing key (db.inbox.coalescing_key) is freed once its run is claimed
           dedupe_key = CASE WHEN a.dedupe_key LIKE 'webhook:%' AND a.dedupe_key NOT LIKE '%@%'
                             THEN a.dedupe_key || '@' || a.id ELSE a.dedupe_key END
      FROM candidate
     WHERE a.id = candidate.id
    RETURNING a.id, a.kind, a.campaign_id, a.account_id, a.trigger, a.payload, a.dedupe_key, a.attempts,
              a.max_attempts, a.locked_by, a.locked_until, a.result
    """
)

_FAIL_SQL = text(
    """
    UPDATE agent_runs
       SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
           run_after = clock_timestamp()
                       + make_interval(secs => least(:base_s * power(2, greatest(attempts - 1, 0)), :max_s)),
           last_error = :error,
           finished_at = clock_timestamp(),
           locked_by = NULL,
           locked_until = NULL
     WHERE id = :id AND locked_by = :holder AND status = 'running'
    RETURNING status
    """
)

_RESCUE_SQL = text(
    """
    UPDATE agent_runs
       SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,
           run_after = clock_timestamp(),
           last_error = 'lease expired while held by ' || coalesce(locked_by, '?')
                        || ' (replica crashed or stalled); rescued',
           locked_by = NULL,
           locked_until = NULL
     WHERE status = 'running' AND locked_until < clock_timestamp()
    RETURNING id
    """
)


class WorkQueue:
    """The only SQL on ``agent_runs``. Never commits: callers own the transaction (``Database.transaction``)."""

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

    def enqueue_apply(
        self,
        change_set_id: int,
        *,
        campaign_id: int | None,
        account_id: int | None = None,
        trigger: str,
        attempt: str | None = None,
    ) -> int | None:
        """Queue the one apply job for a change-set, once per change-set (``attempt`` names a deliberate new try,
        e.g. after a failure). Its ``campaign_id`` puts the apply under the queue's one-run-per-campaign lock."""
        return self.enqueue(
            WorkKind.APPLY_CHANGE_SET,
            campaign_id=campaign_id,
            account_id=account_id,
            trigger=trigger,
            payload={"change_set_id": change_set_id},
            dedupe_key=f"apply:{change_set_id}" + (f":{attempt}" if attempt else ""),
        )

    def newer_pending(self, kind: str, key: str, value: str) -> bool:
        """Whether a queued or running item of ``kind`` has ``payload[key]`` later than ``value`` (ISO strings)."""
        stmt = select(AgentRun.id).where(
            AgentRun.kind == kind,
            AgentRun.status.in_(["queued", "running", "failed"]),
            AgentRun.payload[key].astext > value,
        ).limit(1)
        return self.session.scalar(stmt) is not None

    def get(self, run_id: int) -> AgentRun | None:
        return self.session.get(AgentRun, run_id)

    def by_dedupe_key(self, dedupe_key: str) -> AgentRun | None:
        return self.session.scalars(select(AgentRun).where(AgentRun.dedupe_key == dedupe_key)).one_or_none()

    # ------------------------------------------------------------------------------------------ claiming
    def claim(self, holder: str, *, lease_s: float, kinds: Sequence[str] | None = None) -> ClaimedItem | None:
        """Claim the oldest due item (optionally of ``kinds``) for ``holder`` with a lease of ``lease_s`` seconds.

        Returns ``None`` when nothing is due, or when another replica won the race for the same campaign (the
        one-running-per-campaign index refused the claim); the caller simply polls again."""
        params = {"holder": holder, "lease_s": float(lease_s), "kinds": list(kinds) if kinds else None,
                  "slow": list(SLOW_KINDS)}
        savepoint = self.session.begin_nested()
        try:
            row = self.session.execute(_CLAIM_SQL, params).mappings().one_or_none()
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()
            return None
        return ClaimedItem(**dict(row)) if row is not None else None

    def heartbeat(self, run_id: int, holder: str, *, lease_s: float) -> bool:
        """Extend the lease of a running item; ``False`` means the lease was lost (rescued, then maybe reclaimed)."""
        row = self.session.execute(
            text(
                "UPDATE agent_runs SET locked_until = clock_timestamp() + make_interval(secs => :lease_s) "
                "WHERE id = :id AND locked_by = :holder AND status = 'running' RETURNING id"
            ),
            {"id": run_id, "holder": holder, "lease_s": float(lease_s)},
        ).one_or_none()
        return row is not None

    def still_held(self, run_id: int, holder: str) -> bool:
        """Whether ``holder`` still owns the item with an unexpired lease (checked before effects and commits)."""
        row = self.session.execute(
            text(
                "SELECT 1 FROM agent_runs WHERE id = :id AND locked_by = :holder AND status = 'running' "
                "AND locked_until >= clock_timestamp() FOR UPDATE"
            ),
            {"id": run_id, "holder": holder},
        ).one_or_none()
        return row is not None

    def complete(self, run_id: int, holder: str, *, result: dict[str, Any] | None = None) -> bool:
        """Mark succeeded, merging ``result`` into what the item recorded while running (its effect ledger).
        Fenced: ``False`` if ``holder`` no longer owns the item."""
        row = self.session.execute(
            text(
                "UPDATE agent_runs SET status = 'succeeded', finished_at = clock_timestamp(), locked_by = NULL, "
                "locked_until = NULL, last_error = NULL, "
                "result = coalesce(result, '{}'::jsonb) || coalesce(CAST(:result AS jsonb), '{}'::jsonb) "
                "WHERE id = :id AND locked_by = :holder AND status = 'running' RETURNING id"
            ),
            {"id": run_id, "holder": holder, "result": _json(result)},
        ).one_or_none()
        return row is not None

    def fail(self, run_id: int, holder: str, error: str, *, retry: RetryPolicy | None = None) -> str | None:
        """Record a failed attempt: ``failed`` with exponential backoff, or ``dead`` once attempts are exhausted.

        Returns the new status, or ``None`` if ``holder`` no longer owns the item."""
        policy = retry or RetryPolicy()
        row = self.session.execute(
            _FAIL_SQL,
            {"id": run_id, "holder": holder, "error": error[:4000], "base_s": policy.base_s, "max_s": policy.max_s},
        ).one_or_none()
        return str(row[0]) if row is not None else None

    def release(self, run_id: int, holder: str) -> bool:
        """Give an item back untouched (graceful shutdown before it started): the attempt is not counted."""
        row = self.session.execute(
            text(
                "UPDATE agent_runs SET status = 'queued', attempts = greatest(attempts - 1, 0), locked_by = NULL, "
                "locked_until = NULL, run_after = clock_timestamp() "
                "WHERE id = :id AND locked_by = :holder AND status = 'running' RETURNING id"
            ),
            {"id": run_id, "holder": holder},
        ).one_or_none()
        return row is not None

    def save_result(self, run_id: int, holder: str, result: dict[str, Any]) -> bool:
        """Store progress (e.g. an effect intent) on a running item; fenced like every other write."""
        row = self.session.execute(
            text(
                "UPDATE agent_runs SET result = CAST(:result AS jsonb) "
                "WHERE id = :id AND locked_by = :holder AND status = 'running' RETURNING id"
            ),
            {"id": run_id, "holder": holder, "result": _json(result)},
        ).one_or_none()
        return row is not None

    def load_result(self, run_id: int, *, for_update: bool = False) -> dict[str, Any] | None:
        stmt = select(AgentRun.result).where(AgentRun.id == run_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.execute(stmt).scalar_one_or_none()

    def rescue_expired(self) -> list[int]:
        """Move running items whose lease expired back to ``failed`` (due now) or to ``dead``; returns their ids."""
        return [int(r[0]) for r in self.session.execute(_RESCUE_SQL)]

    # ------------------------------------------------------------------------------------------ reporting
    def depth_by_status(self) -> dict[str, int]:
        rows = self.session.execute(select(AgentRun.status, func.count()).group_by(AgentRun.status))
        counts = {status.value: 0 for status in AgentRunStatus}
        counts.update({str(status): int(n) for status, n in rows})
        return counts

    def held_leases(self) -> list[AgentRun]:
        stmt = select(AgentRun).where(AgentRun.status == AgentRunStatus.RUNNING.value).order_by(AgentRun.id)
        return list(self.session.scalars(stmt))

    def recent_failures(self, limit: int = 20) -> list[AgentRun]:
        stmt = (
            select(AgentRun)
            .where(AgentRun.status.in_([AgentRunStatus.FAILED.value, AgentRunStatus.DEAD.value]))
            .order_by(AgentRun.finished_at.desc().nulls_last(), AgentRun.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def recent(self, limit: int = 20) -> list[AgentRun]:
        stmt = (
            select(AgentRun)
            .where(AgentRun.finished_at.is_not(None))
            .order_by(AgentRun.finished_at.desc(), AgentRun.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(stmt))


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, default=str)
