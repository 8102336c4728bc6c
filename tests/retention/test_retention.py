"""Impression-log retention (``db.retention``, job ``scheduler.jobs.retention``) on real Postgres, in simulated time
years away from the wall clock: only days entirely older than the retention go, never below the training window."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from adpilot.errors import ConfigError
from adpilot.settings import load_settings
from db.database import Database
from db.partitions import DEFAULT_PARTITION, PartitionRepository, partition_name
from db.retention import PartitionMaintenanceBlocked, RetentionTooShort, apply_retention
from db.schema import PeriodClaim
from db.sync import SyncRepository
from scheduler.faults import FaultInjector
from scheduler.jobs import retention
from scheduler.metrics import DaemonMetrics
from scheduler.periodic import PeriodRunner
from scheduler.registry import JobContext, JobRegistry
from tests.db.test_impression_log_partitions import logs_db, row, where  # noqa: F401 - fixture

NOW = datetime(2031, 7, 15, 6, tzinfo=UTC)  # the daemon clock's (simulated) now; the wall clock is years away
FIRST = date(2031, 5, 20)


@dataclass
class HandClock:
    at: datetime

    def now(self) -> datetime:
        return self.at

    def wall_seconds(self, span: timedelta) -> float:
        return span.total_seconds()


def fill(database: Database) -> None:
    """One row per day from FIRST to NOW's day in day partitions, except 07-10, which has no partition (its rows wait
    in the default partition); the last second of 06-14 and the first of 06-15; an old row in the default."""
    days = (NOW.date() - FIRST).days + 1
    with database.transaction() as session:
        PartitionRepository(session).ensure_days(FIRST, NOW.date())
        session.execute(text(f'DROP TABLE partitions."{partition_name(date(2031, 7, 10))}"'))
        SyncRepository(session).upsert_impressions(
            [row(f"d{k}", datetime.combine(FIRST + timedelta(days=k), datetime.min.time(), UTC)) for k in range(days)]
            + [
                row("edge-old", datetime(2031, 6, 14, 23, 59, 59, tzinfo=UTC)),
                row("edge-new", datetime(2031, 6, 15, tzinfo=UTC)),
                row("default-old", datetime(2031, 1, 2, tzinfo=UTC)),
                row("default-new", datetime(2031, 7, 10, 9, tzinfo=UTC)),
            ]
        )
    assert where(database)["default-new"] == DEFAULT_PARTITION


def context(database: Database, **settings: int) -> JobContext:
    return JobContext(
        database=database,
        clock=HandClock(NOW),
        replica_id="r",
        platform=None,  # type: ignore[arg-type]
        settings=load_settings(**settings) if settings else None,
        faults=FaultInjector(),
        metrics=DaemonMetrics(),
    )


def test_the_daily_job_drops_only_days_entirely_older_than_the_retention(logs_db: Database) -> None:  # noqa: F811
    fill(logs_db)
    registry = JobRegistry()
    retention.register(registry)
    (job,) = registry.scheduled()
    PeriodRunner(context(logs_db), job).fire()  # catch-up: periods 07-14 and 07-15, in simulated time

    kept = where(logs_db)
    assert "edge-old" not in kept and "default-old" not in kept
    assert kept["edge-new"] == partition_name(date(2031, 6, 15))
    assert kept["default-new"] == partition_name(date(2031, 7, 10))  # carved out of the default partition
    with logs_db.transaction() as session:
        days = [p.start.date() for p in PartitionRepository(session).partitions() if p.start is not None]
    # 30 days before 07-15 00:00 is 06-15 00:00: 06-14 ends exactly there and goes, 06-15 stays
    assert days[0] == date(2031, 6, 15)
    assert days[-1] == date(2031, 7, 17)  # today and two days ahead are prepared
    assert days == [date(2031, 6, 15) + timedelta(days=k) for k in range(len(days))]
    assert {f"d{k}" for k in range(26, 57)} <= set(kept) and "d25" not in kept
    # what each period dropped is reported in its claim's outcome
    assert "impression_logs_p20310520" in outcome(logs_db, datetime(2031, 7, 14, tzinfo=UTC))
    assert "dropped impression_logs_p20310614 " in outcome(logs_db, datetime(2031, 7, 15, tzinfo=UTC))


def outcome(database: Database, period: datetime) -> str:
    with database.transaction() as session:
        found = session.scalars(
            select(PeriodClaim.outcome).where(
                PeriodClaim.job_name == retention.JOB_NAME, PeriodClaim.period_start == period
            )
        ).one()
    return str(found)


def test_the_default_partition_is_vacuumed_after_rows_leave_it(logs_db: Database) -> None:  # noqa: F811
    fill(logs_db)
    report = apply_retention(logs_db, now=NOW, retention_days=30, training_window_days=28)
    assert report.vacuumed == [f"partitions.{DEFAULT_PARTITION}", "public.impression_logs"]
    assert report.default_rows_deleted == 1 and report.dropped[0].name == partition_name(FIRST)
    deadline = time.monotonic() + 5
    vacuumed = None
    while vacuumed is None and time.monotonic() < deadline:
        with logs_db.transaction() as session:
            vacuumed = session.execute(
                text("SELECT last_vacuum FROM pg_stat_user_tables WHERE schemaname = 'partitions' AND relname = :n"),
                {"n": DEFAULT_PARTITION},
            ).scalar()
        time.sleep(0.1)
    assert vacuumed is not None


def test_retention_never_goes_below_the_training_window(logs_db: Database) -> None:  # noqa: F811
    fill(logs_db)
    with pytest.raises(RetentionTooShort) as err:
        apply_retention(logs_db, now=NOW, retention_days=7, training_window_days=28)
    assert "ADPILOT_IMPRESSION_LOG_RETENTION_DAYS to at least 28" in err.value.remedy
    assert "d50" in where(logs_db)  # nothing dropped
    with pytest.raises(ConfigError) as bad:
        load_settings(impression_log_retention_days=7)
    assert "ADPILOT_IMPRESSION_LOG_RETENTION_DAYS" in str(bad.value) and "at least 28" in str(bad.value)

    # a shorter training window allows a shorter retention, read from the job's settings
    registry = JobRegistry()
    retention.register(registry)
    ctx = context(logs_db, impression_log_retention_days=7, model_training_window_days=7)
    PeriodRunner(ctx, registry.scheduled()[0]).fire()
    with logs_db.transaction() as session:
        days = [p.start.date() for p in PartitionRepository(session).partitions() if p.start is not None]
    assert days[0] == date(2031, 7, 8)


def test_a_long_reader_defers_maintenance_instead_of_queueing_writers(
    logs_db: Database,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill(logs_db)
    monkeypatch.setattr("db.partitions.LOCK_TIMEOUT", "200ms")
    with logs_db.engine.connect() as reader:  # e.g. a nightly training read, still open
        reader.execute(text("SELECT count(*) FROM impression_logs")).scalar_one()
        with pytest.raises(PartitionMaintenanceBlocked) as err:
            apply_retention(logs_db, now=NOW, retention_days=30, training_window_days=28)
        assert "next daily run" in err.value.remedy
        reader.rollback()
    report = apply_retention(logs_db, now=NOW, retention_days=30, training_window_days=28)
    assert report.dropped and "d50" in where(logs_db)
