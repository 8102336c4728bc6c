from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platforms.base import EventType
from platforms.sandbox import AuctionRule, SandboxPlatform
from tests.sandbox.conftest import small_config


def _spend_by_day(platform: SandboxPlatform) -> dict[tuple[str, object], int]:
    account = platform.list_accounts()[0].id
    spend: dict[tuple[str, object], int] = defaultdict(int)
    for s in platform.hourly_stats(account, platform.now() - timedelta(days=30), platform.now()):
        spend[(s.campaign_id, s.hour_start.date())] += s.cost_micros
    return spend


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    budget_units=st.integers(1, 60),
    multiplier=st.floats(0.5, 10.0),
    auction=st.sampled_from(list(AuctionRule)),
    seed=st.integers(0, 1000),
)
def test_daily_budget_is_never_exceeded(budget_units: int, multiplier: float, auction: AuctionRule,
                                        seed: int) -> None:
    platform = SandboxPlatform(small_config(seed=seed, auction=auction, n_campaigns=2))
    budget = budget_units * 1_000_000
    for cid in ("cmp_1", "cmp_2"):
        platform.set_daily_budget(cid, budget, idempotency_key=f"b-{cid}")
        platform.set_bid_multiplier(cid, multiplier, idempotency_key=f"m-{cid}")
    platform.advance(60)
    spend = _spend_by_day(platform)
    assert spend
    assert all(value <= budget for value in spend.values())


def test_budget_depletion_emits_event_and_stops_spend() -> None:
    platform = SandboxPlatform(small_config())
    platform.set_daily_budget("cmp_1", 1_000_000, idempotency_key="tiny")
    platform.set_bid_multiplier("cmp_1", 10.0, idempotency_key="high")
    platform.advance(48)
    events = [e for e in platform.poll_events("acc_demo", limit=10_000) if e.campaign_id == "cmp_1"]
    depleted = [e for e in events if e.type is EventType.BUDGET_DEPLETED]
    assert len(depleted) == 1
    summary = [e for e in events if e.type is EventType.DAILY_SUMMARY]
    assert summary and summary[0].data["spend_micros"] <= 1_000_000  # type: ignore[operator]


def test_paused_campaign_and_excluded_segment_get_no_impressions() -> None:
    platform = SandboxPlatform(small_config())
    platform.pause_campaign("cmp_2", idempotency_key="p")
    platform.set_segment_exclusion("cmp_1", "seg_25-34_mobile", True, idempotency_key="x")
    platform.set_frequency_cap("cmp_1", 1, idempotency_key="f")
    platform.advance(24)
    stats = platform.hourly_stats("acc_demo", platform.now() - timedelta(days=1), platform.now())
    assert not [s for s in stats if s.campaign_id == "cmp_2"]
    assert not [s for s in stats if s.campaign_id == "cmp_1" and s.segment_id == "seg_25-34_mobile"]
    logs = platform.impression_logs("cmp_1", platform.now() - timedelta(days=1), platform.now())
    assert logs and all(row.features["user_frequency"] == 0 for row in logs)


def test_daypart_modifier_zero_silences_those_hours() -> None:
    platform = SandboxPlatform(small_config())
    platform.set_daypart_modifiers("cmp_1", [0.0] * 12 + [1.0] * 12, idempotency_key="d")
    platform.advance(48)
    stats = platform.hourly_stats("acc_demo", platform.now() - timedelta(days=1), platform.now(),
                                  campaign_id="cmp_1")
    assert stats and all(s.hour_start.hour >= 12 for s in stats)


def test_a_custom_estimator_drives_the_bids() -> None:
    from collections.abc import Mapping

    import numpy as np

    class Zero:
        def predict(self, features: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            n = features["campaign_id"].shape[0]
            return np.zeros(n), np.zeros(n)

    platform = SandboxPlatform(small_config())
    platform.set_estimator(Zero())
    platform.advance(6)
    assert not platform.hourly_stats("acc_demo", platform.now() - timedelta(days=1), platform.now())
