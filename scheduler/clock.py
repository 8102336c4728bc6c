"""The daemon's notion of "now": real UTC, or simulated time running ``speed`` times faster than the wall clock.

Why a simulated clock: the sandbox market lives in simulated time (48 ticks of 30 minutes a day), and a week of
daily agent cycles, hourly syncs and pacing ticks must run in minutes in tests and demos. Scheduled periods
(``period_start`` of a claim) are in this clock's time; leases, lock expiries and backoff stay in wall time on the
database clock, because they are about processes, not about the simulated market.

Replicas must agree on simulated time or they would claim different periods. The mapping
``sim = sim_start + (wall - wall_anchor) * speed`` therefore takes its ``wall_anchor`` from the database
(``PeriodClaimRepository.anchor``): the first replica fixes it, every later one reads it.

A wall-mapped simulated clock lets the market run ahead of the work (issue 12: approved change-sets expired before
their apply ran; two runs of one seed differed). :class:`SteppedClock` is the third source: simulated time read
from a database row that a driver (``scheduler.stepper.Stepper``) moves one tick at a time, only once every job due
at the current tick has finished. The daemon, its jobs, the queue and the apply job are the same in all three.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from adpilot.errors import AdpilotError, InvalidInput
from db.sim_clock import SimClockRepository

if TYPE_CHECKING:
    from db.database import Database

__all__ = [
    "SANDBOX_TICK",
    "SANDBOX_TICKS_PER_DAY",
    "Clock",
    "RealClock",
    "SimulatedClock",
    "SteppedClock",
    "floor_period",
]

SANDBOX_TICKS_PER_DAY = 48
SANDBOX_TICK = timedelta(days=1) / SANDBOX_TICKS_PER_DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Clock(Protocol):
    """What the scheduler needs from a clock."""

    speed: float

    def now(self) -> datetime: ...

    def wall_seconds(self, span: timedelta) -> float:
        """How many wall seconds pass while this clock advances by ``span``."""
        ...


@dataclass
class RealClock:
    speed: float = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def wall_seconds(self, span: timedelta) -> float:
        return span.total_seconds()


@dataclass
class SimulatedClock:
    """``now() = sim_start + (wall_now - wall_anchor) * speed``. ``wall_now`` comes from ``time.time`` (injectable)."""

    sim_start: datetime
    wall_anchor: datetime
    speed: float

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise InvalidInput(f"simulated clock speed must be > 0, got {self.speed}", remedy="pass --speed 1800")
        for name in ("sim_start", "wall_anchor"):
            value = getattr(self, name)
            if value.tzinfo is None:
                raise InvalidInput(f"{name} must be timezone-aware", remedy="pass a UTC datetime")

    def wall_now(self) -> datetime:
        return datetime.fromtimestamp(time.time(), UTC)

    def now(self) -> datetime:
        return self.sim_start + (self.wall_now() - self.wall_anchor) * self.speed

    def wall_seconds(self, span: timedelta) -> float:
        return span.total_seconds() / self.speed


@dataclass
class SteppedClock:
    """Simulated time that moves only when the driver says so: ``now()`` is the ``sim_clocks`` row ``name``.

    Reads are cached for ``cache_s`` wall seconds (every scheduler fire asks for the time); :meth:`refresh` reads
    through the cache. ``wall_seconds`` is 0: fires are paced by the daemon's minimum fire interval."""

    database: Database
    name: str
    cache_s: float = 0.02
    speed: float = 0.0
    _cached: tuple[float, datetime] | None = field(default=None, repr=False)

    def refresh(self) -> datetime:
        with self.database.transaction() as session:
            now = SimClockRepository(session).get(self.name)
        if now is None:
            raise AdpilotError(
                f"the stepped clock {self.name!r} has not been started",
                remedy="a stepped daemon is driven by `adpilot demo` or `adpilot bench system`; run the daemon "
                "with --clock real or --clock simulated on its own",
            )
        self._cached = (time.monotonic(), now)
        return now

    def now(self) -> datetime:
        cached = self._cached
        if cached is not None and time.monotonic() - cached[0] < self.cache_s:
            return cached[1]
        return self.refresh()

    def wall_seconds(self, span: timedelta) -> float:
        return 0.0


def floor_period(when: datetime, period: timedelta) -> datetime:
    """The start of the period containing ``when``; periods are aligned to the Unix epoch (so a day starts at 00:00
    UTC and an hour on the hour) and identical on every replica."""
    if when.tzinfo is None:
        raise InvalidInput("floor_period needs a timezone-aware datetime", remedy="pass a UTC datetime")
    if period <= timedelta(0):
        raise InvalidInput(f"period must be positive, got {period}")
    periods = (when.astimezone(UTC) - _EPOCH) // period
    return _EPOCH + periods * period
