"""Daily impression-log retention: drop day partitions older than ``impression_log_retention_days``, prepare the
next days, vacuum what changed (the service is :func:`db.retention.apply_retention`).

Runs inline (``run=``): a lost period costs nothing, because the next day's run drops everything older than its
own cutoff. Its "now" is the period it was given — the daemon clock's time, simulated in the stepped demo — never
the wall clock, or a demo set in 2025 would drop (or keep) the wrong days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from adpilot.settings import Settings
from db.retention import apply_retention
from scheduler.registry import JobContext, JobRegistry, ScheduledJob

__all__ = ["JOB_NAME", "register"]

JOB_NAME = "impression_log_retention"


def _days(ctx: JobContext, name: str) -> int:
    if ctx.settings is not None:
        return int(getattr(ctx.settings, name))
    return int(Settings.model_fields[name].default)


def _run(ctx: JobContext, period: datetime) -> str:
    report = apply_retention(
        ctx.database,
        now=period,
        retention_days=_days(ctx, "impression_log_retention_days"),
        training_window_days=_days(ctx, "model_training_window_days"),
    )
    ctx.log.info(
        "impression log retention",
        cutoff=report.cutoff.isoformat(),
        dropped=[p.name for p in report.dropped],
        dropped_bytes=report.dropped_bytes,
        created=report.created,
        default_rows_deleted=report.default_rows_deleted,
        vacuumed=report.vacuumed,
    )
    return report.summary()


def register(registry: JobRegistry) -> None:
    registry.schedule(
        ScheduledJob(
            JOB_NAME,
            timedelta(days=1),
            run=_run,
            description="drop impression-log days older than the retention, prepare the next days, vacuum",
        )
    )
