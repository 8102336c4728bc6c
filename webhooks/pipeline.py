"""From a verified request to inbox items: the per-source wiring of verifier → parser → trigger.

Kept apart from the ASGI app so the same steps run in tests without HTTP, and so the app stays a thin adapter.
Secrets are read from :class:`~adpilot.settings.Settings` once, when the pipeline is built; an endpoint whose secret is
not configured refuses everything (404) rather than accept unverified events.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from adpilot.settings import Settings
from db.inbox import InboxItem
from webhooks.errors import MalformedWebhook, SignatureInvalid, SourceNotConfigured
from webhooks.events import InboundEvent, parse_meta, parse_standard, parse_tiktok
from webhooks.signatures import (
    MetaVerifier,
    StandardWebhooksVerifier,
    TikTokVerifier,
    Verifier,
    decode_standard_secret,
)
from webhooks.triggers import trigger_for

__all__ = ["DEDICATED_PLATFORMS", "SOURCES", "Pipeline", "build_pipeline", "to_item"]

SOURCES = ("meta", "tiktok", "generic", "sandbox")


def to_item(event: InboundEvent) -> InboxItem:
    trigger = trigger_for(event)
    return InboxItem(
        source=event.source,
        event_id=event.event_id,
        event_type=event.event_type,
        payload=event.payload,
        platform=event.platform,
        account_ref=event.account_ref,
        campaign_ref=event.campaign_ref,
        run_kind=trigger.kind.value if trigger else None,
        run_reason=trigger.reason if trigger else None,
    )


# Platforms with a signed endpoint of their own: only that endpoint may address their objects.
DEDICATED_PLATFORMS = frozenset({"meta", "tiktok", "sandbox"})


@dataclass(frozen=True)
class Pipeline:
    verifiers: Mapping[str, Verifier]
    meta_verify_token: bytes | None
    generic_platforms: frozenset[str] = frozenset()

    def configured(self) -> set[str]:
        return set(self.verifiers)

    def items(self, source: str, headers: Mapping[str, str], body: bytes) -> list[InboxItem]:
        """Verify, parse and map one delivery; raises a :class:`~webhooks.errors.WebhookRejected`."""
        verifier = self.verifiers.get(source)
        if verifier is None:
            raise SourceNotConfigured("not_configured", f"no secret configured for the {source!r} endpoint")
        verified = verifier.verify(headers, body)
        if source == "meta":
            events = parse_meta(body)
        elif source == "tiktok":
            events = [parse_tiktok(body)]
        else:
            events = [parse_standard(source, verified, body, platform="sandbox" if source == "sandbox" else None)]
        if source == "generic":
            events = [self._scoped_generic(event) for event in events]
        return [to_item(event) for event in events]

    def _scoped_generic(self, event: InboundEvent) -> InboundEvent:
        """A source may address only its own platform's objects (issue 11: a generic event naming
        ``data.platform: "sandbox"`` queued work on a sandbox campaign). The generic endpoint may name only the
        platforms in ``ADPILOT_WEBHOOK_GENERIC_PLATFORMS``, never one that has its own endpoint; otherwise the event
        is stored without a platform, so it resolves to no account or campaign."""
        allowed = event.platform in self.generic_platforms and event.platform not in DEDICATED_PLATFORMS
        return event if allowed else replace(event, platform=None, account_ref=None, campaign_ref=None)

    def check_meta_handshake(self, mode: str | None, token: str | None, challenge: str | None) -> None:
        if self.meta_verify_token is None:
            raise SourceNotConfigured("not_configured", "ADPILOT_WEBHOOK_META_VERIFY_TOKEN is not set")
        if mode != "subscribe" or token is None or challenge is None:
            raise MalformedWebhook("bad_handshake", "expected hub.mode=subscribe, hub.verify_token and hub.challenge")
        if not hmac.compare_digest(token.encode("utf-8"), self.meta_verify_token):
            raise _WrongVerifyToken("bad_verify_token", "hub.verify_token does not match")


class _WrongVerifyToken(SignatureInvalid):
    status = 403


def build_pipeline(settings: Settings, *, tolerance_s: int = 300, clock: Callable[[], float] = time.time) -> Pipeline:
    verifiers: dict[str, Verifier] = {}
    if settings.webhook_meta_app_secret is not None:
        verifiers["meta"] = MetaVerifier(settings.webhook_meta_app_secret.get_secret_value().encode("utf-8"))
    if settings.webhook_tiktok_secret is not None:
        secret = settings.webhook_tiktok_secret.get_secret_value().encode("utf-8")
        verifiers["tiktok"] = TikTokVerifier(secret, tolerance_s=tolerance_s, clock=clock)
    generic = tuple(decode_standard_secret(s.get_secret_value()) for s in settings.webhook_generic_secrets)
    if generic:
        verifiers["generic"] = StandardWebhooksVerifier(generic, tolerance_s=tolerance_s, clock=clock)
    if settings.webhook_sandbox_secret is not None:
        key = decode_standard_secret(settings.webhook_sandbox_secret.get_secret_value())
        verifiers["sandbox"] = StandardWebhooksVerifier((key,), tolerance_s=tolerance_s, clock=clock)
    token = settings.webhook_meta_verify_token
    return Pipeline(
        verifiers=verifiers,
        meta_verify_token=token.get_secret_value().encode("utf-8") if token else None,
        generic_platforms=frozenset(settings.webhook_generic_platforms),
    )
