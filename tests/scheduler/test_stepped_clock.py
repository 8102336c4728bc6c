"""The stepped clock: a daemon replica (in this process, the real ``Daemon``) follows a driven simulated time, fires
every job due at each step once, and the driver moves on only after every item they queued has finished."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from db.coordination import AlertRepository
from db.database import Database
from db.sim_clock import SimClockRepository
from db.work_queue import ClaimedItem
from platforms.sandbox.clock import DEFAULT_START, TICK
from scheduler.clock import SteppedClock
from scheduler.daemon import Daemon, DaemonConfig
from scheduler.registry import JobContext, JobRegistry, ScheduledJob, WorkSpec
from scheduler.stepper import Stepper, StepStalled


@dataclass
class Journal:
    lock: threading.Lock = field(default_factory=threading.Lock)
    events: list[tuple[str, datetime, datetime]] = field(default_factory=list)  # (what, period, clock at the time)

    def add(self, what: str, period: datetime, now: datetime) -> None:
        with self.lock:
            self.events.append((what, period, now))


def _registry(journal: Journal, *, hang: threading.Event | None = None) -> JobRegistry:
    registry = JobRegistry()

    def inline(ctx: JobContext, period: datetime) -> str:
        journal.add("inline", period, ctx.clock.now())
        return "ok"

    def minute(ctx: JobContext, period: datetime) -> str:
        journal.add("minute", period, ctx.clock.now())
        return "ok"

    def plan(ctx: JobContext, session: Session, period: datetime) -> list[WorkSpec]:
        return [WorkSpec("slow_work", dedupe_key=f"slow:{period.isoformat()}", payload={"p": period.isoformat()})]

    def handle(ctx: JobContext, item: ClaimedItem) -> dict[str, str]:
        period = datetime.fromisoformat(item.payload["p"])
        if hang is not None and period > DEFAULT_START + TICK:
            hang.wait(30)
        journal.add("item", period, ctx.clock.now())
        return {"done": item.payload["p"]}

    registry.schedule(ScheduledJob("inline_tick", TICK, run=inline, catch_up=0))
    registry.schedule(ScheduledJob("every_minute", timedelta(minutes=1), run=minute, catch_up=0))
    registry.schedule(ScheduledJob("plan_tick", TICK, plan=plan, catch_up=0))
    registry.handle("slow_work", handle)
    return registry


@pytest.fixture()
def stepped(database: Database) -> Iterator[tuple[Daemon, Journal, Stepper]]:
    journal = Journal()
    config = DaemonConfig(replica_id="stepped-test", clock="stepped", clock_name="test-clock", builtin_jobs=False,
                          poll_s=0.01, min_fire_s=0.01, heartbeat_s=0.5, shutdown_grace_s=5)
    daemon = Daemon(database, config, registry=_registry(journal))
    with database.transaction() as session:
        since = SimClockRepository(session).wall_now()
    stepper = Stepper(database, "test-clock", ["stepped-test"], since, stall_s=20)
    with database.transaction() as session:
        SimClockRepository(session).set("test-clock", DEFAULT_START)
    daemon.start()
    try:
        yield daemon, journal, stepper
    finally:
        daemon.shutdown()


def test_each_step_runs_every_due_job_once_and_its_work_before_the_next_step(
    stepped: tuple[Daemon, Journal, Stepper],
) -> None:
    _daemon, journal, stepper = stepped
    stepper.wait_idle(DEFAULT_START)
    for k in range(1, 5):
        stepper.step_to(DEFAULT_START + k * TICK)
    steps = [DEFAULT_START + k * TICK for k in range(5)]
    inline = [(p, now) for what, p, now in journal.events if what == "inline"]
    items = [(p, now) for what, p, now in journal.events if what == "item"]
    assert inline == [(s, s) for s in steps]  # once per step, at its own time, in order
    assert items == [(s, s) for s in steps]  # the work queued at a step finished before the clock moved
    # a one-minute inline job is coalesced to the latest period of each 30-minute jump, not run 30 times
    assert [p for what, p, _ in journal.events if what == "minute"] == steps
    # the inline run of a step comes before the item that step queued: fired under the gate, in order
    order = [(what, p) for what, p, _ in journal.events if what in ("inline", "item")]
    assert order == [x for s in steps for x in (("inline", s), ("item", s))]


def test_a_stepped_clock_that_was_never_started_says_so(database: Database) -> None:
    clock = SteppedClock(database, "never-started")
    with pytest.raises(Exception, match="has not been started"):
        clock.now()


def test_a_stuck_item_stalls_the_driver_with_a_named_error_and_an_alert(database: Database) -> None:
    journal, hang = Journal(), threading.Event()
    config = DaemonConfig(replica_id="stuck-test", clock="stepped", clock_name="stuck-clock", builtin_jobs=False,
                          poll_s=0.01, min_fire_s=0.01, heartbeat_s=0.5, shutdown_grace_s=5)
    daemon = Daemon(database, config, registry=_registry(journal, hang=hang))
    with database.transaction() as session:
        since = SimClockRepository(session).wall_now()
        SimClockRepository(session).set("stuck-clock", DEFAULT_START)
    stepper = Stepper(database, "stuck-clock", ["stuck-test"], since, stall_s=1.0)
    daemon.start()
    try:
        stepper.wait_idle(DEFAULT_START)
        stepper.step_to(DEFAULT_START + TICK)
        with pytest.raises(StepStalled, match="slow_work") as raised:
            stepper.step_to(DEFAULT_START + 2 * TICK)
        assert "running" in str(raised.value)
    finally:
        hang.set()
        daemon.shutdown()
    with database.transaction() as session:
        alerts = [a for a in AlertRepository(session).open_alerts() if a.kind == "stuck_job"]
    assert len(alerts) == 1 and alerts[0].severity == "critical"
