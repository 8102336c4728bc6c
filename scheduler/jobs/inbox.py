"""Processing the webhook inbox. The receiver already enqueued each event's triggered run in the same transaction
as the inbox row (``db.inbox``); what is left for the daemon is to re-read state instead of trusting the event —
events arrive late, duplicated and out of order — and mark the rows processed.

Re-reading here means a sync of the affected account's entities (status, budgets, creatives and their policy
verdicts) so the triggered run sees the platform's present, not the event's past. Runs inline every few minutes:
unprocessed rows stay in the inbox until marked, so a crash loses nothing. A failed re-read is retried with
exponential backoff; after ``MAX_ATTEMPTS`` the event is dead-lettered and a critical alert raised.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from db.coordination import AlertRepository
from db.inbox import InboxRepository
from db.work_queue import RetryPolicy
from scheduler.jobs.sync import sync_platform
from scheduler.registry import JobContext, JobRegistry, ScheduledJob

__all__ = ["register"]

BATCH = 200
MAX_ATTEMPTS = 5
RETRY = RetryPolicy(base_s=60.0, max_s=3600.0)


def _run(ctx: JobContext, period: datetime) -> str:
    """Re-read state once for the due events; on failure each event is retried with backoff and, after
    ``MAX_ATTEMPTS``, dead-lettered with an alert (issue 11: a failing event was marked processed and forgotten)."""
    now = ctx.clock.now()
    processed = failed = dead = 0
    while True:
        with ctx.database.transaction() as session:
            inbox = InboxRepository(session)
            events = inbox.unprocessed(BATCH, now=now)
            if not events:
                break
            error = None
            if ctx.platform is not None:
                try:
                    sync_platform(ctx.database, ctx.platform, str(ctx.options.get("platform_name", "sandbox")),
                                  end=period, stats_lookback=timedelta(0), impression_lookback=timedelta(0))
                except Exception as exc:  # any failure of the re-read is retried; the event itself is kept
                    error = f"state re-read failed: {type(exc).__name__}: {exc}"
            for event in events:
                if error is None:
                    inbox.mark_processed(event.id)
                    processed += 1
                elif inbox.record_failure(event.id, error, now=now, retry=RETRY, max_attempts=MAX_ATTEMPTS):
                    dead += 1
                    AlertRepository(session).open_once(
                        kind="webhook_dead_letter", severity="critical", campaign_id=None,
                        message=f"webhook events dead-lettered after {MAX_ATTEMPTS} attempts; last error: {error}",
                        details={"inbox_id": event.id, "source": event.source, "event_id": event.event_id},
                    )
                else:
                    failed += 1
        if error is not None or len(events) < BATCH:
            break
    return f"processed {processed}, retrying {failed}, dead-lettered {dead} inbox events"


def register(registry: JobRegistry) -> None:
    registry.schedule(ScheduledJob("webhook_inbox", timedelta(minutes=5), run=_run, catch_up=0, latest_only=True,
                                   description="re-read state for inbound events and mark them processed"))
