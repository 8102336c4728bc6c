"""The day partitions of ``impression_logs``: create ahead, carve days out of the default partition, drop old days.

Layout (migration 0007): the parent ``public.impression_logs`` is range-partitioned by ``occurred_at``; each UTC day
``D`` is ``partitions.impression_logs_pYYYYMMDD`` covering ``[D 00:00, D+1 00:00)``; ``partitions.
impression_logs_default`` takes any row no day partition covers, so an insert never fails however far the
(simulated) time is from the days prepared so far.

Rules this module keeps:

- **One maintainer at a time.** Every change takes the transaction-level advisory lock :data:`LOCK_KEY` and re-checks
  the catalog after it, so replicas racing to create the same day serialise instead of colliding in the catalog
  (transaction-level, unlike session locks, is safe behind PgBouncer). Two creators of one day: one creates, the
  other finds it and does nothing.
- **Adding a day blocks writers for a moment, never readers.** ``CREATE TABLE … PARTITION OF`` would take an ACCESS
  EXCLUSIVE lock on the parent (blocking every reader, e.g. a nightly training read); a standalone table plus
  ``ATTACH PARTITION`` needs SHARE UPDATE EXCLUSIVE. That alone is not enough: an insert already routed to the
  default partition would then fail its partition check once the day is attached (found by the concurrency test),
  so creators first take SHARE ROW EXCLUSIVE on the parent, which waits for open writers and holds new ones back
  until commit while SELECTs go on. Rows of that day already in the default partition are moved into the new table
  before attaching, because ``ATTACH`` refuses while the default holds rows of the new range.
- **Dropping a day is ``DROP TABLE``**, which returns its space to the operating system at once, unlike ``DELETE``.
- DDL waits at most :data:`LOCK_TIMEOUT` for a lock, so maintenance behind a long reader fails (and is retried the
  next day) instead of queueing every writer behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import CursorResult, TextClause, text
from sqlalchemy.orm import Session

__all__ = [
    "DEFAULT_PARTITION",
    "LOCK_KEY",
    "LOCK_TIMEOUT",
    "PARENT",
    "SCHEMA",
    "LogPartition",
    "PartitionRepository",
    "day_bounds",
    "partition_name",
]

SCHEMA = "partitions"
PARENT = "impression_logs"
DEFAULT_PARTITION = "impression_logs_default"
LOCK_KEY = 0x696D705F_70617274  # "imp_part"
LOCK_TIMEOUT = "10s"
_DAY_NAME = re.compile(r"^impression_logs_p(\d{8})$")


@dataclass(frozen=True)
class LogPartition:
    """One partition of ``impression_logs``; ``start``/``end`` are None for the default partition.
    ``rows_estimate`` is the planner's estimate (``pg_class.reltuples``; 0 before the first ANALYZE)."""

    name: str
    start: datetime | None
    end: datetime | None
    rows_estimate: int
    total_bytes: int

    @property
    def is_default(self) -> bool:
        return self.start is None


def partition_name(day: date) -> str:
    return f"impression_logs_p{day:%Y%m%d}"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=UTC)
    return start, start + timedelta(days=1)


def _day_of(name: str) -> date | None:
    found = _DAY_NAME.match(name)
    return None if found is None else datetime.strptime(found.group(1), "%Y%m%d").date()


def _qualified(name: str) -> str:
    return f'{SCHEMA}."{name}"'


class PartitionRepository:
    """Partition maintenance inside the caller's transaction (the caller commits; see the module rules)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _count(self, statement: TextClause, params: dict[str, Any]) -> int:
        result = self.session.execute(statement, params)
        return int(result.rowcount or 0) if isinstance(result, CursorResult) else 0

    def _serialise(self) -> None:
        self.session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})

    def _attached_days(self) -> set[date]:
        return {p.start.date() for p in self.partitions() if p.start is not None}

    def partitions(self) -> list[LogPartition]:
        """Every partition attached to ``impression_logs``, days in order, the default partition last."""
        rows = self.session.execute(
            text(
                "SELECT c.relname, greatest(c.reltuples, 0)::bigint, pg_total_relation_size(c.oid) "
                "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = CAST(:parent AS regclass)"
            ),
            {"parent": f"public.{PARENT}"},
        ).all()
        out = []
        for name, rows_estimate, size in rows:
            day = _day_of(str(name))
            start, end = day_bounds(day) if day is not None else (None, None)
            out.append(LogPartition(str(name), start, end, int(rows_estimate), int(size)))
        return sorted(out, key=lambda p: (p.start is None, p.start or datetime.min.replace(tzinfo=UTC)))

    def ensure_days(self, first: date, last: date) -> list[str]:
        """Make sure a partition exists for every day in ``[first, last]``; returns the names created."""
        self._serialise()
        have = self._attached_days()
        created = []
        day = first
        while day <= last:
            if day not in have:
                self._create_day(day)
                created.append(partition_name(day))
            day += timedelta(days=1)
        return created

    def _create_day(self, day: date) -> int:
        """Create and attach one day, moving its rows out of the default partition; returns rows moved."""
        start, end = day_bounds(day)
        table, default = _qualified(partition_name(day)), _qualified(DEFAULT_PARTITION)
        bounds = {"start": start, "end": end}
        self.session.execute(text(f"LOCK TABLE public.{PARENT} IN SHARE ROW EXCLUSIVE MODE"))
        self.session.execute(text(f"CREATE TABLE {table} (LIKE public.{PARENT} INCLUDING CONSTRAINTS)"))
        moved = self._count(
            text(
                f"WITH moved AS (DELETE FROM {default} WHERE occurred_at >= :start AND occurred_at < :end "
                f"RETURNING *) INSERT INTO {table} SELECT * FROM moved"
            ),
            bounds,
        )
        self.session.execute(
            text(
                f"ALTER TABLE public.{PARENT} ATTACH PARTITION {table} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
        )
        return moved

    def default_days(self) -> list[date]:
        """The UTC days of the rows waiting in the default partition."""
        found = self.session.execute(
            text(f"SELECT DISTINCT (occurred_at AT TIME ZONE 'UTC')::date FROM {_qualified(DEFAULT_PARTITION)}")
        ).scalars()
        return sorted(found)

    def carve_default(self, keep_from: datetime) -> tuple[list[str], int]:
        """Give each day held in the default partition its own partition, except days entirely before
        ``keep_from``, whose rows are deleted instead. Returns (partitions created, rows deleted)."""
        self._serialise()
        have = self._attached_days()
        created = []
        for day in self.default_days():
            if day_bounds(day)[1] > keep_from and day not in have:
                self._create_day(day)
                created.append(partition_name(day))
        deleted = self._count(
            text(f"DELETE FROM {_qualified(DEFAULT_PARTITION)} WHERE occurred_at < :cutoff"),
            {"cutoff": datetime.combine(keep_from.astimezone(UTC).date(), time(0), tzinfo=UTC)},
        )
        return created, deleted

    def drop_before(self, cutoff: datetime) -> list[LogPartition]:
        """Drop every day partition that ends at or before ``cutoff`` (entirely older); returns what was dropped."""
        self._serialise()
        dropped = [p for p in self.partitions() if p.end is not None and p.end <= cutoff]
        for partition in dropped:
            self.session.execute(text(f"DROP TABLE {_qualified(partition.name)}"))
        return dropped
