"""A daemon plugin for the reliability tests (loaded with ``--plugin tests.scheduler.plugin:…``).

- ``register_tick``: a scheduled job ``test_tick`` (period 1 simulated minute) whose run inserts one row per period
  into ``test_tick_effects`` — a side-effect table without a unique key, so a period run twice would show twice.
- ``register_apply``: the daemon's real ``apply_change_set`` handler, without the other built-in jobs.
- ``register_effects``: a handler for ``test_effect`` items that creates one sandbox creative through the
  intent → write → ledger protocol (``scheduler.effects.perform_once``), so crash tests can count mutations in the
  sandbox's own write log.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from db.work_queue import ClaimedItem
from scheduler.effects import WorkItemLedger, perform_once
from scheduler.registry import JobContext, JobRegistry, ScheduledJob

TICK_JOB = "test_tick"
TICK_PERIOD = timedelta(minutes=1)
EFFECT_KIND = "test_effect"
SLOW_KIND = "test_slow"
SIDE_TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS test_tick_effects (job text NOT NULL, period_start timestamptz NOT NULL, "
    "replica text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())"
)


def _tick(ctx: JobContext, period: datetime) -> str:
    with ctx.database.transaction() as session:
        session.execute(
            text("INSERT INTO test_tick_effects (job, period_start, replica) VALUES (:job, :period, :replica)"),
            {"job": TICK_JOB, "period": period, "replica": ctx.replica_id},
        )
    return "tick"


def _effect(ctx: JobContext, item: ClaimedItem) -> dict[str, Any]:
    platform = ctx.require_platform()
    campaign, headline = item.payload["campaign"], item.payload["headline"]
    outcome = perform_once(
        ctx.database,
        WorkItemLedger(item.id, ctx.replica_id),
        idempotency_key=f"test-effect:{item.id}",
        intended={"headline": headline},
        write=lambda key: platform.create_creative(campaign, headline, "crash test", idempotency_key=key),
        read_back=lambda: any(c.headline == headline for c in platform.list_creatives(campaign)),
        faults=ctx.faults,
    )
    return {"how": outcome.how}


def _slow(ctx: JobContext, item: ClaimedItem) -> dict[str, Any]:
    time.sleep(float(item.payload.get("seconds", 2.0)))
    return {"slept": True}


def register_tick(registry: JobRegistry) -> None:
    registry.schedule(ScheduledJob(TICK_JOB, TICK_PERIOD, run=_tick, catch_up=0))


def register_apply(registry: JobRegistry) -> None:
    """The daemon's real change-set apply handler alone (no other built-in job), for the apply-job crash test."""
    from db.work_kinds import WorkKind
    from scheduler.jobs.hooks import _apply

    registry.handle(WorkKind.APPLY_CHANGE_SET, _apply)


def register_effects(registry: JobRegistry) -> None:
    registry.handle(EFFECT_KIND, _effect)
    registry.handle(SLOW_KIND, _slow)
