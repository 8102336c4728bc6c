from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import httpx

from platforms.base import EventType
from platforms.sandbox import SandboxPlatform, WebhookConfig, WebhookSender
from tests.sandbox.conftest import small_config


def test_snapshot_is_json_and_restores_the_same_future() -> None:
    original = SandboxPlatform(small_config())
    original.advance(30)
    original.set_daily_budget("cmp_1", 9_000_000, idempotency_key="s1")
    original.create_creative("cmp_2", "Weekly Plans for Runners", "Join today, it is easy.", idempotency_key="s2")
    data = json.loads(json.dumps(original.snapshot()))
    restored = SandboxPlatform.restore(data)
    assert restored.set_daily_budget("cmp_1", 9_000_000, idempotency_key="s1").after == 9_000_000
    original.advance(30)
    restored.advance(30)
    window = (original.now() - timedelta(days=3), original.now())
    assert original.hourly_stats("acc_demo", *window) == restored.hourly_stats("acc_demo", *window)
    assert original.poll_events("acc_demo", limit=10**6) == restored.poll_events("acc_demo", limit=10**6)


def test_events_are_polled_with_a_cursor() -> None:
    platform = SandboxPlatform(small_config(traffic_scale=1.0))
    platform.set_bid_multiplier("cmp_2", 6.0, idempotency_key="more-volume")
    platform.set_daily_budget("cmp_2", 500_000_000, idempotency_key="more-budget")
    platform.advance(49)
    first = platform.poll_events("acc_demo", limit=3)
    rest = platform.poll_events("acc_demo", after_id=first[-1].id, limit=10**6)
    assert len(first) == 3 and rest and rest[0].id > first[-1].id
    assert {EventType.DAILY_SUMMARY, EventType.CONVERSIONS} <= {e.type for e in first + rest}


def test_webhooks_are_signed_with_the_standard_webhooks_scheme() -> None:
    received: list[httpx.Request] = []
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return httpx.Response(503)
        received.append(request)
        return httpx.Response(204)

    secret_key = b"0123456789abcdef0123456789abcdef"
    secret = "whsec_" + base64.b64encode(secret_key).decode()
    client = httpx.Client(transport=httpx.MockTransport(handler))
    config = WebhookConfig(url="http://receiver.test/hooks", secret=secret)
    sender = WebhookSender(config, client=client, wall_clock=lambda: 1_700_000_000)
    platform = SandboxPlatform(small_config(), webhooks=sender)
    platform.advance(48)
    platform.advance(1)
    assert received
    ids = [r.headers["webhook-id"] for r in received]
    assert len(ids) == len(set(ids)) == len(platform.poll_events("acc_demo", limit=10**6))
    for request in received:
        msg_id, ts = request.headers["webhook-id"], request.headers["webhook-timestamp"]
        expected = hmac.new(secret_key, f"{msg_id}.{ts}.".encode() + request.content, hashlib.sha256).digest()
        assert request.headers["webhook-signature"] == "v1," + base64.b64encode(expected).decode()
        body = json.loads(request.content)
        assert body["data"]["event_id"] == msg_id and body["type"] in {t.value for t in EventType}
