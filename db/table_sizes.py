"""How much disk each table takes, for the soak benchmark and ``db status``-style reports.

Sizes are ``pg_total_relation_size`` (heap + TOAST + indexes + free-space and visibility maps). A partition counts
under its (top-level) parent, so ``impression_logs`` is one number however many days it holds; tables of every
application schema are listed, system schemas are not.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

from db.partitions import LogPartition, PartitionRepository

__all__ = ["TableSize", "database_bytes", "impression_log_partitions", "table_sizes"]

# Walk pg_inherits up to the root, so a partition of a partition still lands under the top-level table.
_SIZES = text(
    """
    WITH RECURSIVE roots AS (
        SELECT c.oid AS rel, c.oid AS root
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'm')
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
          AND NOT c.relispartition
        UNION ALL
        SELECT i.inhrelid, r.root FROM pg_inherits i JOIN roots r ON i.inhparent = r.rel
    )
    SELECT n.nspname, c.relname, sum(pg_total_relation_size(r.rel))::bigint, count(*) - 1
    FROM roots r JOIN pg_class c ON c.oid = r.root JOIN pg_namespace n ON n.oid = c.relnamespace
    GROUP BY n.nspname, c.relname
    ORDER BY 3 DESC, 1, 2
    """
)


@dataclass(frozen=True)
class TableSize:
    schema: str
    name: str
    total_bytes: int
    partitions: int

    @property
    def qualified(self) -> str:
        return self.name if self.schema == "public" else f"{self.schema}.{self.name}"


def table_sizes(session: Session) -> list[TableSize]:
    """Every table with its total size in bytes, partitions summed under their parent, largest first."""
    return [TableSize(str(s), str(n), int(b), int(p)) for s, n, b, p in session.execute(_SIZES)]


def database_bytes(session: Session) -> int:
    """The whole database on disk (``pg_database_size``), catalog included."""
    return int(session.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def impression_log_partitions(session: Session) -> list[LogPartition]:
    """The partitions of ``impression_logs`` (name, UTC range, planner's row estimate, bytes), oldest first."""
    return PartitionRepository(session).partitions()
