"""OpenAPI descriptions of what senders post (bodies and signature headers).

They document the contract for operators and drive ``schemathesis``; the handlers do not validate against them
(verification must see the raw bytes first), so these schemas are informative, not enforced.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ERROR_RESPONSES", "meta_post_doc", "standard_doc", "tiktok_doc"]

_ERROR = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
                "required": ["error", "detail"],
            }
        }
    }
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"description": "malformed body or handshake", **_ERROR},
    401: {"description": "missing, malformed or wrong signature, or timestamp outside the tolerance", **_ERROR},
    403: {"description": "wrong Meta verify token", **_ERROR},
    404: {"description": "the endpoint's secret is not configured", **_ERROR},
    413: {"description": "body larger than ADPILOT_WEBHOOK_MAX_BODY_BYTES", **_ERROR},
    503: {"description": "the inbox database is unavailable; retry later (nothing was stored)", **_ERROR},
}


def _header(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": description}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_STANDARD_BODY = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "event type, e.g. budget_depleted"},
        "timestamp": {"type": "string"},
        "data": {
            "type": "object",
            "properties": {
                "event_id": {"type": "string"},
                "account_id": {"type": "string"},
                "campaign_id": {"type": "string"},
                "platform": {"type": "string"},
            },
        },
    },
    "required": ["type", "data"],
}


def standard_doc() -> dict[str, Any]:
    return {
        "parameters": [
            _header("webhook-id", "the message id (the idempotency key)"),
            _header("webhook-timestamp", "Unix seconds; refused beyond 5 minutes either way"),
            _header("webhook-signature", "space-separated 'v1,<base64 HMAC-SHA256(id.timestamp.body)>' entries"),
        ],
        "requestBody": _body(_STANDARD_BODY),
    }


def tiktok_doc() -> dict[str, Any]:
    body = {
        "type": "object",
        "properties": {
            "event": {"type": "string"},
            "event_id": {"type": "string"},
            "advertiser_id": {"type": "string"},
            "campaign_id": {"type": "string"},
            "data": {"type": "object"},
        },
        "required": ["event"],
    }
    return {
        "parameters": [_header("TikTok-Signature", "'t=<unix ts>,s=<hex HMAC-SHA256(\"<ts>.<body>\")>'")],
        "requestBody": _body(body),
    }


def meta_post_doc() -> dict[str, Any]:
    change = {
        "type": "object",
        "properties": {"field": {"type": "string"}, "value": {"type": "object"}},
        "required": ["field"],
    }
    entry = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "time": {"type": "integer"},
            "changes": {"type": "array", "items": change},
        },
    }
    body = {
        "type": "object",
        "properties": {"object": {"type": "string"}, "entry": {"type": "array", "items": entry}},
        "required": ["entry"],
    }
    return {
        "parameters": [_header("X-Hub-Signature-256", "'sha256=<hex HMAC-SHA256(body, app secret)>'")],
        "requestBody": _body(body),
    }
