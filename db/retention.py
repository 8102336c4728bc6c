"""Retention of impression logs: keep ``retention_days`` of them, never fewer days than the models train on.

The daily maintenance (:func:`apply_retention`, run by the daemon's ``impression_log_retention`` job) works in the
daemon clock's time — the period it is given, which in the stepped demo is simulated time years away from the wall
clock — and does, in order:

1. carve the default partition: days that landed there (an insert before its day was prepared) get their own
   partition; rows of days already past retention are deleted;
2. prepare today's partition and ``ahead_days`` more, so the sync's inserts land in day partitions;
3. drop every day partition that ends at or before ``now - retention_days`` (entirely older);
4. ``VACUUM (ANALYZE)`` the default partition when rows left it, and ``ANALYZE`` the parent when days came or went
   (autovacuum never analyzes a partitioned parent, and the planner's row estimates per day come from it). VACUUM
   cannot run inside a transaction, hence an autocommit connection.

Partition DDL needs the owner of ``impression_logs``; a runtime role that is not the owner gets
:class:`PartitionMaintenanceDenied` naming the fix, instead of a half-done run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from adpilot.errors import AdpilotError, ConfigError
from db.database import Database
from db.partitions import DEFAULT_PARTITION, PARENT, SCHEMA, LogPartition, PartitionRepository

_LOCK_NOT_AVAILABLE = "55P03"

__all__ = [
    "PartitionMaintenanceBlocked",
    "PartitionMaintenanceDenied",
    "RetentionReport",
    "RetentionTooShort",
    "apply_retention",
    "check_retention",
    "vacuum_analyze",
]


class RetentionTooShort(ConfigError):
    """The impression-log retention is shorter than the models' training window: training would lose data."""

    def __init__(self, retention_days: int, training_window_days: int) -> None:
        super().__init__(
            f"impression_log_retention_days={retention_days} is shorter than the models' training window "
            f"({training_window_days} days): nightly retraining would read fewer days than it is configured for",
            remedy=f"set ADPILOT_IMPRESSION_LOG_RETENTION_DAYS to at least {training_window_days}, or shorten "
            "ADPILOT_MODEL_TRAINING_WINDOW_DAYS first",
        )
        self.retention_days = retention_days
        self.training_window_days = training_window_days


class PartitionMaintenanceDenied(ConfigError):
    default_remedy = (
        "run the retention as the owner of the schema (the role `adpilot db upgrade` uses), e.g. a daemon "
        "connected with the owner's URL; the runtime role may read and write rows but not create or drop tables"
    )


class PartitionMaintenanceBlocked(AdpilotError):
    """A lock on ``impression_logs`` was not granted within ``db.partitions.LOCK_TIMEOUT`` (a long reader or writer
    held it); nothing half-done is left, each step is one transaction."""

    default_remedy = "nothing to do: the next daily run tries again (or run it when no long query reads the logs)"


@dataclass(frozen=True)
class RetentionReport:
    now: datetime
    cutoff: datetime
    dropped: list[LogPartition] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    default_rows_deleted: int = 0
    vacuumed: list[str] = field(default_factory=list)

    @property
    def dropped_bytes(self) -> int:
        return sum(p.total_bytes for p in self.dropped)

    def summary(self) -> str:
        names = ", ".join(p.name for p in self.dropped) or "nothing"
        return (
            f"cutoff {self.cutoff.isoformat()}: dropped {names} ({self.dropped_bytes / 1e6:.1f} MB, "
            f"~{sum(p.rows_estimate for p in self.dropped)} rows); created {len(self.created)} day partitions; "
            f"deleted {self.default_rows_deleted} old rows from the default partition; "
            f"vacuumed/analyzed {', '.join(self.vacuumed) or 'nothing'}"
        )


def check_retention(retention_days: int, training_window_days: int) -> None:
    if retention_days < training_window_days:
        raise RetentionTooShort(retention_days, training_window_days)


def _require_owner(database: Database) -> None:
    with database.engine.connect() as conn:
        owner = conn.execute(
            text(
                "SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c "
                "WHERE c.oid = CAST(:parent AS regclass)"
            ),
            {"parent": f"public.{PARENT}"},
        ).scalar_one()
    if not owner:
        raise PartitionMaintenanceDenied(f"the connected role does not own {PARENT}: it cannot create or drop days")


@contextmanager
def _maintenance(database: Database) -> Iterator[PartitionRepository]:
    """One maintenance transaction; a lock timeout becomes :class:`PartitionMaintenanceBlocked` (the store's error
    translation would call it an unreachable database)."""
    try:
        with database.transaction() as session:
            yield PartitionRepository(session)
    except AdpilotError as exc:
        if getattr(getattr(exc.__cause__, "orig", None), "sqlstate", None) == _LOCK_NOT_AVAILABLE:
            raise PartitionMaintenanceBlocked(f"impression-log maintenance gave up waiting for a lock: {exc}") from exc
        raise


def apply_retention(
    database: Database, *, now: datetime, retention_days: int, training_window_days: int, ahead_days: int = 2
) -> RetentionReport:
    """The daily maintenance described in the module docstring; ``now`` is the daemon clock's (never wall) time."""
    check_retention(retention_days, training_window_days)
    _require_owner(database)
    now = now.astimezone(UTC)
    cutoff = now - timedelta(days=retention_days)
    with _maintenance(database) as repo:
        carved, deleted = repo.carve_default(cutoff)
    with _maintenance(database) as repo:
        created = repo.ensure_days(now.date(), (now + timedelta(days=ahead_days)).date())
    with _maintenance(database) as repo:
        dropped = repo.drop_before(cutoff)
    targets = []
    if carved or deleted:
        targets.append(f"{SCHEMA}.{DEFAULT_PARTITION}")
    if carved or created or dropped:
        targets.append(f"public.{PARENT}")
    vacuum_analyze(database, targets)
    return RetentionReport(now, cutoff, dropped, [*carved, *created], deleted, targets)


def vacuum_analyze(database: Database, tables: list[str]) -> None:
    """``VACUUM (ANALYZE)`` each table (a partitioned parent is only analyzed: VACUUM of a parent would walk
    every partition, which autovacuum already does), on an autocommit connection."""
    if not tables:
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            verb = "ANALYZE" if table == f"public.{PARENT}" else "VACUUM (ANALYZE)"
            conn.execute(text(f"{verb} {table}"))
