"""Issue 11 item 19: a source addresses only its own platform's objects; triggered runs coalesce per campaign and
kind while one is queued; each trigger kind does what ``webhooks.triggers`` says."""

from __future__ import annotations

from fastapi.testclient import TestClient

from db.database import Database
from db.schema import AdAccount, Campaign
from db.work_queue import WorkQueue
from tests.webhooks.deliveries import GENERIC_KEY_NEW, SANDBOX_KEY, standard_event, standard_headers
from tests.webhooks.test_receiver import inbox_rows, runs


def _campaign(database: Database) -> int:
    with database.transaction() as session:
        account = AdAccount(platform="sandbox", external_id="acct_1", name="A", currency="EUR", time_zone="UTC")
        session.add(account)
        session.flush()
        campaign = Campaign(
            account_id=account.id,
            external_id="cmp_1",
            name="C",
            objective="conversions",
            status="active",
            daily_budget_micros=1_000_000,
            bid_strategy="manual_cpc",
            bid_multiplier=1,
        )
        session.add(campaign)
        session.flush()
        return campaign.id


def test_a_generic_event_cannot_address_the_sandbox_platform(client: TestClient, database: Database) -> None:
    _campaign(database)
    body = standard_event("g_1").replace(b'"campaign_id"', b'"platform":"sandbox","campaign_id"')
    answer = client.post("/webhooks/generic", content=body, headers=standard_headers(GENERIC_KEY_NEW, "g_1", body))
    assert answer.status_code == 200
    assert inbox_rows(database) == [("generic", "g_1", "budget_depleted")]  # stored, as every event is
    assert all(run.campaign_id is None and run.account_id is None for run in runs(database))


def test_distinct_events_coalesce_into_one_queued_run_per_campaign_and_kind(client: TestClient, database) -> None:
    campaign_id = _campaign(database)
    for n in range(51):
        body = standard_event(f"dep_{n}")
        answer = client.post("/webhooks/sandbox", content=body, headers=standard_headers(SANDBOX_KEY, f"dep_{n}", body))
        assert answer.status_code == 200
    assert len(inbox_rows(database)) == 51
    queued = [r for r in runs(database) if r.campaign_id == campaign_id]
    assert [(r.kind, r.status) for r in queued] == [("pacing_review", "queued")]
    with database.transaction() as session:  # a worker takes it; the next event queues a fresh run
        claimed = WorkQueue(session).claim("worker-1", lease_s=60)
        assert claimed is not None and claimed.campaign_id == campaign_id
    body = standard_event("dep_after")
    client.post("/webhooks/sandbox", content=body, headers=standard_headers(SANDBOX_KEY, "dep_after", body))
    kinds = sorted(r.status for r in runs(database) if r.campaign_id == campaign_id)
    assert kinds == ["queued", "running"]
