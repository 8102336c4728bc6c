"""Group commit on real Postgres: concurrent requests share transactions, each learns its own outcome, and a
request the database refuses fails alone."""

from __future__ import annotations

import asyncio

import pytest

from adpilot.errors import DatabaseUnavailable
from db.database import Database
from db.inbox import InboxItem, InboxRepository, psycopg_conninfo
from webhooks.intake import GroupCommitter, StoreResult


def item(event_id: str, run_kind: str | None = "pacing_review") -> InboxItem:
    return InboxItem("generic", event_id, "budget_depleted", b'{"n":1}', run_kind=run_kind, run_reason="test")


async def submit_all(database: Database, batches: list[list[InboxItem]]) -> list[StoreResult | BaseException]:
    committer = GroupCommitter(psycopg_conninfo(database))
    await committer.start()
    try:
        return await asyncio.gather(*(committer.submit(b) for b in batches), return_exceptions=True)
    finally:
        await committer.stop()


def test_concurrent_requests_share_commits_and_get_their_own_outcome(database: Database) -> None:
    batches = [[item(f"e{n}")] for n in range(200)] + [[item("e0")], [item("e1"), item("e1")]]
    results = asyncio.run(submit_all(database, batches))
    assert all(isinstance(r, StoreResult) for r in results)
    assert sum(r.stored for r in results if isinstance(r, StoreResult)) == 200
    assert results[-2] == StoreResult(0, 1) and results[-1] == StoreResult(0, 2)
    with database.transaction() as session:
        assert InboxRepository(session).count() == 200


def test_a_refused_request_fails_alone(database: Database) -> None:
    poison = InboxItem("generic", "bad\x00id", "x", b"{}")  # Postgres text cannot hold NUL
    results = asyncio.run(submit_all(database, [[item("ok1")], [poison], [item("ok2")]]))
    assert results[0] == StoreResult(1, 0) and results[2] == StoreResult(1, 0)
    assert isinstance(results[1], DatabaseUnavailable)
    with database.transaction() as session:
        assert InboxRepository(session).count() == 2


def test_database_down_means_503_not_an_ack() -> None:
    async def scenario() -> None:
        committer = GroupCommitter("postgresql://nobody@127.0.0.1:1/none", connect_timeout_s=1)
        await committer.start()
        try:
            with pytest.raises(DatabaseUnavailable):
                await committer.submit([item("x")])
            assert not await committer.ping()
        finally:
            await committer.stop()

    asyncio.run(scenario())
