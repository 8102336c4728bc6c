"""The ASGI webhook receiver: signature schemes (Meta, TikTok, Standard Webhooks, sandbox), normalised events, the
event → trigger mapping, and group-committed storage into the inbox (``db.inbox``).

Entry point: :func:`create_app` (``adpilot webhooks serve`` runs it under uvicorn, see ``webhooks.server``).
"""

from webhooks.app import ReceiverOptions, create_app
from webhooks.errors import MalformedWebhook, PayloadTooLarge, SignatureInvalid, SourceNotConfigured, WebhookRejected
from webhooks.events import InboundEvent, parse_meta, parse_standard, parse_tiktok
from webhooks.pipeline import SOURCES, Pipeline, build_pipeline
from webhooks.signatures import (
    MetaVerifier,
    StandardWebhooksVerifier,
    TikTokVerifier,
    Verified,
    decode_standard_secret,
    sign_meta,
    sign_standard,
    sign_tiktok,
)
from webhooks.triggers import RunKind, Trigger, canonical_type, trigger_for

__all__ = [
    "SOURCES",
    "InboundEvent",
    "MalformedWebhook",
    "MetaVerifier",
    "PayloadTooLarge",
    "Pipeline",
    "ReceiverOptions",
    "RunKind",
    "SignatureInvalid",
    "SourceNotConfigured",
    "StandardWebhooksVerifier",
    "TikTokVerifier",
    "Trigger",
    "Verified",
    "WebhookRejected",
    "build_pipeline",
    "canonical_type",
    "create_app",
    "decode_standard_secret",
    "parse_meta",
    "parse_standard",
    "parse_tiktok",
    "sign_meta",
    "sign_standard",
    "sign_tiktok",
    "trigger_for",
]
