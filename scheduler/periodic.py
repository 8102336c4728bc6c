"""Turning APScheduler fires into exactly-once periods.

APScheduler (in memory, one per replica) only says "look now"; which periods run is decided here. On each fire a
replica walks every period that fell due since the last one it saw (so a late or skipped fire never loses a period)
and tries to claim each in Postgres; only the claim winner plans or runs it. A period whose claim attempt hit a
database error is not marked as seen, so it is retried on the next fire.

A ``latest_only`` job that fell behind runs only the newest ``catch_up + 1`` periods and logs what it skipped: walking
every missed period never catches up once one period's work takes longer than a period (issue 12: on the wall-mapped
demo clock the pacer was still replaying day 1 on day 7, so its change-sets were dated day 1 and expired unapplied).
A stop request ends the walk between periods, so shutdown never waits on a backlog.
"""

from __future__ import annotations

import threading
from datetime import datetime

from adpilot.errors import DatabaseUnavailable
from db.coordination import PeriodClaimRepository
from scheduler.clock import floor_period
from scheduler.registry import JobContext, ScheduledJob, enqueue_all

__all__ = ["PeriodRunner"]

_MAX_PERIODS_PER_FIRE = 10_000


class PeriodRunner:
    """Claims and runs the periods of one :class:`ScheduledJob` on behalf of one replica."""

    def __init__(self, ctx: JobContext, job: ScheduledJob, *, coalesce_inline: bool = False,
                 stop: threading.Event | None = None) -> None:
        """``coalesce_inline`` (stepped clock, which jumps a whole tick at once): an inline (``run``) job claims only
        the latest of the periods due, as its contract allows (the next period makes up for a lost one) — a
        one-minute job would otherwise run 30 times per 30-minute step."""
        self.ctx = ctx
        self.job = job
        self.coalesce_inline = coalesce_inline
        self.stop = stop or threading.Event()
        self.last_seen: datetime | None = None
        self.log = ctx.log.bind(job=job.name)

    def due_periods(self, now: datetime) -> list[datetime]:
        current = floor_period(now, self.job.period)
        step = self.job.period
        oldest = current - self.job.catch_up * step
        first = oldest if self.last_seen is None else self.last_seen + step
        if self.job.latest_only and first < oldest and not (self.coalesce_inline and self.job.run is not None):
            skipped = (oldest - first) // step
            self.log.warning("job behind the clock: stale periods skipped", skipped=skipped,
                             first_skipped=first.isoformat(), running=oldest.isoformat())
            self.ctx.metrics.job_runs.labels(job=self.job.name, outcome="skipped").inc(skipped)
            first = oldest
        periods: list[datetime] = []
        period = first
        while period <= current and len(periods) < _MAX_PERIODS_PER_FIRE:
            periods.append(period)
            period += self.job.period
        if self.coalesce_inline and self.job.run is not None:
            return periods[-1:]
        return periods

    def covers(self, now: datetime) -> bool:
        """Every period due at ``now`` has been claimed (and, if this replica won it, run)."""
        return self.last_seen is not None and self.last_seen >= floor_period(now, self.job.period)

    def fire(self, now: datetime | None = None) -> None:
        """APScheduler's entry point (``now``: the stepped clock's step). Never raises: a failure is logged and
        retried on the next fire."""
        try:
            for period in self.due_periods(self.ctx.clock.now() if now is None else now):
                if self.stop.is_set():  # shutting down: start no other period (the daemon waits for this fire)
                    return
                self._claim_and_run(period)
                self.last_seen = period
        except DatabaseUnavailable as exc:
            self.ctx.metrics.db_errors.labels(loop=f"job:{self.job.name}").inc()
            self.log.warning("period claim deferred: database unavailable", error=str(exc))
        except Exception:
            self.log.exception("scheduled job fire failed")

    def _claim_and_run(self, period: datetime) -> None:
        won = self._claim(period)
        self.ctx.metrics.period_claims.labels(job=self.job.name, outcome="won" if won else "lost").inc()
        if won and self.job.run is not None:
            self._run_inline(period)

    def _claim(self, period: datetime) -> bool:
        """Claim the period; for ``plan`` jobs enqueue its work in the same transaction."""
        try:
            with self.ctx.database.transaction() as session:
                claims = PeriodClaimRepository(session)
                won = claims.claim(self.job.name, period, self.ctx.replica_id)
                if won and self.job.plan is not None:
                    ids = enqueue_all(session, self.job.plan(self.ctx, session, period))
                    claims.finish(self.job.name, period, f"ok: enqueued {len(ids)}")
                    self.log.info("period planned", period=period.isoformat(), enqueued=len(ids))
                self.ctx.faults.hit("period_claim")
                return won
        except DatabaseUnavailable:
            raise
        except Exception as exc:
            if self.job.plan is None:
                raise
            return self._record_plan_failure(period, exc)

    def _record_plan_failure(self, period: datetime, exc: Exception) -> bool:
        """A planning bug must not wedge the job: claim the period with the error so the next period proceeds."""
        self.log.error("planning failed", period=period.isoformat(), error=repr(exc))
        with self.ctx.database.transaction() as session:
            claims = PeriodClaimRepository(session)
            won = claims.claim(self.job.name, period, self.ctx.replica_id)
            if won:
                claims.finish(self.job.name, period, f"error: {exc!r}")
        self.ctx.metrics.job_runs.labels(job=self.job.name, outcome="error").inc()
        return won

    def _run_inline(self, period: datetime) -> None:
        assert self.job.run is not None
        try:
            outcome = "ok: " + (self.job.run(self.ctx, period) or "done")
            self.ctx.metrics.job_runs.labels(job=self.job.name, outcome="ok").inc()
        except DatabaseUnavailable:
            raise
        except Exception as exc:
            self.log.exception("scheduled job failed", period=period.isoformat())
            outcome = f"error: {exc!r}"
            self.ctx.metrics.job_runs.labels(job=self.job.name, outcome="error").inc()
        with self.ctx.database.transaction() as session:
            PeriodClaimRepository(session).finish(self.job.name, period, outcome)
