"""Coordination between daemon replicas, all in Postgres (ARCHITECTURE.md decision 2): period claims, leases with a
rising term, replica heartbeats, plus the alerts the daemon raises.

Why rows and not session advisory locks: advisory locks belong to a connection, so they break behind PgBouncer's
transaction pooling and vanish silently when a connection drops; a row with a holder, a term and an expiry survives
both and is visible to operators (``adpilot daemon status``).

- **Period claims**: ``INSERT … ON CONFLICT DO NOTHING RETURNING`` on ``unique (job_name, period_start)``; the one
  replica that gets a row back runs the period. A concurrent claimer blocks on the uncommitted row and then sees the
  conflict, so there is never a second winner, whatever the timing.
- **Leases**: singleton maintenance. ``acquire`` takes an expired or free lease and *raises the term*; the term is a
  fencing token: a holder that stalled past its expiry finds its term superseded on ``renew`` and must stop.
- **Replicas**: a heartbeat row per process; a row whose heartbeat is older than a few intervals is stale.

All times here come from the database clock so replicas on machines with skewed clocks still agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from db.schema import Alert, Lease, PeriodClaim, Replica

__all__ = ["AlertRepository", "LeaseRepository", "PeriodClaimRepository", "ReplicaRepository", "ReplicaView"]


class PeriodClaimRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, job_name: str, period_start: datetime, holder: str) -> bool:
        """True if ``holder`` won ``(job_name, period_start)``; False if any replica (maybe itself) had it."""
        row = self.session.execute(
            text(
                "INSERT INTO period_claims (job_name, period_start, claimed_by, claimed_at) "
                "VALUES (:job, :period, :holder, clock_timestamp()) "
                "ON CONFLICT (job_name, period_start) DO NOTHING RETURNING id"
            ),
            {"job": job_name, "period": period_start, "holder": holder},
        ).one_or_none()
        return row is not None

    def finish(self, job_name: str, period_start: datetime, outcome: str) -> None:
        self.session.execute(
            text(
                "UPDATE period_claims SET finished_at = clock_timestamp(), outcome = :outcome "
                "WHERE job_name = :job AND period_start = :period"
            ),
            {"job": job_name, "period": period_start, "outcome": outcome[:2000]},
        )

    def anchor(self, name: str, at: datetime, holder: str) -> datetime:
        """A shared wall-clock anchor: the first replica to call this for ``(name, at)`` fixes the time (its
        ``claimed_at``) and every later caller reads the same value. The simulated clock uses it so all replicas
        map wall time to the same simulated time."""
        self.claim(name, at, holder)
        return self.session.execute(
            select(PeriodClaim.claimed_at).where(PeriodClaim.job_name == name, PeriodClaim.period_start == at)
        ).scalar_one()

    def last_runs(self) -> list[PeriodClaim]:
        """The latest claim of every job (simulated-clock anchors, named ``sim-clock:*``, excluded)."""
        latest = (
            select(PeriodClaim.job_name, func.max(PeriodClaim.period_start).label("period_start"))
            .where(PeriodClaim.job_name.not_like("sim-clock:%"))
            .group_by(PeriodClaim.job_name)
            .subquery()
        )
        stmt = (
            select(PeriodClaim)
            .join(
                latest,
                (PeriodClaim.job_name == latest.c.job_name) & (PeriodClaim.period_start == latest.c.period_start),
            )
            .order_by(PeriodClaim.job_name)
        )
        return list(self.session.scalars(stmt))

    def prune(self, older_than_s: float) -> int:
        """Delete finished claims older than ``older_than_s`` wall seconds (anchors are kept); returns the count.
        Old claims only matter for audit; the unique key is what prevents re-runs, and only recent periods are
        ever claimed again."""
        result = self.session.execute(
            text(
                "DELETE FROM period_claims WHERE finished_at IS NOT NULL AND job_name NOT LIKE 'sim-clock:%' "
                "AND claimed_at < clock_timestamp() - make_interval(secs => :age)"
            ),
            {"age": float(older_than_s)},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def close_abandoned(self, stale_after_s: float) -> int:
        """Finish the claims whose replica stopped or went silent before their run finished (a killed process):
        nobody will finish them, and they are not stuck jobs of a live replica. Returns how many."""
        result = self.session.execute(
            text(
                "UPDATE period_claims SET finished_at = clock_timestamp(), "
                "outcome = 'abandoned: its replica stopped before the run finished' "
                "WHERE finished_at IS NULL AND job_name NOT LIKE 'sim-clock:%' AND claimed_by IN ("
                "  SELECT id FROM replicas WHERE stopped_at IS NOT NULL"
                "  OR heartbeat_at < clock_timestamp() - make_interval(secs => :age))"
            ),
            {"age": float(stale_after_s)},
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def unfinished(self, older_than_s: float) -> list[PeriodClaim]:
        """Claims taken more than ``older_than_s`` wall seconds ago whose run never finished: a job stuck inline
        (or killed with its replica) — issue 12's pacer that died silently after day 1."""
        stmt = (
            select(PeriodClaim)
            .where(
                PeriodClaim.finished_at.is_(None),
                PeriodClaim.job_name.not_like("sim-clock:%"),
                PeriodClaim.claimed_at < func.clock_timestamp() - func.make_interval(0, 0, 0, 0, 0, 0,
                                                                                     float(older_than_s)),
            )
            .order_by(PeriodClaim.claimed_at)
        )
        return list(self.session.scalars(stmt))

    def count(self, job_name: str) -> int:
        stmt = select(func.count()).select_from(PeriodClaim).where(PeriodClaim.job_name == job_name)
        return int(self.session.execute(stmt).scalar_one())


class LeaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def acquire(self, name: str, holder: str, *, ttl_s: float) -> int | None:
        """Take (or keep) the lease; returns the term, or ``None`` while another holder's lease is live.

        A new holder raises the term; the same holder renewing a live lease keeps it."""
        row = self.session.execute(
            text(
                """
                INSERT INTO leases (name, holder, term, expires_at)
                VALUES (:name, :holder, 1, clock_timestamp() + make_interval(secs => :ttl))
                ON CONFLICT (name) DO UPDATE
                   SET holder = EXCLUDED.holder,
                       term = CASE WHEN leases.holder = EXCLUDED.holder AND leases.expires_at >= clock_timestamp()
                                   THEN leases.term ELSE leases.term + 1 END,
                       expires_at = EXCLUDED.expires_at
                 WHERE leases.holder IS NULL OR leases.holder = EXCLUDED.holder
                    OR leases.expires_at < clock_timestamp()
                RETURNING term
                """
            ),
            {"name": name, "holder": holder, "ttl": float(ttl_s)},
        ).one_or_none()
        return int(row[0]) if row is not None else None

    def renew(self, name: str, holder: str, term: int, *, ttl_s: float) -> bool:
        """Extend a live lease held with ``term``; ``False`` means it was lost (expired and taken over)."""
        row = self.session.execute(
            text(
                "UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => :ttl) "
                "WHERE name = :name AND holder = :holder AND term = :term AND expires_at >= clock_timestamp() "
                "RETURNING term"
            ),
            {"name": name, "holder": holder, "term": term, "ttl": float(ttl_s)},
        ).one_or_none()
        return row is not None

    def release(self, name: str, holder: str, term: int) -> None:
        self.session.execute(
            text(
                "UPDATE leases SET holder = NULL, expires_at = clock_timestamp() "
                "WHERE name = :name AND holder = :holder AND term = :term"
            ),
            {"name": name, "holder": holder, "term": term},
        )

    def list(self) -> list[Lease]:
        return list(self.session.scalars(select(Lease).order_by(Lease.name)))


@dataclass(frozen=True)
class ReplicaView:
    id: str
    hostname: str
    pid: int
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    stale: bool


class ReplicaRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def heartbeat(self, replica_id: str, *, hostname: str, pid: int) -> None:
        self.session.execute(
            text(
                """
                INSERT INTO replicas (id, hostname, pid, started_at, heartbeat_at, stopped_at)
                VALUES (:id, :host, :pid, clock_timestamp(), clock_timestamp(), NULL)
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = clock_timestamp(), hostname = EXCLUDED.hostname,
                    pid = EXCLUDED.pid, stopped_at = NULL
                """
            ),
            {"id": replica_id, "host": hostname, "pid": pid},
        )

    def stopped(self, replica_id: str) -> None:
        self.session.execute(
            text("UPDATE replicas SET stopped_at = clock_timestamp() WHERE id = :id"), {"id": replica_id}
        )

    def list(self, *, stale_after: timedelta) -> list[ReplicaView]:
        """Every replica; ``stale`` = not stopped cleanly and no heartbeat within ``stale_after``."""
        now = self.session.execute(text("SELECT clock_timestamp()")).scalar_one()
        rows = self.session.scalars(select(Replica).order_by(Replica.started_at))
        return [
            ReplicaView(
                r.id,
                r.hostname,
                r.pid,
                r.started_at,
                r.heartbeat_at,
                r.stopped_at,
                stale=r.stopped_at is None and now - r.heartbeat_at > stale_after,
            )
            for r in rows
        ]


class AlertRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open_once(
        self,
        *,
        kind: str,
        severity: str,
        campaign_id: int | None,
        message: str,
        details: dict[str, Any],
    ) -> int | None:
        """Raise an alert unless an unresolved one of the same kind is open for the campaign; returns the new id.

        Callers run inside a claimed period, so one replica checks at a time; the dedupe keeps a persisting anomaly
        from raising a new alert every period."""
        existing = self.session.execute(
            select(Alert.id)
            .where(Alert.kind == kind, Alert.campaign_id == campaign_id, Alert.resolved_at.is_(None))
            .with_for_update()
        ).first()
        if existing is not None:
            return None
        alert = Alert(kind=kind, severity=severity, campaign_id=campaign_id, message=message, details=details)
        self.session.add(alert)
        self.session.flush()
        return alert.id

    def open_alerts(self, limit: int = 50) -> list[Alert]:
        stmt = select(Alert).where(Alert.resolved_at.is_(None)).order_by(Alert.id.desc()).limit(limit)
        return list(self.session.scalars(stmt))
