"""The driver half of the stepped clock: move simulated time one step, then wait until the daemons are idle.

"Idle at ``now``" means every replica of the run has acknowledged ``now`` (fired every scheduled job due at it, see
``Daemon._step``) and no work item created during the run is unfinished (queued, running, or failed and waiting for
its retry) — so syncs, webhook processing, pacing, agent cycles, the applies they queue and retraining have all
finished before the market moves on. A wait that makes no progress for ``stall_s`` wall seconds raises
:class:`StepStalled` naming what is stuck, and records a critical alert, instead of hanging or moving on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from adpilot.errors import AdpilotError
from db.coordination import AlertRepository
from db.database import Database
from db.sim_clock import OpenItem, SimClockRepository

__all__ = ["StepStalled", "Stepper"]


class StepStalled(AdpilotError):
    """The simulation waited ``stall_s`` wall seconds without any job finishing."""

    default_remedy = (
        "see the daemon's log in the run's log directory; `adpilot daemon status` lists stuck claims and queued "
        "items. A slow LLM may need a longer --stall-seconds"
    )


def _describe(item: OpenItem) -> str:
    error = f", last error: {item.error[:200]}" if item.error else ""
    return f"#{item.id} {item.kind} ({item.status}, attempt {item.attempts}, campaign {item.campaign_id}){error}"


@dataclass
class Stepper:
    """Drives the stepped clock ``name`` for the replicas ``replica_ids``. ``since`` (wall time, the run's start)
    scopes the work items that count: older ones belong to earlier runs. ``check`` is called while waiting (e.g.
    to raise when a child process died)."""

    database: Database
    name: str
    replica_ids: list[str]
    since: datetime
    poll_s: float = 0.02
    stall_s: float = 900.0
    check: Callable[[], None] = field(default=lambda: None)
    waited_s: float = 0.0

    def step_to(self, now: datetime) -> None:
        with self.database.transaction() as session:
            SimClockRepository(session).set(self.name, now)
        self.wait_idle(now)

    def wait_idle(self, now: datetime) -> None:
        started = last_progress = time.monotonic()
        seen: object = None
        while True:
            with self.database.transaction() as session:
                repo = SimClockRepository(session)
                steps = repo.steps(self.replica_ids)
                count, items = repo.open_items(self.since)
            behind = sorted(r for r in self.replica_ids if (stepped := steps.get(r)) is None or stepped < now)
            if not behind and count == 0:
                self.waited_s += time.monotonic() - started
                return
            state = (tuple(behind), count, tuple((i.id, i.status, i.attempts) for i in items))
            if state != seen:
                seen, last_progress = state, time.monotonic()
            elif time.monotonic() - last_progress > self.stall_s:
                raise self._stalled(now, behind, count, items)
            self.check()
            time.sleep(self.poll_s)

    def _stalled(self, now: datetime, behind: list[str], count: int, items: list[OpenItem]) -> StepStalled:
        parts = []
        if behind:
            parts.append(f"replicas that have not fired the jobs due at {now.isoformat()}: {', '.join(behind)}")
        if count:
            parts.append(f"{count} unfinished work items: " + "; ".join(_describe(i) for i in items[:5]))
        message = f"the stepped simulation made no progress for {self.stall_s:.0f} s at {now.isoformat()}: " + (
            " — ".join(parts)
        )
        with self.database.transaction() as session:
            AlertRepository(session).open_once(
                kind="stuck_job", severity="critical", campaign_id=None, message=message,
                details={"sim_time": now.isoformat(), "behind": behind, "open_items": [i.id for i in items]},
            )
        return StepStalled(message)
