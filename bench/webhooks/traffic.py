"""The benchmark's deliveries, built (and signed) before the clock starts so the load generator only writes bytes.

A seeded mix per EVALUATION.md §3: unique valid events over the four endpoints, plus a share of exact redeliveries
(duplicates), bodies signed with a wrong secret, and valid signatures with stale timestamps. Each delivery carries
what the receiver should do with it, so the run can check the inbox against the truth afterwards.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from typing import Literal

import orjson

from webhooks.events import InboundEvent, parse_meta
from webhooks.signatures import sign_meta, sign_standard, sign_tiktok
from webhooks.triggers import trigger_for

__all__ = ["BenchSecrets", "Delivery", "Mix", "build_deliveries"]

Kind = Literal["valid", "duplicate", "bad_signature", "stale_timestamp"]
_TYPES = ("budget_depleted", "creative_disapproved", "conversions", "daily_summary", "creative_fatigue", "new_thing")


def _triggers(event_type: str) -> bool:
    return trigger_for(InboundEvent("bench", "bench", event_type, b"{}")) is not None


@dataclass(frozen=True)
class BenchSecrets:
    meta: str
    tiktok: str
    generic: str
    sandbox: str

    @classmethod
    def random(cls, rng: random.Random) -> BenchSecrets:
        def token() -> str:
            return hashlib.sha256(rng.randbytes(32)).hexdigest()

        return cls(meta=token(), tiktok=token(), generic=token(), sandbox=token())


@dataclass(frozen=True)
class Mix:
    duplicates: float = 0.10
    bad_signatures: float = 0.03
    stale: float = 0.02


@dataclass(frozen=True)
class Delivery:
    kind: Kind
    source: str
    raw: bytes  # the whole HTTP/1.1 request
    keys: tuple[tuple[str, str], ...] = ()  # inbox keys a valid delivery stores
    runs: int = 0  # runs it enqueues (first delivery only)


@dataclass
class _Builder:
    rng: random.Random
    secrets: BenchSecrets
    host: str
    now: int
    serial: int = field(default=0)

    def request(self, path: str, headers: dict[str, str], body: bytes) -> bytes:
        lines = [f"POST {path} HTTP/1.1", f"host: {self.host}", "content-type: application/json",
                 f"content-length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def standard(self, source: str, ts: int, secret: str) -> tuple[bytes, tuple[tuple[str, str], ...], int]:
        self.serial += 1
        msg_id = f"msg_{self.serial:09d}_{self.rng.getrandbits(32):08x}"
        etype = self.rng.choice(_TYPES)
        data = {"event_id": msg_id, "account_id": "acct_bench", "campaign_id": f"cmp_{self.serial % 50}",
                "count": self.serial}
        body = orjson.dumps({"type": etype, "timestamp": "2026-01-01T00:00:00+00:00", "data": data})
        sig = sign_standard(secret.encode(), msg_id, ts, body)
        headers = {"webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sig}
        return self.request(f"/webhooks/{source}", headers, body), ((source, msg_id),), int(_triggers(etype))

    def tiktok(self, ts: int, secret: str) -> tuple[bytes, tuple[tuple[str, str], ...], int]:
        self.serial += 1
        event_id = f"tt_{self.serial:09d}"
        etype = self.rng.choice(_TYPES)
        body = orjson.dumps({"event": etype, "event_id": event_id, "advertiser_id": "adv_bench",
                             "campaign_id": f"cmp_{self.serial % 50}"})
        headers = {"tiktok-signature": sign_tiktok(secret.encode(), ts, body)}
        return self.request("/webhooks/tiktok", headers, body), (("tiktok", event_id),), int(_triggers(etype))

    def meta(self, secret: str) -> tuple[bytes, tuple[tuple[str, str], ...], int]:
        self.serial += 1
        changes = [{"field": self.rng.choice(("with_issues_ad_objects", "in_process_ad_objects")),
                    "value": {"id": f"ad_{self.serial}_{n}", "campaign_id": f"cmp_{self.serial % 50}"}}
                   for n in range(2)]
        body = orjson.dumps({"object": "ad_account",
                             "entry": [{"id": "act_bench", "time": 1_700_000_000 + self.serial, "changes": changes}]})
        headers = {"x-hub-signature-256": sign_meta(secret.encode(), body)}
        events = parse_meta(body)
        runs = sum(_triggers(e.event_type) for e in events)
        return self.request("/webhooks/meta", headers, body), tuple(("meta", e.event_id) for e in events), runs

    def valid(self) -> Delivery:
        roll = self.rng.random()
        if roll < 0.6:
            raw, keys, runs = self.standard("sandbox", self.now, self.secrets.sandbox)
            return Delivery("valid", "sandbox", raw, keys, runs)
        if roll < 0.8:
            raw, keys, runs = self.standard("generic", self.now, self.secrets.generic)
            return Delivery("valid", "generic", raw, keys, runs)
        if roll < 0.9:
            raw, keys, runs = self.tiktok(self.now, self.secrets.tiktok)
            return Delivery("valid", "tiktok", raw, keys, runs)
        raw, keys, runs = self.meta(self.secrets.meta)
        return Delivery("valid", "meta", raw, keys, runs)


def build_deliveries(
    events: int, seed: int, secrets: BenchSecrets, host: str, mix: Mix | None = None
) -> list[Delivery]:
    """About ``events`` deliveries in a shuffled order; duplicates always follow their original."""
    mix = mix or Mix()
    rng = random.Random(seed)
    builder = _Builder(rng=rng, secrets=secrets, host=host, now=int(time.time()))
    out: list[Delivery] = []
    valid: list[Delivery] = []
    wrong = "not-the-secret"
    for _ in range(events):
        roll = rng.random()
        if roll < mix.bad_signatures:
            raw, _, _ = builder.standard("sandbox", builder.now, wrong)
            out.append(Delivery("bad_signature", "sandbox", raw))
        elif roll < mix.bad_signatures + mix.stale:
            raw, _, _ = builder.standard("generic", builder.now - 3600, secrets.generic)
            out.append(Delivery("stale_timestamp", "generic", raw))
        elif roll < mix.bad_signatures + mix.stale + mix.duplicates and valid:
            original = rng.choice(valid[-200:])
            out.append(Delivery("duplicate", original.source, original.raw, original.keys, 0))
        else:
            delivery = builder.valid()
            valid.append(delivery)
            out.append(delivery)
    return out
