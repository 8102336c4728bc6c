"""The append-only, hash-chained audit log. Rule: this module only INSERTs; database triggers refuse UPDATE, DELETE
and TRUNCATE on ``audit_log`` and chain every row to the previous one (migrations 0001 and 0005), and
:func:`verify_chain` recomputes the chain here, in Python, so a tampered row — or a trigger switched off while rows
were written — shows as a break."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from db.enums import AuditEvent
from db.schema import AuditLog
from db.types import utcnow

__all__ = ["AUDIT_TRIGGERS", "AuditRepository", "ChainReport", "audit_trigger_problems", "verify_chain"]

AUDIT_TRIGGERS = ("audit_log_append_only", "audit_log_chain", "audit_log_no_truncate")

# The fields the chain trigger hashes, formatted by the database exactly as the trigger formats them (migration 0005).
_ROWS_SQL = text("""
    SELECT chain_seq, row_hash, prev_hash,
           chain_seq::text AS seq,
           to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS recorded,
           to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS occurred,
           actor, event,
           coalesce(change_set_id::text, '') AS cs, coalesce(change_item_id::text, '') AS item,
           coalesce(campaign_id::text, '') AS campaign, message, details::text AS details,
           recorded_at
      FROM audit_log WHERE chain_seq > :after ORDER BY chain_seq LIMIT :limit
""")
_FIELDS = ("seq", "recorded", "occurred", "actor", "event", "cs", "item", "campaign", "message", "details")


@dataclass(frozen=True)
class ChainReport:
    rows: int
    breaks: list[str]

    @property
    def intact(self) -> bool:
        return not self.breaks


def _row_hash(row: Any) -> str:
    parts = [str(getattr(row, name)) for name in _FIELDS] + [row.prev_hash]
    return hashlib.sha256("".join(f"{len(p)}:{p}" for p in parts).encode("utf-8")).hexdigest()


def verify_chain(session: Session, *, batch: int = 5_000, max_breaks: int = 20) -> ChainReport:
    """Walk the chain in order: sequence numbers gap-free from 1, each row's hash recomputed from its content, each
    ``prev_hash`` equal to the previous row's hash, database time never going backwards."""
    breaks: list[str] = []
    expected_seq, previous_hash, previous_time, rows = 1, "", None, 0
    total = session.scalar(text("SELECT count(*) FROM audit_log")) or 0
    while len(breaks) < max_breaks:
        chunk = session.execute(_ROWS_SQL, {"after": expected_seq - 1, "limit": batch}).all()
        if not chunk:
            break
        for row in chunk:
            rows += 1
            if row.chain_seq != expected_seq:
                breaks.append(f"row {expected_seq} is missing (the next one is {row.chain_seq})")
            if row.prev_hash != previous_hash:
                breaks.append(f"row {row.chain_seq} does not link to the row before it")
            if _row_hash(row) != row.row_hash:
                breaks.append(f"row {row.chain_seq} was changed after it was written (hash mismatch)")
            if previous_time is not None and row.recorded_at < previous_time:
                breaks.append(f"row {row.chain_seq} was recorded before the row ahead of it")
            expected_seq, previous_hash, previous_time = row.chain_seq + 1, row.row_hash, row.recorded_at
    if rows != total and len(breaks) < max_breaks:
        breaks.append(f"{total - rows} row(s) are outside the chain (written while its trigger was off)")
    return ChainReport(rows=rows, breaks=breaks[:max_breaks])


def audit_trigger_problems(session: Session) -> list[str]:
    """Missing or disabled audit triggers (``adpilot db status`` reports them as drift)."""
    found = dict(
        session.execute(
            text(
                "SELECT t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE c.relname = 'audit_log' AND NOT t.tgisinternal"
            )
        ).all()
    )
    problems = [f"audit trigger {name} is missing" for name in AUDIT_TRIGGERS if name not in found]
    problems += [f"audit trigger {name} is disabled" for name in AUDIT_TRIGGERS if found.get(name) == "D"]
    return problems


class AuditRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(
        self,
        event: AuditEvent,
        *,
        actor: str,
        message: str = "",
        change_set_id: int | None = None,
        change_item_id: int | None = None,
        campaign_id: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> AuditLog:
        row = AuditLog(
            occurred_at=utcnow(),
            actor=actor,
            event=event.value,
            message=message,
            change_set_id=change_set_id,
            change_item_id=change_item_id,
            campaign_id=campaign_id,
            details=details or {},
        )
        self.session.add(row)
        self.session.flush()
        return row

    def recent(self, *, campaign_id: int | None = None, limit: int = 50) -> list[AuditLog]:
        stmt = select(AuditLog).order_by(AuditLog.id.desc()).limit(limit)
        if campaign_id is not None:
            stmt = stmt.where(AuditLog.campaign_id == campaign_id)
        return list(self.session.scalars(stmt))
