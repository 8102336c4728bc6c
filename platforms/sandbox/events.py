"""Platform events: an append-only log for polling and signed webhook delivery (Standard Webhooks scheme).

Why both: polling is the reliable path (a cursor over an ordered log never loses an event); webhooks are the fast path
that wakes the daemon. A receiver must verify, deduplicate by ``webhook-id`` and re-read state, never trust order.

Signing follows https://www.standardwebhooks.com: headers ``webhook-id``, ``webhook-timestamp`` (Unix seconds, wall
clock — it exists for replay protection) and ``webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>``.
The secret may be given as ``whsec_<base64 key>`` (the scheme's format) or as plain text (used as UTF-8 bytes).
Payload: ``{"type": ..., "timestamp": <simulated ISO time>, "data": {..., "event_id", "account_id", "campaign_id"}}``.
Failed deliveries stay in an outbox and are retried on the next flush, up to ``max_attempts``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from platforms.base import EventType, JsonValue, PlatformEvent

__all__ = ["EventLog", "WebhookConfig", "WebhookSender", "sign", "webhook_payload"]


class EventLog:
    """Ordered events of one account. Ids sort in emission order, so ``after_id`` is a cursor."""

    def __init__(self, account_id: str, events: list[dict[str, Any]] | None = None, next_seq: int = 1) -> None:
        self.account_id = account_id
        self._events: list[dict[str, Any]] = list(events or [])
        self.next_seq = next_seq

    def emit(
        self, type_: EventType, occurred_at: datetime, campaign_id: str | None, data: dict[str, JsonValue]
    ) -> PlatformEvent:
        record = {
            "id": f"evt_{self.account_id}_{self.next_seq:09d}",
            "type": type_.value,
            "occurred_at": occurred_at.isoformat(),
            "campaign_id": campaign_id,
            "data": data,
        }
        self.next_seq += 1
        self._events.append(record)
        return self._to_event(record)

    def _to_event(self, record: dict[str, Any]) -> PlatformEvent:
        return PlatformEvent(
            id=record["id"],
            type=EventType(record["type"]),
            occurred_at=datetime.fromisoformat(record["occurred_at"]),
            account_id=self.account_id,
            campaign_id=record["campaign_id"],
            data=record["data"],
        )

    def after(self, after_id: str | None, limit: int) -> list[PlatformEvent]:
        records = self._events if after_id is None else [r for r in self._events if r["id"] > after_id]
        return [self._to_event(r) for r in records[:limit]]

    def to_json(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "events": self._events, "next_seq": self.next_seq}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventLog:
        return cls(data["account_id"], data["events"], data["next_seq"])


def _key_bytes(secret: str) -> bytes:
    if secret.startswith("whsec_"):
        return base64.b64decode(secret.removeprefix("whsec_"))
    return secret.encode("utf-8")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 signature>`` of ``"{msg_id}.{timestamp}.{body}"``."""
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key_bytes(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_payload(event: PlatformEvent) -> bytes:
    data = {**event.data, "event_id": event.id, "account_id": event.account_id, "campaign_id": event.campaign_id}
    body = {"type": event.type.value, "timestamp": event.occurred_at.isoformat(), "data": data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8")


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret: str
    timeout_s: float = 2.0
    max_attempts: int = 5


@dataclass
class DeliveryReport:
    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


class WebhookSender:
    """POSTs events to one URL. ``client`` is injectable (tests pass an ``httpx.MockTransport``)."""

    def __init__(
        self,
        config: WebhookConfig,
        client: httpx.Client | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._client = client or httpx.Client(timeout=config.timeout_s)
        self._wall_clock = wall_clock
        self._outbox: list[tuple[PlatformEvent, int]] = []

    def enqueue(self, events: list[PlatformEvent]) -> None:
        self._outbox.extend((e, 0) for e in events)

    def flush(self) -> DeliveryReport:
        report = DeliveryReport()
        retry: list[tuple[PlatformEvent, int]] = []
        for event, attempts in self._outbox:
            if self._post(event):
                report.delivered.append(event.id)
            elif attempts + 1 >= self.config.max_attempts:
                report.dropped.append(event.id)
            else:
                report.failed.append(event.id)
                retry.append((event, attempts + 1))
        self._outbox = retry
        return report

    def _post(self, event: PlatformEvent) -> bool:
        body = webhook_payload(event)
        timestamp = int(self._wall_clock())
        headers = {
            "content-type": "application/json",
            "webhook-id": event.id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.config.secret, event.id, timestamp, body),
        }
        try:
            response = self._client.post(self.config.url, content=body, headers=headers)
        except httpx.HTTPError:
            return False
        return response.is_success

    def close(self) -> None:
        self._client.close()
