"""Advance the shared sandbox market to the daemon's simulated time, one claimed tick at a time.

Only registered when the daemon runs on the simulated clock against a sandbox server. ``advance_to`` never moves
time backwards, so a retried or late tick is harmless, and a lost tick is made up by the next one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from scheduler.clock import SANDBOX_TICK
from scheduler.registry import JobContext, JobRegistry, ScheduledJob

__all__ = ["Advanceable", "register"]


@runtime_checkable
class Advanceable(Protocol):
    def advance_to(self, when: datetime) -> datetime: ...


def _run(ctx: JobContext, period: datetime) -> str:
    platform = ctx.require_platform()
    if not isinstance(platform, Advanceable):
        return "platform has no simulated clock"
    return f"sandbox at {platform.advance_to(period).isoformat()}"


def register(registry: JobRegistry) -> None:
    registry.schedule(ScheduledJob("sandbox_clock", SANDBOX_TICK, run=_run, catch_up=0, latest_only=True,
                                   description="advance the shared sandbox to the simulated time"))
