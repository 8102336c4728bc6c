"""Why a webhook was refused. Each error maps to one HTTP status and a short machine ``reason`` that the receiver
counts in ``/metrics`` and the benchmark reports.

    WebhookRejected            base (an ``AdpilotError``): ``status`` + ``reason``
    ├── BodyTimeout            408: the body did not arrive within ``webhook_body_timeout_s``
    ├── SignatureInvalid       401: missing/garbled signature headers, wrong signature, timestamp out of tolerance
    ├── MalformedWebhook       400: the signature is good but the body is not an event we can store
    ├── PayloadTooLarge        413: the body exceeds ``webhook_max_body_bytes``
    └── SourceNotConfigured    404: the endpoint's secret is not configured, so nothing can be verified

The sender is a machine; the remedy is written for the operator who reads the receiver's logs.
"""

from __future__ import annotations

from adpilot.errors import AdpilotError

__all__ = ["MalformedWebhook", "PayloadTooLarge", "SignatureInvalid", "SourceNotConfigured", "WebhookRejected"]


class WebhookRejected(AdpilotError):
    """A refused delivery. ``reason`` is a stable snake_case label (metrics, benchmark); ``status`` the HTTP code."""

    status = 400
    default_remedy = "check the sender's configuration"

    def __init__(self, reason: str, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message, remedy=remedy)
        self.reason = reason


class SignatureInvalid(WebhookRejected):
    status = 401
    default_remedy = (
        "make the sender and the receiver share the same secret (ADPILOT_WEBHOOK_* settings) and keep both clocks "
        "in sync (NTP); the receiver verifies the raw body, so a proxy must not re-encode it"
    )


class MalformedWebhook(WebhookRejected):
    status = 400
    default_remedy = "the sender's payload format changed or is not supported; see webhooks/events.py for the formats"


class PayloadTooLarge(WebhookRejected):
    status = 413
    default_remedy = "raise ADPILOT_WEBHOOK_MAX_BODY_BYTES if such large deliveries are legitimate"


class BodyTimeout(WebhookRejected):
    """The client did not send its whole body in time (a slow or stalled sender holding a connection)."""

    status = 408


class SourceNotConfigured(WebhookRejected):
    status = 404
    default_remedy = "set the endpoint's secret (ADPILOT_WEBHOOK_META_APP_SECRET, …) and restart the receiver"
