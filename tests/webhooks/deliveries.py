"""Deliveries signed the way each platform signs them, and receiver settings with known secrets."""

from __future__ import annotations

import base64
import time
from typing import Any

import orjson

from adpilot.settings import Settings
from webhooks import sign_meta, sign_standard, sign_tiktok

META_SECRET = "meta-app-secret"
META_TOKEN = "meta-verify-token"
TIKTOK_SECRET = "tiktok-secret"
GENERIC_KEY_OLD = b"old-generic-key-0123456789abcdef"
GENERIC_KEY_NEW = b"new-generic-key-0123456789abcdef"
GENERIC_SECRETS = ["whsec_" + base64.b64encode(key).decode() for key in (GENERIC_KEY_NEW, GENERIC_KEY_OLD)]
SANDBOX_SECRET = "whsec_" + base64.b64encode(b"sandbox-key-0123456789abcdef0123").decode()
SANDBOX_KEY = base64.b64decode(SANDBOX_SECRET.removeprefix("whsec_"))


def receiver_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "webhook_meta_app_secret": META_SECRET,
        "webhook_meta_verify_token": META_TOKEN,
        "webhook_tiktok_secret": TIKTOK_SECRET,
        "webhook_generic_secrets": GENERIC_SECRETS,
        "webhook_sandbox_secret": SANDBOX_SECRET,
        "webhook_max_body_bytes": 64 * 1024,
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)



def standard_event(
    msg_id: str, event_type: str = "budget_depleted", *, campaign: str | None = "cmp_1", account: str = "acct_1"
) -> bytes:
    data = {"event_id": msg_id, "account_id": account, "campaign_id": campaign, "daily_budget_micros": 5_000_000}
    return orjson.dumps({"type": event_type, "timestamp": "2026-01-01T00:00:00+00:00", "data": data})


def standard_headers(key: bytes, msg_id: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign_standard(key, msg_id, ts, body),
    }


def tiktok_headers(body: bytes, *, secret: str = TIKTOK_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = int(time.time()) if timestamp is None else timestamp
    return {"content-type": "application/json", "tiktok-signature": sign_tiktok(secret.encode(), ts, body)}


def meta_headers(body: bytes, *, secret: str = META_SECRET) -> dict[str, str]:
    return {"content-type": "application/json", "x-hub-signature-256": sign_meta(secret.encode(), body)}


def meta_body(*changes: dict[str, Any], entry_id: str = "act_1", when: int = 1_700_000_000) -> bytes:
    return orjson.dumps({"object": "ad_account", "entry": [{"id": entry_id, "time": when, "changes": list(changes)}]})
