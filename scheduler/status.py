"""What ``adpilot daemon status`` reports: replicas, leases, queue depth, items in flight, last runs, failures.

``healthy`` is false when an item is dead-lettered, a replica stopped heart-beating without shutting down cleanly,
or a scheduled job's run has not finished long after it was claimed (stuck); the CLI turns that into exit code 2 so
a cron job or probe can alert on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from db.coordination import LeaseRepository, PeriodClaimRepository, ReplicaRepository
from db.database import Database
from db.work_queue import WorkQueue

__all__ = ["DaemonStatus", "daemon_status"]


@dataclass(frozen=True)
class DaemonStatus:
    replicas: list[dict[str, Any]]
    leases: list[dict[str, Any]]
    queue: dict[str, int]
    in_flight: list[dict[str, Any]]
    last_runs: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    stuck: list[dict[str, Any]]

    @property
    def dead(self) -> int:
        return self.queue.get("dead", 0)

    @property
    def stale_replicas(self) -> int:
        return sum(1 for r in self.replicas if r["stale"])

    @property
    def healthy(self) -> bool:
        return self.dead == 0 and self.stale_replicas == 0 and not self.stuck

    def to_json(self) -> dict[str, Any]:
        return {
            "healthy": self.healthy, "dead": self.dead, "stale_replicas": self.stale_replicas,
            "replicas": self.replicas, "leases": self.leases, "queue": self.queue, "in_flight": self.in_flight,
            "last_runs": self.last_runs, "failures": self.failures, "stuck": self.stuck,
        }


def daemon_status(database: Database, *, stale_after: timedelta = timedelta(seconds=30),
                  stuck_after: timedelta = timedelta(minutes=15), failures: int = 20) -> DaemonStatus:
    with database.transaction() as session:
        queue = WorkQueue(session)
        replicas = [vars(r) for r in ReplicaRepository(session).list(stale_after=stale_after)]
        leases = [{"name": x.name, "holder": x.holder, "term": x.term, "expires_at": x.expires_at}
                  for x in LeaseRepository(session).list()]
        in_flight = [{"id": r.id, "kind": r.kind, "campaign_id": r.campaign_id, "locked_by": r.locked_by,
                      "locked_until": r.locked_until, "attempts": r.attempts} for r in queue.held_leases()]
        last_runs = [{"job": c.job_name, "period_start": c.period_start, "claimed_by": c.claimed_by,
                      "finished_at": c.finished_at, "outcome": c.outcome}
                     for c in PeriodClaimRepository(session).last_runs()]
        failed = [{"id": r.id, "kind": r.kind, "status": r.status, "attempts": r.attempts,
                   "max_attempts": r.max_attempts, "run_after": r.run_after, "last_error": r.last_error}
                  for r in queue.recent_failures(failures)]
        stuck = [{"job": c.job_name, "period_start": c.period_start, "claimed_by": c.claimed_by,
                  "claimed_at": c.claimed_at}
                 for c in PeriodClaimRepository(session).unfinished(stuck_after.total_seconds())]
        return DaemonStatus(replicas, leases, queue.depth_by_status(), in_flight, last_runs, failed, stuck)
