"""Test-only fault injection: die with SIGKILL at a named point, exactly like ``kill -9`` arriving there.

Why self-inflicted SIGKILL instead of a test racing ``kill -9`` against the process: the reliability tests must hit
each point every time (mid-claim, mid-run, after the platform write but before the ledger commit), and a race would
mostly miss the narrow windows. SIGKILL gives the process no chance to clean up, so what the test observes is what
a real crash leaves behind: an open transaction rolled back by Postgres, a lease that must expire, a pending intent.

The point is chosen at start-up (``adpilot daemon run --crash-at POINT``); with no point set every call is a no-op.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import Final

from adpilot.errors import InvalidInput

__all__ = ["CRASH_POINTS", "FaultInjector"]

CRASH_POINTS: Final = (
    "period_claim",  # inside the period-claim transaction, before it commits
    "claim",  # inside the work-item claim transaction, before it commits
    "run",  # in a handler after its effect intent is recorded, before the platform write
    "after_write",  # after the platform write returned, before the ledger commit
)


@dataclass(frozen=True)
class FaultInjector:
    point: str | None = None

    def __post_init__(self) -> None:
        if self.point is not None and self.point not in CRASH_POINTS:
            raise InvalidInput(f"unknown crash point {self.point!r}", remedy=f"use one of: {', '.join(CRASH_POINTS)}")

    def hit(self, point: str) -> None:
        """Die here if this is the configured point."""
        if self.point == point:
            os.kill(os.getpid(), signal.SIGKILL)
