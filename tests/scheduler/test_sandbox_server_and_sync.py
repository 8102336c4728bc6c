"""The remote sandbox client against the server (in-process via TestClient), the sync into the store, the anomaly
rules and graceful shutdown of a real daemon process."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from db.database import Database
from db.sync import WindowTotals
from db.work_queue import WorkQueue
from platforms.base import IdempotencyConflict, InvalidValue, WriteStatus
from platforms.sandbox import SandboxConfig, SandboxPlatform
from platforms.sandbox.remote import RemoteSandbox
from platforms.sandbox.server import create_app
from scheduler.jobs.anomalies import Gates, detect
from scheduler.jobs.sync import sync_platform
from tests.scheduler.conftest import ForkServer
from tests.scheduler.plugin import SLOW_KIND


@pytest.fixture()
def remote() -> RemoteSandbox:
    sandbox = SandboxPlatform(SandboxConfig(seed=2, n_campaigns=2, n_users=1500, traffic_scale=0.1))
    return RemoteSandbox("http://testserver", client=TestClient(create_app(sandbox)))  # type: ignore[arg-type]  # an httpx.Client at runtime


def test_remote_sandbox_round_trips_reads_writes_and_errors(remote: RemoteSandbox) -> None:
    account = remote.list_accounts()[0]
    campaign = remote.list_campaigns(account.id)[0]
    start = remote.now()
    assert remote.advance_to(start + timedelta(hours=3)) == start + timedelta(hours=3)
    assert remote.advance_to(start) == start + timedelta(hours=3)  # never backwards
    assert remote.hourly_stats(account.id, start, remote.now())
    first = remote.set_daily_budget(campaign.id, 5_000_000, idempotency_key="b-1")
    again = remote.set_daily_budget(campaign.id, 5_000_000, idempotency_key="b-1")
    assert (first.status, again.status) == (WriteStatus.APPLIED, WriteStatus.DUPLICATE)
    with pytest.raises(IdempotencyConflict):
        remote.set_daily_budget(campaign.id, 6_000_000, idempotency_key="b-1")
    with pytest.raises(InvalidValue) as info:
        remote.set_bid_multiplier(campaign.id, 99.0, idempotency_key="m-1")
    assert info.value.field == "multiplier"
    assert remote.get_controls(campaign.id).daily_budget_micros == 5_000_000
    log = remote.write_log()
    assert list(log["records"]) == ["b-1"] and log["requests"]["duplicate"] == 1


def test_sync_is_idempotent(database: Database, remote: RemoteSandbox) -> None:
    remote.advance(12)
    first = sync_platform(database, remote, "sandbox", end=remote.now())
    second = sync_platform(database, remote, "sandbox", end=remote.now())
    assert first == second and first["campaigns"] == 2 and first["hours"] > 0
    with database.transaction() as session:
        counts = session.execute(text(
            "SELECT (SELECT count(*) FROM campaigns), (SELECT count(*) FROM performance_hours), "
            "(SELECT count(*) FROM impression_logs)"
        )).one()
    assert counts == (2, first["hours"], first["impressions"])


def _w(impressions: int, clicks: int, conversions: int, spend: int, hours: int) -> WindowTotals:
    return WindowTotals(impressions, clicks, conversions, spend, hours)


def test_anomaly_rules_and_their_sample_gates() -> None:
    gates = Gates()
    baseline = _w(200_000, 4_000, 400, 400_000_000, 168)  # CPA 1 unit, CTR 2 %, CVR 10 %
    healthy = _w(7_000, 140, 14, 14_000_000, 6)
    assert detect(healthy, baseline, gates, active=True, budget_micros=10**8) == []
    kinds = {a.kind for a in detect(_w(0, 0, 0, 0, 0), baseline, gates, active=True, budget_micros=10**8)}
    assert kinds == {"zero_spend"}
    kinds = {a.kind for a in detect(_w(7_000, 140, 0, 14_000_000, 6), baseline, gates, active=True,
                                    budget_micros=10**8)}
    assert kinds == {"cpa_spike", "tracking_break"}
    assert {a.kind for a in detect(_w(7_000, 20, 2, 3_000_000, 6), baseline, gates, active=True,
                                   budget_micros=10**8)} == {"ctr_collapse"}
    tiny_baseline = _w(900, 10, 1, 1_000_000, 168)  # below every gate: no alerts on noise
    assert detect(_w(0, 0, 0, 0, 0), tiny_baseline, gates, active=True, budget_micros=10**8) == []
    assert detect(_w(50, 3, 0, 500_000, 6), baseline, gates, active=True, budget_micros=10**8) == []


def test_sigterm_finishes_the_item_in_hand(forkserver: ForkServer, database: Database) -> None:
    with database.transaction() as session:
        run_id = WorkQueue(session).enqueue(SLOW_KIND, payload={"seconds": 2.0})
    assert run_id is not None
    pid = forkserver.start(["run", "--no-builtin-jobs", "--plugin", "tests.scheduler.plugin:register_effects",
                            "--poll-seconds", "0.05", "--job", "none"], name="graceful")
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with database.transaction() as session:
                run = WorkQueue(session).get(run_id)
                if run is not None and run.status == "running":
                    break
            time.sleep(0.05)
    finally:
        status = forkserver.stop(pid, timeout=30)
    assert status["code"] == 0 and not status["timed_out"]
    with database.transaction() as session:
        run = WorkQueue(session).get(run_id)
        assert run is not None and run.status == "succeeded" and run.locked_by is None
