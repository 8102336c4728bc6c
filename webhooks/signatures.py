"""Signature schemes, verified on the raw request bytes before anything parses them.

Rules every verifier keeps:
- the MAC is computed over the exact bytes received (a proxy that re-encodes JSON breaks verification, by design);
- comparison is constant-time (``hmac.compare_digest``), and every candidate secret is tried, so timing says
  nothing about which secret or how many bytes matched;
- schemes with a timestamp refuse messages outside the tolerance in *both* directions (replay protection, and a
  sender clock far in the future is as suspicious as one in the past).

Schemes:
- **Meta** (``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body, app secret)>``). No timestamp: Meta does not sign
  one, so replays are caught by the inbox's dedupe key instead.
- **TikTok** (``TikTok-Signature: t=<unix ts>,s=<hex HMAC-SHA256("<ts>.<body>", secret)>``).
- **Standard Webhooks** (https://www.standardwebhooks.com; ``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature: v1,<base64> [v1,<base64> …]`` over ``"<id>.<timestamp>.<body>"``). Secrets ``whsec_<base64>``
  are base64-decoded per the spec; any other string is used as UTF-8 bytes (as ``platforms.sandbox.events`` does).
  Several secrets are accepted at once so a secret can be rotated without dropping deliveries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from webhooks.errors import SignatureInvalid

__all__ = [
    "DEFAULT_TOLERANCE_S",
    "MetaVerifier",
    "StandardWebhooksVerifier",
    "TikTokVerifier",
    "Verified",
    "Verifier",
    "decode_standard_secret",
    "sign_meta",
    "sign_standard",
    "sign_tiktok",
]

DEFAULT_TOLERANCE_S = 300
Clock = Callable[[], float]
Headers = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Verified:
    """What a good signature vouches for besides the body: the sender's message id, when the scheme has one."""

    message_id: str | None = None


class Verifier(Protocol):
    """``headers`` must look names up case-insensitively (Starlette's ``Headers`` does; tests pass lower case)."""

    def verify(self, headers: Headers, body: bytes) -> Verified: ...


def _header(headers: Headers, name: str) -> str:
    value = headers.get(name)
    if value is None or not value.strip():
        raise SignatureInvalid("missing_signature", f"required header {name!r} is missing")
    return value.strip()


def _raw(value: str) -> bytes:
    """Header text back to the bytes on the wire: ASGI servers decode headers as latin-1."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _mac(key: bytes, *parts: bytes) -> bytes:
    mac = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        mac.update(part)
    return mac.digest()


_MAX_TIMESTAMP_DIGITS = 12  # Unix seconds until the year 33658; a longer number is an attack, not a clock


def _parse_timestamp(raw: str) -> int:
    """Unix seconds. Bounded before any arithmetic: ``t=10^400`` made ``now - t`` overflow a float (a 500, issue 11)."""
    text = raw.strip()
    digits = text.removeprefix("-")
    if not digits.isdigit() or not digits.isascii() or len(digits) > _MAX_TIMESTAMP_DIGITS:
        raise SignatureInvalid("malformed_signature", "signature timestamp is not a plausible Unix time")
    return int(text)


def _check_fresh(timestamp: int, now: float, tolerance_s: int) -> None:
    distance = abs(int(now) - timestamp)  # integers only: no float overflow whatever the timestamp
    if distance > tolerance_s:
        raise SignatureInvalid(
            "stale_timestamp", f"signature timestamp is {distance} s away from now (tolerance {tolerance_s} s)"
        )


def _any_match(expected: Sequence[bytes], provided: Sequence[bytes]) -> bool:
    """Constant-time per comparison, and no early exit across candidates."""
    matched = False
    for want in expected:
        for got in provided:
            matched |= hmac.compare_digest(want, got)
    return matched


# ---------------------------------------------------------------------------------------------------- Meta
@dataclass(frozen=True)
class MetaVerifier:
    app_secret: bytes
    header: str = "x-hub-signature-256"

    def verify(self, headers: Headers, body: bytes) -> Verified:
        raw = _header(headers, self.header)
        scheme, _, hex_sig = raw.partition("=")
        if scheme.lower() != "sha256" or not hex_sig:
            raise SignatureInvalid("malformed_signature", f"{self.header} must be 'sha256=<hex>'")
        try:
            provided = bytes.fromhex(hex_sig)
        except ValueError:
            raise SignatureInvalid("malformed_signature", f"{self.header} is not hex") from None
        if not hmac.compare_digest(_mac(self.app_secret, body), provided):
            raise SignatureInvalid("bad_signature", "X-Hub-Signature-256 does not match the body")
        return Verified()


def sign_meta(app_secret: bytes, body: bytes) -> str:
    """The header value Meta would send; used by tests and the load generator."""
    return "sha256=" + _mac(app_secret, body).hex()


# ---------------------------------------------------------------------------------------------------- TikTok
@dataclass(frozen=True)
class TikTokVerifier:
    secret: bytes
    tolerance_s: int = DEFAULT_TOLERANCE_S
    clock: Clock = time.time
    header: str = "tiktok-signature"

    def verify(self, headers: Headers, body: bytes) -> Verified:
        fields = dict(part.strip().partition("=")[::2] for part in _header(headers, self.header).split(","))
        raw_ts, hex_sig = fields.get("t", ""), fields.get("s", "")
        if not raw_ts or not hex_sig:
            raise SignatureInvalid("malformed_signature", "TikTok-Signature must be 't=<ts>,s=<hex>'")
        timestamp = _parse_timestamp(raw_ts)
        try:
            provided = bytes.fromhex(hex_sig)
        except ValueError:
            raise SignatureInvalid("malformed_signature", "TikTok-Signature s= is not hex") from None
        if not hmac.compare_digest(_mac(self.secret, _raw(raw_ts), b".", body), provided):
            raise SignatureInvalid("bad_signature", "TikTok-Signature does not match the body")
        _check_fresh(timestamp, self.clock(), self.tolerance_s)
        return Verified()


def sign_tiktok(secret: bytes, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},s=" + _mac(secret, str(timestamp).encode(), b".", body).hex()


# ---------------------------------------------------------------------------------------------------- Standard
def decode_standard_secret(secret: str) -> bytes:
    """``whsec_<base64>`` → key bytes (the spec's format); anything else is used as its UTF-8 bytes."""
    if secret.startswith("whsec_"):
        try:
            return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
        except binascii.Error as exc:
            from adpilot.errors import ConfigError

            raise ConfigError(
                "a Standard Webhooks secret starts with whsec_ but the rest is not base64",
                remedy="copy the secret exactly as the sender shows it",
            ) from exc
    return secret.encode("utf-8")


@dataclass(frozen=True)
class StandardWebhooksVerifier:
    """Keys are already decoded (see :func:`decode_standard_secret`); all are tried, for rotation."""

    keys: tuple[bytes, ...]
    tolerance_s: int = DEFAULT_TOLERANCE_S
    clock: Clock = time.time
    _max_signatures: int = field(default=16, repr=False)

    def verify(self, headers: Headers, body: bytes) -> Verified:
        msg_id = _header(headers, "webhook-id")
        raw_ts = _header(headers, "webhook-timestamp")
        provided = self._signatures(_header(headers, "webhook-signature"))
        timestamp = _parse_timestamp(raw_ts)
        to_sign = (_raw(msg_id), b".", _raw(raw_ts), b".", body)
        if not _any_match([_mac(key, *to_sign) for key in self.keys], provided):
            raise SignatureInvalid("bad_signature", "no webhook-signature matches the body with any configured secret")
        _check_fresh(timestamp, self.clock(), self.tolerance_s)
        return Verified(message_id=msg_id)

    def _signatures(self, raw: str) -> list[bytes]:
        """``v1,<b64>`` entries; other versions (``v1a`` is asymmetric) are ignored, as the spec says."""
        out: list[bytes] = []
        for entry in raw.split()[: self._max_signatures]:
            version, _, b64 = entry.partition(",")
            if version != "v1":
                continue
            try:
                out.append(base64.b64decode(b64, validate=True))
            except binascii.Error:
                continue
        if not out:
            raise SignatureInvalid("malformed_signature", "webhook-signature holds no 'v1,<base64>' entry")
        return out


def sign_standard(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64>`` for already-decoded key bytes."""
    return "v1," + base64.b64encode(_mac(key, msg_id.encode(), b".", str(timestamp).encode(), b".", body)).decode()
