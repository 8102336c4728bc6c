"""Issue 11 item 20: the inbox job retried nothing — a failing event was marked processed on its first error. Now:
retry with exponential backoff, then dead-letter with a critical alert; a recovered platform processes the rest."""

from __future__ import annotations

from datetime import timedelta

import orjson
from sqlalchemy import select

from db.inbox import InboxItem, InboxRepository
from db.schema import Alert, WebhookInbox
from platforms.sandbox import SandboxConfig, SandboxPlatform
from scheduler.jobs import inbox as inbox_job
from tests.scheduler.test_effects_and_periods import HandClock, _ctx


def _store(database, n: int) -> None:
    with database.transaction() as session:
        for i in range(n):
            InboxRepository(session).record(
                InboxItem(
                    source="sandbox", event_id=f"e{i}", event_type="daily_summary", payload=orjson.dumps({"i": i})
                )
            )


def _rows(database) -> list[WebhookInbox]:
    with database.transaction() as session:
        rows = list(session.scalars(select(WebhookInbox).order_by(WebhookInbox.id)))
        session.expunge_all()
        return rows


def test_failing_events_are_retried_with_backoff_then_dead_lettered(database, monkeypatch) -> None:
    platform = SandboxPlatform(SandboxConfig(seed=1, n_campaigns=1, n_users=500, traffic_scale=0.05))
    clock = HandClock(platform.now())
    ctx = _ctx(database, clock, platform=platform)
    _store(database, 3)

    def outage(*_args: object, **_kwargs: object) -> None:
        raise ConnectionError("platform API unreachable")

    monkeypatch.setattr(inbox_job, "sync_platform", outage)
    inbox_job._run(ctx, clock.now())
    rows = _rows(database)
    assert all(r.processed_at is None and r.attempts == 1 and "unreachable" in (r.error or "") for r in rows)
    assert all(r.next_attempt_at == clock.now() + timedelta(seconds=60) for r in rows)

    inbox_job._run(ctx, clock.now())  # before the backoff: nothing is tried again
    assert [r.attempts for r in _rows(database)] == [1, 1, 1]

    for attempt in range(2, inbox_job.MAX_ATTEMPTS + 1):
        clock.at += timedelta(hours=2)
        inbox_job._run(ctx, clock.now())
        assert {r.attempts for r in _rows(database)} == {attempt}
    rows = _rows(database)
    assert all(r.dead_at is not None and r.processed_at is None for r in rows)
    with database.transaction() as session:
        alerts = session.scalars(select(Alert).where(Alert.kind == "webhook_dead_letter")).all()
        assert len(alerts) == 1 and alerts[0].severity == "critical"

    monkeypatch.undo()
    _store(database, 5)  # new events after the outage: processed normally; dead ones stay dead
    clock.at += timedelta(hours=2)
    inbox_job._run(ctx, clock.now())
    rows = _rows(database)
    assert sum(r.processed_at is not None for r in rows) == 2 and sum(r.dead_at is not None for r in rows) == 3
