"""Processing the webhook inbox. The receiver already enqueued each event's triggered run in the same transaction
as the inbox row (``db.inbox``); what is left for the daemon is to re-read state instead of trusting the event —
events arrive late, duplicated and out of order — and mark the rows processed.

Re-reading here means a sync of the affected account's entities (status, budgets, creatives and their policy
verdicts) so the triggered run sees the platform's present, not the event's past. Runs inline every few minutes:
unprocessed rows stay in the inbox until marked, so a crash loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from db.inbox import InboxRepository
from scheduler.jobs.sync import sync_platform
from scheduler.registry import JobContext, JobRegistry, ScheduledJob

__all__ = ["register"]

BATCH = 200


def _run(ctx: JobContext, period: datetime) -> str:
    total = 0
    while True:
        with ctx.database.transaction() as session:
            inbox = InboxRepository(session)
            events = inbox.unprocessed(BATCH)
            if not events:
                break
            error = None
            if ctx.platform is not None:
                try:
                    sync_platform(ctx.database, ctx.platform, str(ctx.options.get("platform_name", "sandbox")),
                                  end=period, stats_lookback=timedelta(0), impression_lookback=timedelta(0))
                except Exception as exc:
                    error = f"state re-read failed: {exc}"
            for event in events:
                inbox.mark_processed(event.id, error)
            total += len(events)
        if len(events) < BATCH:
            break
    return f"processed {total} inbox events"


def register(registry: JobRegistry) -> None:
    registry.schedule(ScheduledJob("webhook_inbox", timedelta(minutes=5), run=_run, catch_up=0,
                                   description="re-read state for inbound events and mark them processed"))
