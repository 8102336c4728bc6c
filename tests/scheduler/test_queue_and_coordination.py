"""The coordination SQL in-process: claims, leases, fencing, backoff, dead-letter, rescue, one run per campaign."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from db.accounts import AccountRepository
from db.campaigns import CampaignRepository
from db.coordination import LeaseRepository, PeriodClaimRepository, ReplicaRepository
from db.database import Database
from db.work_queue import RetryPolicy, WorkQueue


def _campaign(database: Database) -> int:
    with database.transaction() as session:
        account = AccountRepository(session).add(platform="sandbox", external_id="acc", name="a")
        return CampaignRepository(session).create(account_id=account.id, external_id="c1", name="c",
                                                  objective="conversions", daily_budget_micros=10_000_000).id


def test_claim_complete_and_fencing(database: Database) -> None:
    with database.transaction() as session:
        run_id = WorkQueue(session).enqueue("k", payload={"x": 1})
    with database.transaction() as session:
        item = WorkQueue(session).claim("a", lease_s=30)
    assert item is not None and item.id == run_id and item.attempts == 1 and item.payload == {"x": 1}
    with database.transaction() as session:
        assert WorkQueue(session).claim("b", lease_s=30) is None
        assert WorkQueue(session).complete(item.id, "b") is False  # not the holder
        assert WorkQueue(session).complete(item.id, "a", result={"ok": True}) is True
        assert WorkQueue(session).complete(item.id, "a") is False  # already done


def test_fail_backs_off_then_dead_letters(database: Database) -> None:
    with database.transaction() as session:
        WorkQueue(session).enqueue("k", max_attempts=2)
    policy = RetryPolicy(base_s=0.0, max_s=0.0)
    statuses = []
    for _ in range(2):
        with database.transaction() as session:
            item = WorkQueue(session).claim("a", lease_s=30)
            assert item is not None
            statuses.append(WorkQueue(session).fail(item.id, "a", "boom", retry=policy))
    assert statuses == ["failed", "dead"]
    with database.transaction() as session:
        assert WorkQueue(session).claim("a", lease_s=30) is None
        assert WorkQueue(session).depth_by_status()["dead"] == 1


def test_backoff_is_exponential(database: Database) -> None:
    with database.transaction() as session:
        WorkQueue(session).enqueue("k")
        item = WorkQueue(session).claim("a", lease_s=30)
        assert item is not None
        run_id = item.id
        WorkQueue(session).fail(run_id, "a", "boom", retry=RetryPolicy(base_s=60, max_s=3600))
        delay = session.execute(text("SELECT run_after - clock_timestamp() FROM agent_runs")).scalar_one()
    assert timedelta(seconds=55) < delay <= timedelta(seconds=60)


def test_expired_lease_is_rescued_and_the_old_holder_is_fenced(database: Database) -> None:
    with database.transaction() as session:
        run_id = WorkQueue(session).enqueue("k")
        assert run_id is not None
        assert WorkQueue(session).claim("a", lease_s=0.2) is not None
    time.sleep(0.3)
    with database.transaction() as session:
        assert WorkQueue(session).rescue_expired() == [run_id]
        again = WorkQueue(session).claim("b", lease_s=30)
    assert again is not None and again.attempts == 2
    with database.transaction() as session:
        assert WorkQueue(session).heartbeat(run_id, "a", lease_s=30) is False
        assert WorkQueue(session).fail(run_id, "a", "late") is None
        assert WorkQueue(session).complete(run_id, "b") is True


def test_one_running_item_per_campaign(database: Database) -> None:
    campaign_id = _campaign(database)
    with database.transaction() as session:
        for i in range(2):
            WorkQueue(session).enqueue("k", campaign_id=campaign_id, dedupe_key=f"c{i}")
        WorkQueue(session).enqueue("k", dedupe_key="free")
    with database.transaction() as session:
        first = WorkQueue(session).claim("a", lease_s=30)
        second = WorkQueue(session).claim("b", lease_s=30)
        third = WorkQueue(session).claim("c", lease_s=30)
    assert first is not None and first.campaign_id == campaign_id
    assert second is not None and second.campaign_id is None
    assert third is None


def test_release_gives_the_attempt_back(database: Database) -> None:
    with database.transaction() as session:
        run_id = WorkQueue(session).enqueue("k")
        assert run_id is not None
        WorkQueue(session).claim("a", lease_s=30)
        assert WorkQueue(session).release(run_id, "a")
        run = WorkQueue(session).get(run_id)
        assert run is not None and run.status == "queued" and run.attempts == 0


def test_period_claim_has_one_winner(database: Database) -> None:
    period = datetime(2025, 1, 6, 1, tzinfo=UTC)
    with database.transaction() as session:
        claims = PeriodClaimRepository(session)
        assert claims.claim("job", period, "a") is True
        assert claims.claim("job", period, "b") is False
        assert claims.claim("job", period + timedelta(hours=1), "b") is True
        assert claims.anchor("sim-clock:1", period, "a") == claims.anchor("sim-clock:1", period, "b")


def test_lease_terms_rise_on_takeover_and_fence_the_old_holder(database: Database) -> None:
    with database.transaction() as session:
        leases = LeaseRepository(session)
        term = leases.acquire("m", "a", ttl_s=0.2)
        assert term == 1
        assert leases.acquire("m", "b", ttl_s=30) is None
        assert leases.acquire("m", "a", ttl_s=0.2) == 1  # renewal keeps the term
    time.sleep(0.3)
    with database.transaction() as session:
        leases = LeaseRepository(session)
        assert leases.acquire("m", "b", ttl_s=30) == 2
        assert leases.renew("m", "a", 1, ttl_s=30) is False


def test_replica_heartbeats_and_staleness(database: Database) -> None:
    with database.transaction() as session:
        replicas = ReplicaRepository(session)
        replicas.heartbeat("r1", hostname="h", pid=1)
        replicas.heartbeat("r2", hostname="h", pid=2)
        replicas.stopped("r2")
    time.sleep(0.2)
    with database.transaction() as session:
        views = {v.id: v for v in ReplicaRepository(session).list(stale_after=timedelta(seconds=0.1))}
    assert views["r1"].stale and not views["r2"].stale
