from __future__ import annotations

from datetime import timedelta

from platforms.sandbox import SandboxPlatform, rows_to_batch
from platforms.sandbox.estimator import FEATURE_NAMES
from tests.sandbox.conftest import small_config


def test_conversions_arrive_later_and_never_before_they_happen() -> None:
    platform = SandboxPlatform(small_config(traffic_scale=1.0))
    platform.set_bid_multiplier("cmp_2", 6.0, idempotency_key="more-volume")
    platform.set_daily_budget("cmp_2", 500_000_000, idempotency_key="more-budget")
    platform.advance(48)
    day_start = platform.now() - timedelta(days=1)
    early = platform.impression_logs("cmp_2", day_start, platform.now())
    seen_now = platform.now()
    assert all(r.converted_at is None or r.converted_at <= seen_now for r in early)
    converted = [r for r in early if r.converted_at is not None]
    assert converted and all(r.clicked and r.converted_at > r.timestamp for r in converted)  # type: ignore[operator]
    before = sum(s.conversions for s in platform.hourly_stats("acc_demo", day_start, seen_now, campaign_id="cmp_2"))
    platform.advance(48)
    later = platform.impression_logs("cmp_2", day_start, seen_now)
    after = sum(s.conversions for s in platform.hourly_stats("acc_demo", day_start, seen_now, campaign_id="cmp_2"))
    assert after > before, "conversions of day 1 keep arriving on day 2"
    assert sum(r.converted_at is not None for r in later) == after
    delays = [(r.converted_at - r.timestamp).total_seconds() / 3600 for r in later if r.converted_at]
    assert len(set(round(d, 2) for d in delays)) > 1 and max(delays) > 1.0


def test_log_features_are_the_documented_estimator_features(sandbox: SandboxPlatform) -> None:
    sandbox.advance(4)
    rows = sandbox.impression_logs("cmp_1", sandbox.now() - timedelta(days=1), sandbox.now(), limit=20)
    assert rows
    assert set(rows[0].features) == set(FEATURE_NAMES)
    batch = rows_to_batch([r.features for r in rows])
    assert set(batch) == set(FEATURE_NAMES) and batch["hour"].shape == (len(rows),)
    assert all(isinstance(r.cost_micros, int) for r in rows)
