"""Every scheme: valid signatures pass; a wrong secret, a flipped bit, a missing or garbled header and a stale
timestamp are refused with the right reason; several Standard Webhooks secrets are accepted (rotation)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from platforms.base import EventType, PlatformEvent
from platforms.sandbox.events import sign as sandbox_sign
from platforms.sandbox.events import webhook_payload
from webhooks import (
    MetaVerifier,
    SignatureInvalid,
    StandardWebhooksVerifier,
    TikTokVerifier,
    decode_standard_secret,
    sign_meta,
    sign_standard,
    sign_tiktok,
)

NOW = 1_800_000_000
BODY = b'{"type":"budget_depleted","data":{"campaign_id":"cmp_1"}}'


def flip_bit(body: bytes, index: int = 10) -> bytes:
    return body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1 :]


def reason(verifier: object, headers: dict[str, str], body: bytes) -> str:
    with pytest.raises(SignatureInvalid) as info:
        verifier.verify(headers, body)  # type: ignore[attr-defined]
    return info.value.reason


# ---------------------------------------------------------------------------------------------------- Meta
def test_meta_valid_and_invalid() -> None:
    verifier = MetaVerifier(b"app-secret")
    good = {"x-hub-signature-256": sign_meta(b"app-secret", BODY)}
    verifier.verify(good, BODY)
    assert reason(verifier, good, flip_bit(BODY)) == "bad_signature"
    assert reason(verifier, {"x-hub-signature-256": sign_meta(b"other", BODY)}, BODY) == "bad_signature"
    assert reason(verifier, {}, BODY) == "missing_signature"
    assert reason(verifier, {"x-hub-signature-256": "sha1=abcd"}, BODY) == "malformed_signature"
    assert reason(verifier, {"x-hub-signature-256": "sha256=zz"}, BODY) == "malformed_signature"
    truncated = good["x-hub-signature-256"][:-2]
    assert reason(verifier, {"x-hub-signature-256": truncated}, BODY) == "bad_signature"


# ---------------------------------------------------------------------------------------------------- TikTok
def test_tiktok_valid_and_invalid() -> None:
    verifier = TikTokVerifier(b"tt-secret", tolerance_s=300, clock=lambda: NOW)
    good = {"tiktok-signature": sign_tiktok(b"tt-secret", NOW - 10, BODY)}
    verifier.verify(good, BODY)
    assert reason(verifier, good, flip_bit(BODY, 3)) == "bad_signature"
    assert reason(verifier, {"tiktok-signature": sign_tiktok(b"nope", NOW, BODY)}, BODY) == "bad_signature"
    assert reason(verifier, {"tiktok-signature": sign_tiktok(b"tt-secret", NOW - 301, BODY)}, BODY) == "stale_timestamp"
    assert reason(verifier, {"tiktok-signature": sign_tiktok(b"tt-secret", NOW + 301, BODY)}, BODY) == "stale_timestamp"
    assert reason(verifier, {}, BODY) == "missing_signature"
    assert reason(verifier, {"tiktok-signature": "t=1"}, BODY) == "malformed_signature"
    assert reason(verifier, {"tiktok-signature": "t=abc,s=00"}, BODY) == "malformed_signature"


def test_tiktok_timestamp_is_signed() -> None:
    """Moving the timestamp without re-signing must fail: the timestamp is part of the signed message."""
    verifier = TikTokVerifier(b"tt-secret", clock=lambda: NOW)
    sig = sign_tiktok(b"tt-secret", NOW - 1000, BODY).split(",s=")[1]
    assert reason(verifier, {"tiktok-signature": f"t={NOW},s={sig}"}, BODY) == "bad_signature"


# ---------------------------------------------------------------------------------------------------- Standard
KEY_A, KEY_B = b"key-a-0123456789", b"key-b-0123456789"
Mutation = Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]]


def std_headers(key: bytes, msg_id: str = "msg_1", ts: int = NOW, body: bytes = BODY) -> dict[str, str]:
    signature = sign_standard(key, msg_id, ts, body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_standard_valid_and_message_id() -> None:
    verifier = StandardWebhooksVerifier((KEY_A,), clock=lambda: NOW)
    assert verifier.verify(std_headers(KEY_A), BODY).message_id == "msg_1"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda h, b: (h, flip_bit(b)), "bad_signature"),
        (lambda h, b: ({**h, "webhook-id": "msg_2"}, b), "bad_signature"),
        (lambda h, b: ({**h, "webhook-timestamp": str(NOW - 1)}, b), "bad_signature"),
        (lambda h, b: (std_headers(KEY_B), b), "bad_signature"),
        (lambda h, b: (std_headers(KEY_A, ts=NOW - 301), b), "stale_timestamp"),
        (lambda h, b: (std_headers(KEY_A, ts=NOW + 301), b), "stale_timestamp"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b), "missing_signature"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-id"}, b), "missing_signature"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-timestamp"}, b), "missing_signature"),
        (lambda h, b: ({**h, "webhook-timestamp": "soon"}, b), "malformed_signature"),
        (lambda h, b: ({**h, "webhook-signature": "v2,AAAA"}, b), "malformed_signature"),
        (lambda h, b: ({**h, "webhook-signature": "v1,@@not-base64@@"}, b), "malformed_signature"),
    ],
)
def test_standard_refusals(mutate: Mutation, expected: str) -> None:
    verifier = StandardWebhooksVerifier((KEY_A,), clock=lambda: NOW)
    headers, body = mutate(std_headers(KEY_A), BODY)
    assert reason(verifier, headers, body) == expected


def test_standard_rotation_accepts_every_configured_secret() -> None:
    verifier = StandardWebhooksVerifier((KEY_B, KEY_A), clock=lambda: NOW)
    verifier.verify(std_headers(KEY_A), BODY)
    verifier.verify(std_headers(KEY_B), BODY)


def test_standard_accepts_any_of_several_signatures() -> None:
    """A sender mid-rotation signs with old and new secrets; the receiver needs just one to match."""
    verifier = StandardWebhooksVerifier((KEY_B,), clock=lambda: NOW)
    both = f"{std_headers(KEY_A)['webhook-signature']} {std_headers(KEY_B)['webhook-signature']}"
    verifier.verify({**std_headers(KEY_A), "webhook-signature": both}, BODY)
    with_unknown_version = f"v1a,AAAA {std_headers(KEY_B)['webhook-signature']}"
    verifier.verify({**std_headers(KEY_A), "webhook-signature": with_unknown_version}, BODY)


def test_whsec_secrets_are_base64_decoded_per_the_spec() -> None:
    key = b"\x00\x01binary-key\xff"
    assert decode_standard_secret("whsec_" + base64.b64encode(key).decode()) == key
    assert decode_standard_secret("plain-text") == b"plain-text"


def test_spec_reference_vector() -> None:
    """The example of the Standard Webhooks spec / svix libraries."""
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    msg_id, ts, body = "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    verifier = StandardWebhooksVerifier((decode_standard_secret(secret),), clock=lambda: ts)
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }
    assert verifier.verify(headers, body).message_id == msg_id


def test_sandbox_platform_signatures_verify() -> None:
    """What ``platforms.sandbox.events.WebhookSender`` sends is accepted as is."""
    secret = "whsec_" + base64.b64encode(b"sandbox-secret-bytes").decode()
    event = PlatformEvent(
        id="evt_acct_000000001", type=EventType.BUDGET_DEPLETED, occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        account_id="acct", campaign_id="cmp_1", data={"daily_budget_micros": 1},
    )
    body = webhook_payload(event)
    headers = {"webhook-id": event.id, "webhook-timestamp": str(NOW),
               "webhook-signature": sandbox_sign(secret, event.id, NOW, body)}
    verifier = StandardWebhooksVerifier((decode_standard_secret(secret),), clock=lambda: NOW)
    assert verifier.verify(headers, body).message_id == event.id
