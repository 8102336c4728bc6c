"""The evaluation scoreboard divides every policy by the same LP*: common random numbers for every campaign, a
policy-independent reference p, launch budgets and targets."""

from __future__ import annotations

import numpy as np
import pytest

from platforms.base import EventType
from platforms.sandbox import SandboxPlatform
from platforms.sandbox.clock import TICKS_PER_DAY
from platforms.sandbox.scoreboard import DayScore, scoreboard_of
from tests.sandbox.conftest import small_config


def _bolder(platform: SandboxPlatform) -> None:
    """Policy A: bid and budget up on every campaign from the start."""
    for cid in ("cmp_1", "cmp_2", "cmp_3"):
        platform.set_bid_multiplier(cid, 3.0, idempotency_key=f"m-{cid}")
        platform.set_daily_budget(cid, 400_000_000, idempotency_key=f"b-{cid}")


def _run(policy: str, seed: int = 5, days: int = 2) -> SandboxPlatform:
    platform = SandboxPlatform(small_config(seed=seed))
    if policy == "bolder":
        _bolder(platform)
    platform.advance(TICKS_PER_DAY)
    if policy == "pause":  # policy B: pause a campaign after day 0, exclude a segment on another
        platform.pause_campaign("cmp_2", idempotency_key="pause")
        platform.set_segment_exclusion("cmp_1", "seg_25-34_mobile", True, idempotency_key="x")
    platform.advance(TICKS_PER_DAY * (days - 1))
    return platform


def _key(d: DayScore) -> tuple[int, int]:
    return d.campaign_index, d.day


def test_lp_star_and_eligible_opportunities_do_not_depend_on_the_policy() -> None:
    runs = {name: scoreboard_of(_run(name)).day_scores() for name in ("static", "bolder", "pause")}
    static = {_key(d): d for d in runs["static"]}
    assert len(static) == 3 * 2
    for name in ("bolder", "pause"):
        other = {_key(d): d for d in runs[name]}
        assert other.keys() == static.keys()
        for key, day in static.items():
            assert other[key].lp_star == day.lp_star, (name, key)
            assert other[key].eligible == day.eligible, (name, key)
            assert (other[key].budget_micros, other[key].target_cpa_micros) == (day.budget_micros,
                                                                                  day.target_cpa_micros)
    assert all(d.lp_star > 0 for d in static.values())
    # the policies did different things, and the scores show it
    assert [d.score for d in runs["bolder"]] != [d.score for d in runs["static"]]
    assert [d.spend_micros for d in runs["bolder"]] != [d.spend_micros for d in runs["static"]]
    paused = {_key(d): d for d in runs["pause"]}[(1, 1)]
    assert paused.entered == paused.won == 0 and paused.score == 0.0 and paused.eligible > 0


def test_launch_terms_are_the_divisor_even_when_a_policy_edits_budget_and_target() -> None:
    platform = _run("bolder", days=1)
    launch = SandboxPlatform(small_config(seed=5))
    for d in scoreboard_of(platform).day_scores():
        campaign = launch.list_campaigns("acc_demo")[d.campaign_index]
        assert d.budget_micros == campaign.daily_budget_micros != 400_000_000
        assert d.target_cpa_micros == (campaign.target_cpa_micros or d.target_cpa_micros)


def test_same_seed_twice_gives_identical_everything() -> None:
    a, b = _run("pause", seed=9), _run("pause", seed=9)
    assert scoreboard_of(a).day_scores() == scoreboard_of(b).day_scores()
    for da, db in zip(scoreboard_of(a).days(), scoreboard_of(b).days(), strict=True):
        assert np.array_equal(da.p, db.p) and np.array_equal(da.m, db.m) and np.array_equal(da.won, db.won)
    cols_a, cols_b = a._store.columns(), b._store.columns()
    assert all(np.array_equal(cols_a[k], cols_b[k], equal_nan=True) for k in cols_a)
    assert a.poll_events("acc_demo", limit=10**6) == b.poll_events("acc_demo", limit=10**6)


def test_score_and_pct_of_lp_follow_the_raw_arrays() -> None:
    board = scoreboard_of(_run("static", days=1))
    raw = {(d.campaign_index, d.day): d for d in board.days()}
    for d in board.day_scores():
        day = raw[_key(d)]
        assert d.expected_conversions == pytest.approx(float(day.p_won.sum()))
        assert d.spend_micros == int(day.price.sum())
        assert d.won == int(day.won.sum()) <= d.entered <= d.eligible == day.p.size
        # the realised p of a won auction never exceeds its reference p (frequency, wear and creative only lower it)
        assert np.all(day.p_won[day.won] <= day.p[day.won] + 1e-12)
        assert 0.0 < d.score <= d.lp_star
    total = sum(d.score for d in board.day_scores()) / sum(d.lp_star for d in board.day_scores())
    assert board.pct_of_lp() == pytest.approx(100 * total)


def test_target_cpa_paces_the_budget_over_the_day() -> None:
    """The platform's target-CPA bidding spends the budget through the day (no depletion by midday) and keeps the
    expected CPA at or under the target, where manual bidding at three times the bid depletes early."""
    config: dict[str, object] = {"n_campaigns": 2, "n_users": 20_000, "traffic_scale": 1.0}
    manual = SandboxPlatform(small_config(4, **config))
    for cid in ("cmp_1", "cmp_2"):
        manual.set_bid_multiplier(cid, 3.0, idempotency_key=f"m-{cid}")
    smart = SandboxPlatform(small_config(4, **config, bid_strategy="target_cpa"))
    for platform in (manual, smart):
        platform.advance(3 * TICKS_PER_DAY)
    assert any(e.type is EventType.BUDGET_DEPLETED for e in manual.poll_events("acc_demo", limit=10**6))
    smart_depleted = [e for e in smart.poll_events("acc_demo", limit=10**6) if e.type is EventType.BUDGET_DEPLETED]
    assert all(e.occurred_at.hour >= 20 or e.occurred_at.hour == 0 for e in smart_depleted), smart_depleted
    later = [d for d in scoreboard_of(smart).day_scores() if d.day >= 1]
    assert all(d.spend_micros <= d.budget_micros for d in later)
    assert all(d.spend_micros <= 1.1 * d.target_cpa_micros * d.expected_conversions for d in later)
    assert sum(d.spend_micros for d in later) > 0.5 * sum(d.budget_micros for d in later)
    # from the first refit of the platform's model on, target CPA beats blunt over-bidding on the same market
    assert _pct_after_day_0(smart) > _pct_after_day_0(manual) + 5


def _pct_after_day_0(platform: SandboxPlatform) -> float:
    days = [d for d in scoreboard_of(platform).day_scores() if d.day >= 1]
    return 100 * sum(d.score for d in days) / sum(d.lp_star for d in days)
