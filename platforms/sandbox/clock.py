"""The simulated clock: 48 ticks of 30 minutes a day, starting on a Monday at 00:00 UTC.

Why ticks: the market is simulated one tick at a time, vectorised over every opportunity of the tick, so a simulated
week is 336 numpy steps. Wall-clock time never enters the simulation (webhook signatures are the only exception).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["DEFAULT_START", "TICK", "TICKS_PER_DAY", "TICKS_PER_HOUR", "SimClock"]

TICKS_PER_DAY = 48
TICKS_PER_HOUR = 2
TICK = timedelta(minutes=30)
DEFAULT_START = datetime(2025, 1, 6, tzinfo=UTC)


@dataclass(frozen=True)
class SimClock:
    """Maps tick numbers to UTC datetimes and calendar features. Tick ``t`` covers ``[time_of(t), time_of(t+1))``."""

    start: datetime = DEFAULT_START

    def time_of(self, tick: int) -> datetime:
        return self.start + tick * TICK

    def tick_of(self, when: datetime) -> int:
        """The tick containing ``when`` (floor); times before the start map to negative ticks."""
        return int((when - self.start) // TICK)

    @staticmethod
    def day_of(tick: int) -> int:
        return tick // TICKS_PER_DAY

    @staticmethod
    def tick_in_day(tick: int) -> int:
        return tick % TICKS_PER_DAY

    @staticmethod
    def hour_of(tick: int) -> int:
        return (tick % TICKS_PER_DAY) // TICKS_PER_HOUR

    def day_of_week(self, tick: int) -> int:
        return (self.start.weekday() + tick // TICKS_PER_DAY) % 7
