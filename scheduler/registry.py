"""The job registry: what the daemon runs on a schedule and which handler runs each kind of work item.

Two shapes of scheduled job, because they fail differently:

- ``plan`` runs **inside the period-claim transaction** and returns work items to enqueue. Claim and enqueue commit
  together, so a replica killed at any point leaves either no claim (another replica claims the period) or a claim
  *and* its work items (which are leased, retried and rescued). Use it for anything that must not be lost: agent
  cycles, syncs, anomaly checks.
- ``run`` runs **after** the claim committed, inline in the scheduler thread. A crash mid-run loses that period, so
  use it only for cheap jobs whose next period makes up for a lost one (advancing the sandbox clock, a pacing tick).

A work-item handler is ``handler(ctx, item) -> result | None``; it runs under a lease the worker keeps extending,
may be run more than once (the queue is at-least-once), and must therefore make its effects idempotent
(``scheduler.effects.perform_once``). Raising fails the attempt (retry with backoff, then dead-letter).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.orm import Session

from adpilot.errors import ConfigError, InvalidInput
from db.database import Database
from db.work_queue import ClaimedItem, WorkQueue

if TYPE_CHECKING:
    from adpilot.settings import Settings
    from platforms.base import AdPlatform
    from scheduler.clock import Clock
    from scheduler.faults import FaultInjector
    from scheduler.metrics import DaemonMetrics

__all__ = [
    "Handler",
    "JobContext",
    "JobRegistry",
    "PlanFn",
    "RunFn",
    "ScheduledJob",
    "WorkSpec",
    "enqueue_all",
]


@dataclass(frozen=True)
class WorkSpec:
    """A work item a scheduled job wants enqueued. ``dedupe_key`` makes the enqueue idempotent."""

    kind: str
    dedupe_key: str
    payload: dict[str, Any] = field(default_factory=dict)
    campaign_id: int | None = None
    account_id: int | None = None
    trigger: str = "schedule"
    max_attempts: int = 5


@dataclass
class JobContext:
    """Everything a job or handler may touch, built once per daemon at start-up and passed down explicitly."""

    database: Database
    clock: Clock
    replica_id: str
    platform: AdPlatform | None
    settings: Settings | None
    faults: FaultInjector
    metrics: DaemonMetrics
    log: Any = field(default_factory=lambda: structlog.get_logger("adpilot.scheduler"))
    options: dict[str, Any] = field(default_factory=dict)

    def require_platform(self) -> AdPlatform:
        if self.platform is None:
            raise ConfigError(
                "this job needs an ad platform but the daemon runs without one",
                remedy="start the daemon with --platform-url http://127.0.0.1:PORT (the sandbox server)",
            )
        return self.platform


PlanFn = Callable[[JobContext, Session, datetime], Sequence[WorkSpec]]
RunFn = Callable[[JobContext, datetime], str | None]
Handler = Callable[[JobContext, ClaimedItem], dict[str, Any] | None]


@dataclass(frozen=True)
class ScheduledJob:
    """A job that runs once per ``period`` (in the daemon clock's time), on exactly one replica.

    ``catch_up`` is how many past periods a replica tries to claim when it starts, so periods that fell due while
    every replica was down still run (bounded, so a week-long outage does not replay a week of pacing ticks).
    ``latest_only`` keeps that bound while the replica runs: one that fell behind skips to the newest periods (for
    inline jobs that act on the present, like pacing, where replaying stale periods only adds stale decisions)."""

    name: str
    period: timedelta
    plan: PlanFn | None = None
    run: RunFn | None = None
    catch_up: int = 1
    description: str = ""
    latest_only: bool = False

    def __post_init__(self) -> None:
        if (self.plan is None) == (self.run is None):
            raise InvalidInput(f"scheduled job {self.name!r} needs exactly one of plan= or run=")
        if self.period <= timedelta(0):
            raise InvalidInput(f"scheduled job {self.name!r} needs a positive period")
        if self.name.startswith("sim-clock:"):
            raise InvalidInput("job names starting with 'sim-clock:' are reserved for the simulated clock anchor")


class JobRegistry:
    """Scheduled jobs by name and work-item handlers by kind. Registering twice is a programming error."""

    def __init__(self) -> None:
        self._jobs: dict[str, ScheduledJob] = {}
        self._handlers: dict[str, Handler] = {}

    def schedule(self, job: ScheduledJob) -> ScheduledJob:
        if job.name in self._jobs:
            raise InvalidInput(f"scheduled job {job.name!r} registered twice")
        self._jobs[job.name] = job
        return job

    def handle(self, kind: str, handler: Handler) -> Handler:
        if kind in self._handlers:
            raise InvalidInput(f"a handler for work items of kind {kind!r} is already registered")
        self._handlers[kind] = handler
        return handler

    def scheduled(self) -> list[ScheduledJob]:
        return list(self._jobs.values())

    def handler_for(self, kind: str) -> Handler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)


def enqueue_all(session: Session, specs: Sequence[WorkSpec]) -> list[int]:
    """Enqueue ``specs`` in ``session``'s transaction; returns the ids of items that were new (not deduplicated)."""
    queue = WorkQueue(session)
    ids: list[int] = []
    for spec in specs:
        new_id = queue.enqueue(
            spec.kind,
            campaign_id=spec.campaign_id,
            account_id=spec.account_id,
            trigger=spec.trigger,
            payload=spec.payload,
            dedupe_key=spec.dedupe_key,
            max_attempts=spec.max_attempts,
        )
        if new_id is not None:
            ids.append(new_id)
    return ids
