from __future__ import annotations

from datetime import timedelta

from platforms.sandbox import SandboxPlatform
from tests.sandbox.conftest import small_config


def _fingerprint(platform: SandboxPlatform) -> list[tuple[object, ...]]:
    account = platform.list_accounts()[0].id
    stats = platform.hourly_stats(account, platform.now() - timedelta(days=2), platform.now())
    return [(s.campaign_id, s.segment_id, s.creative_id, s.hour_start, s.impressions, s.clicks, s.conversions,
             s.cost_micros) for s in stats]


def test_same_seed_same_market() -> None:
    a, b = SandboxPlatform(small_config(seed=11)), SandboxPlatform(small_config(seed=11))
    a.advance(60)
    b.advance(60)
    assert _fingerprint(a) == _fingerprint(b)
    assert _fingerprint(a)
    logs_a = a.impression_logs("cmp_1", a.now() - timedelta(days=2), a.now())
    logs_b = b.impression_logs("cmp_1", b.now() - timedelta(days=2), b.now())
    assert logs_a == logs_b


def test_other_seed_other_market() -> None:
    a, b = SandboxPlatform(small_config(seed=11)), SandboxPlatform(small_config(seed=12))
    a.advance(12)
    b.advance(12)
    assert _fingerprint(a) != _fingerprint(b)


def test_clock_is_utc_and_ticks_are_half_hours(sandbox: SandboxPlatform) -> None:
    start = sandbox.now()
    assert start.tzinfo is not None and start.utcoffset() == timedelta(0)
    sandbox.advance(3)
    assert sandbox.now() - start == timedelta(minutes=90)
