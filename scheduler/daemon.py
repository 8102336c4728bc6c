"""One daemon replica: clock + in-memory APScheduler + worker threads + heartbeats, with graceful shutdown.

Any number of replicas may run against one Postgres (ARCHITECTURE.md decisions 2 and 9). Each keeps its own
in-memory APScheduler — never a shared job store, which APScheduler 3.x's FAQ warns yields duplicate or missed runs —
and coordinates only through the database: period claims (``scheduler.periodic``), leased work items
(``scheduler.worker``), a ``maintenance`` lease for singleton chores, and a heartbeat row per replica.

Clocks (``scheduler.clock``): real time in production; simulated time mapped to the wall clock; or a stepped
simulated clock for the demo and benchmarks. Under the stepped clock one scheduler job, ``_step``, fires every
scheduled job in registration order when the driver moves the time, under a gate the workers also hold per item (so
what a tick does never depends on thread timing), then records the replica's ``stepped_to``.

Shutdown (SIGTERM/SIGINT): stop firing, let the worker finish the item in hand (up to ``shutdown_grace_s``; past
that its lease is expired so another replica rescues it at once), mark the replica stopped. A second signal skips
the wait.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Literal

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from adpilot.errors import AdpilotError, ConfigError, DatabaseUnavailable
from adpilot.settings import Settings
from db.coordination import AlertRepository, LeaseRepository, PeriodClaimRepository, ReplicaRepository
from db.database import Database
from db.sim_clock import SimClockRepository
from db.work_queue import RetryPolicy, WorkQueue
from platforms.base import AdPlatform
from scheduler.clock import Clock, RealClock, SimulatedClock, SteppedClock
from scheduler.faults import FaultInjector
from scheduler.jobs import register_builtin
from scheduler.metrics import DaemonMetrics
from scheduler.periodic import PeriodRunner
from scheduler.registry import JobContext, JobRegistry
from scheduler.worker import Worker

__all__ = ["DEFAULT_SIM_START", "Daemon", "DaemonConfig", "new_replica_id"]

DEFAULT_SIM_START = datetime(2025, 1, 6, tzinfo=UTC)  # the sandbox's default start (a Monday, 00:00 UTC)
MAINTENANCE_LEASE = "maintenance"


def new_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class DaemonConfig:
    """Start-up options of one replica (from the CLI). Times in wall seconds unless named otherwise."""

    replica_id: str = field(default_factory=new_replica_id)
    clock: Literal["real", "simulated", "stepped"] = "real"
    clock_name: str = "stepped"  # the sim_clocks row a stepped daemon reads
    speed: float = 1.0
    sim_start: datetime = DEFAULT_SIM_START
    metrics_port: int | None = None
    workers: int = 1
    lease_s: float = 60.0
    poll_s: float = 1.0
    heartbeat_s: float = 5.0
    shutdown_grace_s: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    crash_at: str | None = None
    plugins: tuple[str, ...] = ()
    builtin_jobs: bool = True
    only_jobs: tuple[str, ...] = ()
    platform_name: str = "sandbox"
    min_fire_s: float = 0.05
    max_fire_s: float = 15.0
    claim_retention_s: float = 86_400.0
    stuck_after_s: float = 900.0  # a claimed job run unfinished this long raises a critical alert




def load_plugin(spec: str, registry: JobRegistry) -> None:
    """``module:function`` — ``function(registry)`` registers extra jobs or handlers (e.g. the agents package)."""
    module_name, _, attr = spec.partition(":")
    try:
        register = getattr(importlib.import_module(module_name), attr or "register")
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load daemon plugin {spec!r}: {exc}",
                          remedy="pass --plugin package.module:function naming an importable function") from exc
    register(registry)


class Daemon:
    def __init__(
        self,
        database: Database,
        config: DaemonConfig,
        *,
        settings: Settings | None = None,
        platform: AdPlatform | None = None,
        registry: JobRegistry | None = None,
    ) -> None:
        self.database, self.config, self.settings, self.platform = database, config, settings, platform
        self.registry = registry or JobRegistry()
        self.log = structlog.get_logger("adpilot.daemon").bind(replica=config.replica_id)
        self.stop_event = threading.Event()
        self.metrics = DaemonMetrics()
        self.ctx: JobContext | None = None
        self.workers: list[Worker] = []
        self._threads: list[threading.Thread] = []
        self._scheduler: BackgroundScheduler | None = None
        self._maintenance_term: int | None = None
        self._runners: list[PeriodRunner] = []
        self._gate = threading.Lock()  # stepped clock only: a step and a work item never interleave
        self._stepped_to: datetime | None = None

    # ------------------------------------------------------------------------------------------ assembly
    @retry(retry=retry_if_exception_type(DatabaseUnavailable), stop=stop_after_delay(60),
           wait=wait_exponential(multiplier=0.5, max=5), reraise=True)
    def _build_clock(self) -> Clock:
        if self.config.clock == "real":
            return RealClock()
        if self.config.clock == "stepped":
            return SteppedClock(self.database, self.config.clock_name)
        name = f"sim-clock:{self.config.speed:g}"
        with self.database.transaction() as session:
            anchor = PeriodClaimRepository(session).anchor(name, self.config.sim_start, self.config.replica_id)
        return SimulatedClock(self.config.sim_start, anchor, self.config.speed)

    def build(self) -> JobContext:
        clock = self._build_clock()
        self.ctx = JobContext(
            database=self.database, clock=clock, replica_id=self.config.replica_id, platform=self.platform,
            settings=self.settings, faults=FaultInjector(self.config.crash_at), metrics=self.metrics,
            log=structlog.get_logger("adpilot.scheduler").bind(replica=self.config.replica_id),
            options={"platform_name": self.config.platform_name},
        )
        if self.config.builtin_jobs:
            register_builtin(self.registry, has_platform=self.platform is not None,
                             simulated=self.config.clock == "simulated", log=self.log)
        for spec in self.config.plugins:
            load_plugin(spec, self.registry)
        return self.ctx

    def _fire_interval(self, runner: PeriodRunner) -> float:
        assert self.ctx is not None
        wall = self.ctx.clock.wall_seconds(runner.job.period) / 2
        return min(max(wall, self.config.min_fire_s), self.config.max_fire_s)

    # ------------------------------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        ctx = self.ctx or self.build()
        self._heartbeat()
        jobs = [j for j in self.registry.scheduled() if not self.config.only_jobs or j.name in self.config.only_jobs]
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max(4, len(jobs) + 1))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        now = datetime.now(UTC)
        stepped = self.config.clock == "stepped"
        self._runners = [PeriodRunner(ctx, job, coalesce_inline=stepped, stop=self.stop_event) for job in jobs]
        if stepped:
            scheduler.add_job(self._step, IntervalTrigger(seconds=self.config.min_fire_s), id="_step",
                              next_run_time=now)
        else:
            for runner in self._runners:
                scheduler.add_job(runner.fire, IntervalTrigger(seconds=self._fire_interval(runner)),
                                  id=runner.job.name, name=runner.job.name, next_run_time=now)
        scheduler.add_job(self._heartbeat, IntervalTrigger(seconds=self.config.heartbeat_s), id="_heartbeat")
        scheduler.start()
        self._scheduler = scheduler
        for index in range(max(1, self.config.workers)):
            worker = Worker(ctx, self.registry, lease_s=self.config.lease_s, poll_s=self.config.poll_s,
                            retry_policy=self.config.retry, gate=self._gate if stepped else None)
            thread = threading.Thread(target=worker.run, args=(self.stop_event,), name=f"worker-{index}")
            thread.start()
            self.workers.append(worker)
            self._threads.append(thread)
        if self.config.metrics_port:
            self.metrics.serve(self.config.metrics_port)
        self.log.info("daemon started", clock=self.config.clock, speed=self.config.speed,
                      jobs=[j.name for j in jobs], kinds=self.registry.kinds(), now=ctx.clock.now().isoformat())

    def request_stop(self) -> None:
        self.stop_event.set()

    def shutdown(self) -> None:
        """Stop firing, finish or abandon the items in hand, mark the replica stopped. Idempotent."""
        self.stop_event.set()
        deadline = time.monotonic() + self.config.shutdown_grace_s  # one grace for all, not one per thread
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)  # in-flight fires stop between periods (PeriodRunner.stop)
            self._scheduler = None
        for worker, thread in zip(self.workers, self._threads, strict=True):
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                self.log.warning("shutdown grace exceeded: expiring the lease of the item in hand")
                worker.abandon()
        try:
            with self.database.transaction() as session:
                ReplicaRepository(session).stopped(self.config.replica_id)
                if self._maintenance_term is not None:
                    LeaseRepository(session).release(MAINTENANCE_LEASE, self.config.replica_id,
                                                     self._maintenance_term)
        except DatabaseUnavailable as exc:
            self.log.warning("could not mark the replica stopped", error=str(exc))
        self.log.info("daemon stopped")

    def run(self) -> None:
        """Run until SIGTERM/SIGINT (main thread only)."""

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            if self.stop_event.is_set():
                self.log.warning("second signal: exiting without waiting for the item in hand")
                for worker in self.workers:
                    worker.abandon()
                os._exit(1)
            self.log.info("shutdown requested", signal=signal.Signals(signum).name)
            self.stop_event.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        self.start()
        try:
            while not self.stop_event.wait(1.0):
                if not any(t.is_alive() for t in self._threads):
                    self.log.error("all worker threads died; stopping")
                    break
        finally:
            self.shutdown()

    # ------------------------------------------------------------------------------------------ stepped clock
    def _step(self) -> None:
        """Stepped clock: when the driver has moved the time, fire every job due at it (registration order, no
        work item in flight), then acknowledge the step. A claim that failed leaves the step unacknowledged, so
        the next call retries it."""
        assert self.ctx is not None and isinstance(self.ctx.clock, SteppedClock)
        try:
            now = self.ctx.clock.refresh()
            if now == self._stepped_to:
                return
            while not self._gate.acquire(timeout=0.2):  # a long item holds it; never block shutdown on it
                if self.stop_event.is_set():
                    return
            try:
                for runner in self._runners:
                    runner.fire(now)
            finally:
                self._gate.release()
            if all(runner.covers(now) for runner in self._runners):
                with self.database.transaction() as session:
                    SimClockRepository(session).stepped(self.config.replica_id, now)
                self._stepped_to = now
        except DatabaseUnavailable as exc:
            self.metrics.db_errors.labels(loop="step").inc()
            self.log.warning("step deferred: database unavailable", error=str(exc))
        except AdpilotError as exc:
            self.log.info("waiting for the stepped clock", reason=str(exc))
        except Exception:
            self.log.exception("step failed")

    # ------------------------------------------------------------------------------------------ heartbeat
    def _heartbeat(self) -> None:
        """Replica heartbeat, queue-depth gauge, and the maintenance chores for whoever holds the lease."""
        try:
            with self.database.transaction() as session:
                ReplicaRepository(session).heartbeat(self.config.replica_id, hostname=socket.gethostname(),
                                                     pid=os.getpid())
                for status, count in WorkQueue(session).depth_by_status().items():
                    self.metrics.queue_depth.labels(status=status).set(count)
            self._maintenance()
        except DatabaseUnavailable as exc:
            self.metrics.db_errors.labels(loop="heartbeat").inc()
            self.log.warning("heartbeat failed: database unavailable", error=str(exc))
        except Exception:
            self.log.exception("heartbeat failed")

    def _alert_stuck(self, session: Session) -> None:
        """A scheduled run that never finished is invisible otherwise (APScheduler skips the job's later fires
        while one is in flight): raise one critical alert naming it."""
        claims = PeriodClaimRepository(session)
        claims.close_abandoned(self.config.heartbeat_s * 6)
        stuck = claims.unfinished(self.config.stuck_after_s)
        if stuck:
            names = ", ".join(f"{c.job_name} @ {c.period_start.isoformat()} (claimed by {c.claimed_by})"
                              for c in stuck[:5])
            AlertRepository(session).open_once(
                kind="stuck_job", severity="critical", campaign_id=None,
                message=f"{len(stuck)} scheduled job run(s) claimed and never finished: {names}",
                details={"jobs": [c.job_name for c in stuck]},
            )

    def _maintenance(self) -> None:
        ttl = self.config.heartbeat_s * 3
        with self.database.transaction() as session:
            term = LeaseRepository(session).acquire(MAINTENANCE_LEASE, self.config.replica_id, ttl_s=ttl)
        if term is None:
            self._maintenance_term = None
            return
        if term != self._maintenance_term:
            self.log.info("maintenance lease acquired", term=term)
        self._maintenance_term = term
        with self.database.transaction() as session:
            rescued = WorkQueue(session).rescue_expired()
            pruned = PeriodClaimRepository(session).prune(self.config.claim_retention_s)
            self._alert_stuck(session)
        if rescued or pruned:
            self.log.info("maintenance", rescued=rescued, pruned_claims=pruned, term=term)
