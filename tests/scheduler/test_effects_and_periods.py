"""``perform_once`` and ``PeriodRunner`` in-process, with an in-process sandbox and a hand-driven clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from adpilot.errors import ConfigError
from db.database import Database
from db.work_queue import WorkQueue
from platforms.base import WriteResult
from platforms.sandbox import SandboxConfig, SandboxPlatform
from scheduler.clock import SimulatedClock, floor_period
from scheduler.effects import LeaseLost, WorkItemLedger, perform_once
from scheduler.faults import FaultInjector
from scheduler.metrics import DaemonMetrics
from scheduler.periodic import PeriodRunner
from scheduler.registry import JobContext, JobRegistry, ScheduledJob, WorkSpec
from scheduler.worker import Worker


@dataclass
class HandClock:
    at: datetime
    speed: float = 1.0

    def now(self) -> datetime:
        return self.at

    def wall_seconds(self, span: timedelta) -> float:
        return span.total_seconds()


class Crash(Exception):
    pass


def _ctx(database: Database, clock: HandClock, replica: str = "r", platform: object = None) -> JobContext:
    return JobContext(database=database, clock=clock, replica_id=replica, platform=platform,  # type: ignore[arg-type]
                      settings=None, faults=FaultInjector(), metrics=DaemonMetrics())


def _claimed(database: Database) -> int:
    with database.transaction() as session:
        run_id = WorkQueue(session).enqueue("k")
        assert WorkQueue(session).claim("r", lease_s=30) is not None
    assert run_id is not None
    return run_id


def test_perform_once_after_a_crash_between_write_and_ledger_reads_back(database: Database) -> None:
    sandbox = SandboxPlatform(SandboxConfig(seed=1, n_campaigns=1, n_users=500))
    run_id = _claimed(database)
    ledger = WorkItemLedger(run_id, "r")
    writes = []

    def write(key: str) -> WriteResult:
        writes.append(key)
        result = sandbox.create_creative("cmp_1", "Hello", "World", idempotency_key=key)
        raise Crash(result)  # dies after the platform write, before the ledger commit

    def read_back() -> bool:
        return any(c.headline == "Hello" for c in sandbox.list_creatives("cmp_1"))

    with pytest.raises(Crash):
        perform_once(database, ledger, idempotency_key="k1", intended={"h": "Hello"}, write=write, read_back=read_back)
    outcome = perform_once(database, ledger, idempotency_key="k1", intended={"h": "Hello"}, write=write,
                           read_back=read_back)
    assert outcome.how == "read_back" and writes == ["k1"]
    again = perform_once(database, ledger, idempotency_key="k1", intended={"h": "Hello"}, write=write)
    assert again.how == "already_recorded"
    assert sum(c.headline == "Hello" for c in sandbox.list_creatives("cmp_1")) == 1


def test_perform_once_without_read_back_relies_on_the_idempotency_key(database: Database) -> None:
    sandbox = SandboxPlatform(SandboxConfig(seed=1, n_campaigns=1, n_users=500))
    ledger = WorkItemLedger(_claimed(database), "r")
    calls = {"n": 0}

    def write(key: str) -> WriteResult:
        calls["n"] += 1
        result = sandbox.set_daily_budget("cmp_1", 7_000_000, idempotency_key=key)
        if calls["n"] == 1:
            raise Crash(result)
        return result

    with pytest.raises(Crash):
        perform_once(database, ledger, idempotency_key="b1", intended=7_000_000, write=write)
    outcome = perform_once(database, ledger, idempotency_key="b1", intended=7_000_000, write=write)
    assert outcome.how == "written" and outcome.result["status"] == "duplicate"


def test_perform_once_refuses_without_the_lease(database: Database) -> None:
    run_id = _claimed(database)
    with pytest.raises(LeaseLost):
        perform_once(database, WorkItemLedger(run_id, "someone-else"), idempotency_key="x", intended=1,
                     write=lambda key: pytest.fail("must not write"))


def test_period_runner_catches_up_skipped_fires_and_plans_atomically(database: Database) -> None:
    clock = HandClock(datetime(2025, 1, 6, 10, 30, tzinfo=UTC))
    job = ScheduledJob("hourly", timedelta(hours=1), catch_up=1,
                       plan=lambda ctx, s, p: [WorkSpec("k", dedupe_key=f"hourly:{p.isoformat()}")])
    a, b = PeriodRunner(_ctx(database, clock, "a"), job), PeriodRunner(_ctx(database, clock, "b"), job)
    a.fire()
    b.fire()
    clock.at += timedelta(hours=3)  # three periods pass without a fire
    b.fire()
    a.fire()
    with database.transaction() as session:
        periods = session.execute(text("SELECT period_start FROM period_claims ORDER BY 1")).scalars().all()
        items = session.execute(text("SELECT count(*) FROM agent_runs")).scalar_one()
    assert [p.hour for p in periods] == [9, 10, 11, 12, 13]
    assert items == 5


def test_worker_fails_unknown_kinds_without_crashing(database: Database) -> None:
    with database.transaction() as session:
        WorkQueue(session).enqueue("mystery", max_attempts=1)
    worker = Worker(_ctx(database, HandClock(datetime.now(UTC))), JobRegistry(), lease_s=5)
    assert worker.run_once() is not None
    with database.transaction() as session:
        status, error = session.execute(text("SELECT status, last_error FROM agent_runs")).one()
    assert status == "dead" and "no handler for work items of kind 'mystery'" in error


def test_platform_jobs_say_how_to_configure_a_platform(database: Database) -> None:
    with pytest.raises(ConfigError) as info:
        _ctx(database, HandClock(datetime.now(UTC))).require_platform()
    assert "--platform-url" in info.value.remedy


def test_clocks() -> None:
    anchor = datetime(2026, 1, 1, tzinfo=UTC)
    clock = SimulatedClock(datetime(2025, 1, 6, tzinfo=UTC), anchor, 1800)
    assert clock.wall_seconds(timedelta(minutes=30)) == 1.0
    assert floor_period(datetime(2025, 1, 6, 10, 47, tzinfo=UTC), timedelta(minutes=30)).minute == 30
    assert floor_period(datetime(2025, 1, 6, 10, 47, tzinfo=UTC), timedelta(days=1)).hour == 0


def test_a_latest_only_job_behind_the_clock_skips_to_the_newest_period(database: Database) -> None:
    """Issue 12: the pacer replayed every missed 30-minute period and was still on day 1 when the week ended."""
    import threading

    clock = HandClock(datetime(2025, 1, 6, 10, 0, tzinfo=UTC))
    ran: list[int] = []
    job = ScheduledJob("pace", timedelta(minutes=30), run=lambda ctx, p: str(ran.append(p.hour)), catch_up=0,
                       latest_only=True)
    runner = PeriodRunner(_ctx(database, clock), job)
    runner.fire()
    clock.at += timedelta(hours=5)  # ten periods pass while one run is slow
    runner.fire()
    assert ran == [10, 15]
    stop = threading.Event()
    walker = PeriodRunner(_ctx(database, clock, "w"), ScheduledJob("walk", timedelta(minutes=30), catch_up=3,
                                                                   run=lambda ctx, p: "ok"), stop=stop)
    stop.set()  # shutting down: not one more period
    walker.fire()
    with database.transaction() as session:
        assert session.execute(text("SELECT count(*) FROM period_claims WHERE job_name = 'walk'")).scalar_one() == 0
