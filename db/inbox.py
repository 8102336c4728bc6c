"""The webhook inbox: the only SQL that stores inbound platform events and enqueues the runs they trigger.

The rule this module keeps (ARCHITECTURE.md decision 8): an event is stored and its triggered run enqueued in the
*same* transaction, so a crash leaves either both or neither. ``(source, event_id)`` is unique and inserts use
``ON CONFLICT DO NOTHING``; the run's ``dedupe_key`` is ``"<source>:<event_id>"`` and is only written for an inbox
row this transaction created, so a redelivered event never enqueues a second run.

Two writers with the same semantics:
- :class:`InboxRepository` (SQLAlchemy session, one event at a time through :class:`~db.work_queue.WorkQueue`) for
  synchronous callers, e.g. the daemon storing events it polled, and the daemon's reads (``unprocessed``,
  ``mark_processed``).
- :func:`store_batch` (psycopg 3 async, one multi-row statement) for the receiver's group commit: many requests share
  one transaction and each request is answered only after that transaction committed.

External ids in events (``account_ref``, ``campaign_ref``) are resolved to store ids by lookup; an event about an
unknown campaign still enqueues its run with ``campaign_id`` NULL (the daemon decides what to do with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from psycopg import AsyncConnection
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from db.database import Database
from db.schema import AdAccount, Campaign, WebhookInbox
from db.types import utcnow
from db.work_queue import RetryPolicy, WorkQueue

__all__ = ["InboxItem", "InboxRepository", "StoredEvent", "coalescing_key", "psycopg_conninfo", "store_batch"]

WEBHOOK_TRIGGER = "webhook"


@dataclass(frozen=True, slots=True)
class InboxItem:
    """One event to store. ``payload`` is JSON object text valid for ``jsonb``; ``run_kind`` None = store only."""

    source: str
    event_id: str
    event_type: str
    payload: bytes
    platform: str | None = None
    account_ref: str | None = None
    campaign_ref: str | None = None
    run_kind: str | None = None
    run_reason: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.event_id)

    @property
    def dedupe_key(self) -> str:
        return f"{self.source}:{self.event_id}"


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An inbox row as the daemon reads it."""

    id: int
    source: str
    event_id: str
    event_type: str
    payload: dict[str, Any]
    received_at: datetime
    processed_at: datetime | None
    error: str | None
    attempts: int = 0
    dead_at: datetime | None = None


def coalescing_key(run_kind: str, campaign_id: int) -> str:
    """The queued run's dedupe key for a campaign's webhook-triggered ``run_kind``. While one such run is queued,
    further events of that kind for that campaign are stored but queue nothing (issue 11: 51 ``budget_depleted``
    events queued 51 runs). Claiming the run renames its key (:mod:`db.work_queue`), so the next event after that
    queues a fresh run. Redelivery of one event is already absorbed by the inbox's own unique key."""
    return f"webhook:{run_kind}:{campaign_id}"


def psycopg_conninfo(database: Database) -> str:
    """The handle's URL as a plain libpq conninfo for psycopg (the hot path skips SQLAlchemy)."""
    return database.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


_BATCH_SQL = """
WITH incoming AS (
    SELECT *
    FROM unnest(%(source)b::text[], %(event_id)b::text[], %(event_type)b::text[], %(payload)b::text[],
                %(platform)b::text[], %(account_ref)b::text[], %(campaign_ref)b::text[], %(run_kind)b::text[],
                %(run_reason)b::text[])
        AS t(source, event_id, event_type, payload, platform, account_ref, campaign_ref, run_kind, run_reason)
),
stored AS (
    INSERT INTO webhook_inbox (source, event_id, event_type, payload, received_at)
    SELECT source, event_id, event_type, payload::jsonb, now() FROM incoming ORDER BY source, event_id
    ON CONFLICT (source, event_id) DO NOTHING
    RETURNING id, source, event_id
),
runs AS (
    INSERT INTO agent_runs (kind, account_id, campaign_id, trigger, payload, dedupe_key, status, attempts,
                            max_attempts, run_after, prompt_tokens, completion_tokens)
    SELECT i.run_kind, coalesce(c.account_id, a.id), c.id, 'webhook',
           jsonb_build_object('inbox_id', s.id, 'source', s.source, 'event_id', s.event_id,
                              'event_type', i.event_type, 'reason', i.run_reason, 'platform', i.platform,
                              'account_ref', i.account_ref, 'campaign_ref', i.campaign_ref),
           CASE WHEN c.id IS NOT NULL THEN 'webhook:' || i.run_kind || ':' || c.id
                ELSE s.source || ':' || s.event_id END,
           'queued', 0, 5, now(), 0, 0
    FROM stored s
    JOIN incoming i ON i.source = s.source AND i.event_id = s.event_id
    LEFT JOIN ad_accounts a ON a.platform = i.platform AND a.external_id = i.account_ref
    LEFT JOIN LATERAL (
        SELECT c.id, c.account_id FROM campaigns c JOIN ad_accounts ca ON ca.id = c.account_id
        WHERE ca.platform = i.platform AND c.external_id = i.campaign_ref
          AND (i.account_ref IS NULL OR ca.external_id = i.account_ref)
        ORDER BY c.id LIMIT 1
    ) c ON true
    WHERE i.run_kind IS NOT NULL
    ORDER BY s.source, s.event_id
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id
)
SELECT s.source, s.event_id, (SELECT count(*) FROM runs) FROM stored s
"""


async def store_batch(conn: AsyncConnection[Any], items: Sequence[InboxItem]) -> set[tuple[str, str]]:
    """Store ``items`` and enqueue their runs in one transaction; returns the keys that were new.

    ``conn`` must be in autocommit mode: the whole batch is *one* statement (data-modifying CTEs), which Postgres
    runs as one implicit transaction — atomic, and without the extra BEGIN/COMMIT round trips.

    Callers pass items with distinct keys (the receiver deduplicates a batch before calling) in any order; rows are
    inserted in key order so two concurrent batches lock unique-index entries in the same order (no deadlock cycle).
    """
    ordered = sorted(items, key=lambda item: item.key)
    params = {
        "source": [i.source for i in ordered],
        "event_id": [i.event_id for i in ordered],
        "event_type": [i.event_type for i in ordered],
        "payload": [i.payload.decode("utf-8") for i in ordered],
        "platform": [i.platform for i in ordered],
        "account_ref": [i.account_ref for i in ordered],
        "campaign_ref": [i.campaign_ref for i in ordered],
        "run_kind": [i.run_kind for i in ordered],
        "run_reason": [i.run_reason for i in ordered],
    }
    cursor = await conn.execute(_BATCH_SQL, params, prepare=True)
    rows = await cursor.fetchall()
    return {(str(row[0]), str(row[1])) for row in rows}


class InboxRepository:
    """Session-bound inbox access. Never commits: the caller's ``database.transaction()`` does."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def record(self, item: InboxItem) -> bool:
        """Store one event and enqueue its run (same transaction as the caller's); False when already stored."""
        stmt = (
            insert(WebhookInbox)
            .values(
                source=item.source,
                event_id=item.event_id,
                event_type=item.event_type,
                payload=orjson.loads(item.payload),
                received_at=utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["source", "event_id"])
            .returning(WebhookInbox.id)
        )
        inbox_id = self.session.execute(stmt).scalar_one_or_none()
        if inbox_id is None:
            return False
        if item.run_kind is not None:
            account_id, campaign_id = self._resolve(item)
            WorkQueue(self.session).enqueue(
                item.run_kind,
                campaign_id=campaign_id,
                account_id=account_id,
                trigger=WEBHOOK_TRIGGER,
                payload=_run_payload(inbox_id, item),
                dedupe_key=coalescing_key(item.run_kind, campaign_id) if campaign_id else item.dedupe_key,
            )
        return True

    def _resolve(self, item: InboxItem) -> tuple[int | None, int | None]:
        if item.platform is None:
            return None, None
        if item.campaign_ref is not None:
            query = (
                select(Campaign.account_id, Campaign.id)
                .join(AdAccount, AdAccount.id == Campaign.account_id)
                .where(AdAccount.platform == item.platform, Campaign.external_id == item.campaign_ref)
                .order_by(Campaign.id)
                .limit(1)
            )
            if item.account_ref is not None:
                query = query.where(AdAccount.external_id == item.account_ref)
            row = self.session.execute(query).first()
            if row is not None:
                return int(row[0]), int(row[1])
        if item.account_ref is None:
            return None, None
        account = self.session.scalar(
            select(AdAccount.id).where(AdAccount.platform == item.platform, AdAccount.external_id == item.account_ref)
        )
        return account, None

    def unprocessed(self, limit: int = 100, *, now: datetime | None = None) -> list[StoredEvent]:
        """Oldest unprocessed, not dead-lettered events whose retry time (if any) has come, locked with
        ``SKIP LOCKED`` so replicas of the daemon share the work (the lock lasts until the caller's transaction
        ends)."""
        due = now or utcnow()
        rows = self.session.scalars(
            select(WebhookInbox)
            .where(
                WebhookInbox.processed_at.is_(None),
                WebhookInbox.dead_at.is_(None),
                or_(WebhookInbox.next_attempt_at.is_(None), WebhookInbox.next_attempt_at <= due),
            )
            .order_by(WebhookInbox.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        return [_stored(row) for row in rows]

    def record_failure(
        self, inbox_id: int, error: str, *, now: datetime, retry: RetryPolicy, max_attempts: int
    ) -> bool:
        """A failed attempt: retry after an exponential backoff, or dead-letter after ``max_attempts``. True when
        the event was dead-lettered by this call."""
        row = self.session.get(WebhookInbox, inbox_id, with_for_update=True)
        if row is None:
            return False
        row.attempts += 1
        row.error = error[:2000]
        if row.attempts >= max_attempts:
            row.dead_at = now
            row.next_attempt_at = None
        else:
            row.next_attempt_at = now + timedelta(seconds=retry.delay_s(row.attempts))
        self.session.flush()
        return row.dead_at is not None

    def dead_lettered(self, limit: int = 100) -> list[StoredEvent]:
        rows = self.session.scalars(
            select(WebhookInbox).where(WebhookInbox.dead_at.is_not(None)).order_by(WebhookInbox.id).limit(limit)
        ).all()
        return [_stored(row) for row in rows]

    def mark_processed(self, inbox_id: int, error: str | None = None) -> bool:
        """Mark one event processed (with the error, if processing failed); False when it does not exist."""
        result = self.session.execute(
            update(WebhookInbox)
            .where(WebhookInbox.id == inbox_id)
            .values(processed_at=utcnow(), error=error)
            .returning(WebhookInbox.id)
        )
        return result.scalar_one_or_none() is not None

    def get(self, source: str, event_id: str) -> StoredEvent | None:
        row = self.session.scalars(
            select(WebhookInbox).where(WebhookInbox.source == source, WebhookInbox.event_id == event_id)
        ).one_or_none()
        return _stored(row) if row is not None else None

    def count(self, source: str | None = None) -> int:
        query = select(func.count()).select_from(WebhookInbox)
        if source is not None:
            query = query.where(WebhookInbox.source == source)
        return int(self.session.scalar(query) or 0)

    def count_unprocessed(self) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(WebhookInbox).where(WebhookInbox.processed_at.is_(None))
            )
            or 0
        )


def _run_payload(inbox_id: int, item: InboxItem) -> dict[str, Any]:
    return {
        "inbox_id": inbox_id,
        "source": item.source,
        "event_id": item.event_id,
        "event_type": item.event_type,
        "reason": item.run_reason,
        "platform": item.platform,
        "account_ref": item.account_ref,
        "campaign_ref": item.campaign_ref,
    }


def _stored(row: WebhookInbox) -> StoredEvent:
    return StoredEvent(
        id=row.id,
        source=row.source,
        event_id=row.event_id,
        event_type=row.event_type,
        payload=row.payload,
        received_at=row.received_at,
        processed_at=row.processed_at,
        error=row.error,
        attempts=row.attempts,
        dead_at=row.dead_at,
    )
