"""The receiver in-process on real Postgres: status codes, storage + enqueue in one go, idempotency, the Meta
handshake, rotation, unknown types, campaign resolution, and the inbox repository the daemon uses."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select

from adpilot.settings import Settings
from db.database import Database
from db.inbox import InboxItem, InboxRepository
from db.schema import AdAccount, AgentRun, Campaign
from tests.webhooks.deliveries import (
    GENERIC_KEY_NEW,
    GENERIC_KEY_OLD,
    META_TOKEN,
    SANDBOX_KEY,
    meta_body,
    meta_headers,
    receiver_settings,
    standard_event,
    standard_headers,
    tiktok_headers,
)
from webhooks import create_app


def inbox_rows(database: Database) -> list[tuple[str, str, str]]:
    with database.transaction() as session:
        return [(e.source, e.event_id, e.event_type) for e in InboxRepository(session).unprocessed(10_000)]


def runs(database: Database) -> list[AgentRun]:
    with database.transaction() as session:
        return list(session.scalars(select(AgentRun).order_by(AgentRun.id)))


def post_sandbox(client: TestClient, msg_id: str, event_type: str = "budget_depleted") -> Any:
    body = standard_event(msg_id, event_type)
    return client.post("/webhooks/sandbox", content=body, headers=standard_headers(SANDBOX_KEY, msg_id, body))


def test_sandbox_event_is_stored_and_triggers_one_run(client: TestClient, database: Database) -> None:
    response = post_sandbox(client, "evt_1")
    assert response.status_code == 200
    assert response.json() == {"status": "stored", "stored": 1, "duplicates": 0}
    assert inbox_rows(database) == [("sandbox", "evt_1", "budget_depleted")]
    [run] = runs(database)
    assert (run.kind, run.trigger, run.status) == ("pacing_review", "webhook", "queued")
    assert run.dedupe_key == "sandbox:evt_1"
    assert run.payload["event_type"] == "budget_depleted" and run.payload["campaign_ref"] == "cmp_1"


def test_redelivery_is_acknowledged_but_stored_once(client: TestClient, database: Database) -> None:
    body = standard_event("evt_dup")
    headers = standard_headers(SANDBOX_KEY, "evt_dup", body)
    answers = [client.post("/webhooks/sandbox", content=body, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["status"] for a in answers] == ["stored", "duplicate", "duplicate"]
    assert len(inbox_rows(database)) == 1 and len(runs(database)) == 1


def test_unknown_event_types_are_stored_without_a_run(client: TestClient, database: Database) -> None:
    assert post_sandbox(client, "evt_new", "brand_new_type").status_code == 200
    assert post_sandbox(client, "evt_conv", "conversions").status_code == 200
    assert {r[2] for r in inbox_rows(database)} == {"brand_new_type", "conversions"}
    assert runs(database) == []


def test_refusals_have_the_right_status_and_store_nothing(client: TestClient, database: Database) -> None:
    body = standard_event("evt_x")
    good = standard_headers(SANDBOX_KEY, "evt_x", body)
    flipped = body[:20] + bytes([body[20] ^ 0x01]) + body[21:]
    stale = standard_headers(SANDBOX_KEY, "evt_x", body, timestamp=int(time.time()) - 600)
    cases = {
        "bad signature": (standard_headers(b"wrong", "evt_x", body), body, 401, "bad_signature"),
        "1-bit change": (good, flipped, 401, "bad_signature"),
        "stale timestamp": (stale, body, 401, "stale_timestamp"),
        "missing headers": ({"content-type": "application/json"}, body, 401, "missing_signature"),
    }
    for name, (headers, content, status, reason) in cases.items():
        answer = client.post("/webhooks/sandbox", content=content, headers=headers)
        assert (answer.status_code, answer.json()["error"]) == (status, reason), name
    bad_json = b'{"type": '
    answer = client.post("/webhooks/sandbox", content=bad_json, headers=standard_headers(SANDBOX_KEY, "m", bad_json))
    assert (answer.status_code, answer.json()["error"]) == (400, "malformed_json")
    assert inbox_rows(database) == [] and runs(database) == []


def test_oversized_bodies_get_413(client: TestClient, settings: Settings) -> None:
    big = b'{"type":"x","pad":"' + b"a" * settings.webhook_max_body_bytes + b'"}'
    answer = client.post("/webhooks/sandbox", content=big, headers=standard_headers(SANDBOX_KEY, "big", big))
    assert (answer.status_code, answer.json()["error"]) == (413, "too_large")

    def chunks() -> Iterator[bytes]:
        for _ in range(settings.webhook_max_body_bytes // 1024 + 2):
            yield b"a" * 1024

    streamed = client.post("/webhooks/generic", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_generic_secret_rotation(client: TestClient, database: Database) -> None:
    for n, key in enumerate((GENERIC_KEY_OLD, GENERIC_KEY_NEW)):
        body = standard_event(f"g{n}", "creative_disapproved")
        answer = client.post("/webhooks/generic", content=body, headers=standard_headers(key, f"g{n}", body))
        assert answer.status_code == 200, answer.text
    assert [r.kind for r in runs(database)] == ["creative_strategist", "creative_strategist"]


def test_tiktok_endpoint(client: TestClient, database: Database) -> None:
    body = orjson.dumps({"event": "conversion_anomaly", "event_id": "tt_1", "advertiser_id": "adv_1"})
    assert client.post("/webhooks/tiktok", content=body, headers=tiktok_headers(body)).status_code == 200
    stale = tiktok_headers(body, timestamp=int(time.time()) - 3600)
    assert client.post("/webhooks/tiktok", content=body, headers=stale).status_code == 401
    assert [r.kind for r in runs(database)] == ["reviewer"]


def test_meta_batch_and_handshake(client: TestClient, database: Database) -> None:
    body = meta_body({"field": "with_issues_ad_objects", "value": {"id": "ad_1"}},
                     {"field": "in_process_ad_objects", "value": {"id": "ad_2"}})
    answer = client.post("/webhooks/meta", content=body, headers=meta_headers(body))
    assert answer.json() == {"status": "stored", "stored": 2, "duplicates": 0}
    again = client.post("/webhooks/meta", content=body, headers=meta_headers(body))
    assert again.json() == {"status": "duplicate", "stored": 0, "duplicates": 2}
    assert client.post("/webhooks/meta", content=body, headers=meta_headers(body, secret="x")).status_code == 401
    assert len(inbox_rows(database)) == 2 and [r.kind for r in runs(database)] == ["creative_strategist"]

    ok = client.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": META_TOKEN,
                                              "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    wrong = client.get("/webhooks/meta", params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                                 "hub.challenge": "1"})
    assert wrong.status_code == 403
    assert client.get("/webhooks/meta", params={"hub.mode": "unsubscribe"}).status_code == 400


def test_unconfigured_endpoint_refuses_everything(database: Database, database_url: str) -> None:
    settings = receiver_settings(database_url, webhook_tiktok_secret=None, webhook_meta_verify_token=None)
    with TestClient(create_app(settings, database)) as client:
        body = b'{"event":"x"}'
        assert client.post("/webhooks/tiktok", content=body, headers=tiktok_headers(body)).status_code == 404
        assert client.get("/webhooks/meta", params={"hub.mode": "subscribe"}).status_code == 404


def test_runs_are_linked_to_known_campaigns(client: TestClient, database: Database) -> None:
    with database.transaction() as session:
        account = AdAccount(platform="sandbox", external_id="acct_1", name="A", currency="EUR", time_zone="UTC")
        session.add(account)
        session.flush()
        campaign = Campaign(account_id=account.id, external_id="cmp_1", name="C", objective="conversions",
                            status="active", daily_budget_micros=1_000_000, bid_strategy="manual_cpc",
                            bid_multiplier=1)
        session.add(campaign)
        session.flush()
        account_id, campaign_id = account.id, campaign.id
    assert post_sandbox(client, "evt_known").status_code == 200
    [run] = runs(database)
    assert (run.account_id, run.campaign_id) == (account_id, campaign_id)


def test_ops_endpoints(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    post_sandbox(client, "evt_m")
    metrics = client.get("/metrics").text
    assert 'adpilot_webhook_events_total{result="stored",source="sandbox"} 1.0' in metrics
    schema = client.get("/openapi.json").json()
    assert {"/webhooks/meta", "/webhooks/tiktok", "/webhooks/generic", "/webhooks/sandbox"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


def test_inbox_repository_for_the_daemon(client: TestClient, database: Database) -> None:
    post_sandbox(client, "evt_a")
    with database.transaction() as session:
        repo = InboxRepository(session)
        assert repo.record(InboxItem("sandbox", "evt_b", "creative_fatigue", b'{"k":1}', "sandbox", None, None,
                                     "creative_strategist", "creative_fatigue"))
        assert not repo.record(InboxItem("sandbox", "evt_b", "creative_fatigue", b"{}"))
    with database.transaction() as session:
        repo = InboxRepository(session)
        pending = repo.unprocessed(10)
        assert [e.event_id for e in pending] == ["evt_a", "evt_b"]
        assert repo.mark_processed(pending[0].id)
        assert repo.mark_processed(pending[1].id, error="campaign gone")
        assert not repo.mark_processed(999_999)
    with database.transaction() as session:
        repo = InboxRepository(session)
        assert repo.unprocessed(10) == [] and repo.count() == 2 and repo.count_unprocessed() == 0
        stored = repo.get("sandbox", "evt_b")
        assert stored is not None and stored.error == "campaign gone" and stored.payload == {"k": 1}
    assert sorted(r.dedupe_key or "" for r in runs(database)) == ["sandbox:evt_a", "sandbox:evt_b"]


def test_absurd_signed_timestamps_are_401_not_500(client: TestClient, database: Database) -> None:
    """Issue 11 item 17: a correctly signed ``t=10^400`` (TikTok) or ±10^400 (Standard Webhooks) raised
    OverflowError in the freshness check and answered 500."""
    body = standard_event("evt_huge")
    for ts in (10**400, -(10**400), 10**13):
        answer = client.post("/webhooks/sandbox", content=body, headers=standard_headers(SANDBOX_KEY, "evt_h", body,
                                                                                         timestamp=ts))
        assert answer.status_code == 401, (ts, answer.text)
        tiktok = client.post("/webhooks/tiktok", content=body, headers=tiktok_headers(body, timestamp=ts))
        assert tiktok.status_code == 401, (ts, tiktok.text)
    assert inbox_rows(database) == []
