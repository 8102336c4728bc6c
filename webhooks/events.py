"""Each source's payload → normalised :class:`InboundEvent` rows for the inbox.

Rules:
- Parsing happens only after the signature was verified. Payload text is data from an ad platform, never an
  instruction: nothing here interprets it beyond picking out ids and a type label.
- Every event has a stable ``event_id`` so a redelivery lands on the same ``(source, event_id)`` inbox key:
  Standard Webhooks (generic, sandbox) use ``webhook-id`` (the spec's idempotency key); TikTok uses the payload's own
  id when there is one; Meta sends no ids and batches several changes per POST, so each change gets
  ``sha256(canonical JSON of object + entry id + time + change)``, identical on every redelivery of that change.
- What is stored is the payload re-serialised by orjson: it is then guaranteed valid for Postgres ``jsonb`` (no lone
  surrogates, no NUL characters, no non-finite numbers), so one bad event can never fail a whole group commit.

Formats:
- generic / sandbox: ``{"type": str, "timestamp": str, "data": {"event_id"?, "account_id"?, "campaign_id"?,
  "platform"?, …}}`` (see ``platforms.sandbox.events.webhook_payload``).
- TikTok: ``{"event" | "type": str, "event_id" | "id"?, "advertiser_id"?, "campaign_id"?, "data" | "content"?: {…}}``.
- Meta: ``{"object": str, "entry": [{"id": str, "time": int, "changes": [{"field": str, "value": {…}}]}]}``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import orjson

from webhooks.errors import MalformedWebhook
from webhooks.signatures import Verified

__all__ = ["MAX_EVENT_ID", "InboundEvent", "parse_meta", "parse_standard", "parse_tiktok"]

MAX_EVENT_ID = 256
MAX_EVENT_TYPE = 128
MAX_META_CHANGES = 1000
_REF_MAX = 128
_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


@dataclass(frozen=True, slots=True)
class InboundEvent:
    """One event as the inbox stores it. ``*_ref`` are the platform's external ids, resolved to store ids in SQL."""

    source: str
    event_id: str
    event_type: str
    payload: bytes
    platform: str | None = None
    account_ref: str | None = None
    campaign_ref: str | None = None

    @property
    def dedupe_key(self) -> str:
        """The work queue's key for the run this event triggers: one run per event however often it arrives."""
        return f"{self.source}:{self.event_id}"


def _load_object(body: bytes) -> dict[str, Any]:
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedWebhook("malformed_json", f"body is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise MalformedWebhook("malformed_json", "body must be a JSON object")
    return value


def _dump(value: Any) -> bytes:
    """Canonical (sorted keys) JSON that Postgres ``jsonb`` accepts."""
    try:
        out = orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise MalformedWebhook("malformed_json", f"payload cannot be stored: {exc}") from None
    if b"\\u0000" in out and _NUL.search(out):
        raise MalformedWebhook("malformed_json", "payload contains NUL characters, which Postgres jsonb cannot store")
    return out


def _text(value: Any, limit: int = _REF_MAX) -> str | None:
    """An id-like scalar as text, or None: refs are looked up, never trusted for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int):
        text = str(value)
        return text if 0 < len(text) <= limit and "\x00" not in text else None
    return None


def _event_type(value: Any) -> str:
    if not isinstance(value, str) or not value or "\x00" in value:
        raise MalformedWebhook("missing_type", "event has no string 'type' (without NUL)")
    return value[:MAX_EVENT_TYPE]


def _event_id(value: str) -> str:
    if not value or len(value) > MAX_EVENT_ID or "\x00" in value:
        raise MalformedWebhook("bad_event_id", f"event id must be 1..{MAX_EVENT_ID} characters, without NUL")
    return value


def parse_standard(source: str, verified: Verified, body: bytes, *, platform: str | None = None) -> InboundEvent:
    """A Standard Webhooks delivery (one event). ``platform`` fixes the platform (sandbox); generic senders may name
    theirs in ``data.platform``."""
    doc = _load_object(body)
    data = doc.get("data")
    data = data if isinstance(data, dict) else {}
    return InboundEvent(
        source=source,
        event_id=_event_id(verified.message_id or ""),
        event_type=_event_type(doc.get("type")),
        payload=_dump(doc),
        platform=platform or _text(data.get("platform"), 32),
        account_ref=_text(data.get("account_id")),
        campaign_ref=_text(data.get("campaign_id")),
    )


def parse_tiktok(body: bytes) -> InboundEvent:
    doc = _load_object(body)
    inner = doc.get("data") if isinstance(doc.get("data"), dict) else doc.get("content")
    inner = inner if isinstance(inner, dict) else {}
    payload = _dump(doc)
    given = _text(doc.get("event_id") or doc.get("id") or inner.get("event_id"), MAX_EVENT_ID)
    return InboundEvent(
        source="tiktok",
        event_id=given or "sha256:" + hashlib.sha256(payload).hexdigest(),
        event_type=_event_type(doc.get("event") or doc.get("type")),
        payload=payload,
        platform="tiktok",
        account_ref=_text(doc.get("advertiser_id") or inner.get("advertiser_id")),
        campaign_ref=_text(doc.get("campaign_id") or inner.get("campaign_id")),
    )


def parse_meta(body: bytes) -> list[InboundEvent]:
    """Every change of every entry, each with a derived id. An empty batch is valid (Meta sends test pings)."""
    doc = _load_object(body)
    entries = doc.get("entry")
    if not isinstance(entries, list):
        raise MalformedWebhook("malformed_meta", "Meta payload must have an 'entry' list")
    obj = doc.get("object") if isinstance(doc.get("object"), str) else None
    events: list[InboundEvent] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes", []), list):
            raise MalformedWebhook("malformed_meta", "each Meta entry must be an object with a 'changes' list")
        for change in entry.get("changes", []):
            events.append(_meta_change(obj, entry, change))
            if len(events) > MAX_META_CHANGES:
                raise MalformedWebhook("malformed_meta", f"more than {MAX_META_CHANGES} changes in one delivery")
    return events


def _meta_change(obj: str | None, entry: dict[str, Any], change: Any) -> InboundEvent:
    if not isinstance(change, dict):
        raise MalformedWebhook("malformed_meta", "each Meta change must be an object")
    raw_value = change.get("value")
    value: dict[str, Any] = raw_value if isinstance(raw_value, dict) else {}
    record = {"object": obj, "entry_id": entry.get("id"), "time": entry.get("time"), **change}
    payload = _dump(record)
    entry_id = _text(entry.get("id"))
    return InboundEvent(
        source="meta",
        event_id="sha256:" + hashlib.sha256(payload).hexdigest(),
        event_type=_event_type(change.get("field")),
        payload=payload,
        platform="meta",
        account_ref=_text(value.get("account_id")) or (entry_id if obj == "ad_account" else None),
        campaign_ref=_text(value.get("campaign_id")),
    )
