"""The pacing controller on its own: no sandbox, synthetic landscapes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from pacing import AuctionLandscape, Controller, LandscapePacer, PacerConfig, PacingGoal, TickFeedback
from pacing.landscape_curve import LandscapeCurve


def _landscape(rng: np.random.Generator, n_per_tick: int, price_level: float) -> AuctionLandscape:
    tick = np.repeat(np.arange(48), n_per_tick)
    base = rng.lognormal(np.log(1000), 0.8, tick.shape[0])
    need = price_level * base ** 0.8 * 4 * rng.lognormal(0, 0.5, tick.shape[0])
    return AuctionLandscape(tick, base, need)


def _run_day(pacer: LandscapePacer, today: AuctionLandscape, goal: PacingGoal) -> tuple[int, float]:
    spent, value = 0, 0.0
    for t in range(goal.ticks):
        sl = today.tick == t
        bids = np.round(pacer.bids(today.base[sl])).astype(np.int64)
        won = bids >= today.min_to_win[sl]
        cost = today.min_to_win[sl].astype(np.int64)[won]
        keep = np.cumsum(cost) <= goal.budget_micros - spent
        cost, won_base = cost[keep], today.base[sl][won][keep]
        spent += int(cost.sum())
        value += float(won_base.sum())
        landscape = AuctionLandscape(today.tick[sl], today.base[sl], today.min_to_win[sl])
        pacer.observe(TickFeedback(t, int(cost.sum()), int(keep.sum()), int(sl.sum()),
                                   float(won_base.sum()) / (goal.target_cpa_micros or 1), 0.0, landscape))
    return spent, value


def test_landscape_curve_is_the_counterfactual_of_a_fixed_multiplier() -> None:
    rng = np.random.default_rng(1)
    ref = _landscape(rng, 50, 1.0)
    curve = LandscapeCurve(ref.base, ref.min_to_win)
    for alpha in (0.5, 1.0, 3.0):
        won = alpha * ref.base >= ref.min_to_win
        spend, value = curve.at(alpha)
        assert np.isclose(spend, ref.min_to_win[won].sum()) and np.isclose(value, ref.base[won].sum())
    spends, _ = curve.evaluate(np.array([0.5, 1.0, 2.0, 4.0]))
    assert np.all(np.diff(spends) >= 0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), budget_share=st.floats(0.05, 0.8), price_shift=st.floats(0.7, 1.4))
def test_pacer_spends_most_of_a_binding_budget_and_never_more(seed: int, budget_share: float,
                                                              price_shift: float) -> None:
    rng = np.random.default_rng(seed)
    reference, today = _landscape(rng, 60, 1.0), _landscape(rng, 60, price_shift)
    everything = float(today.min_to_win[today.base * 20 >= today.min_to_win].sum())
    goal = PacingGoal(budget_micros=int(budget_share * everything), target_cpa_micros=None)
    pacer = LandscapePacer(goal, reference)
    assert isinstance(pacer, Controller)
    spent, _ = _run_day(pacer, today, goal)
    assert spent <= goal.budget_micros
    assert spent >= 0.85 * goal.budget_micros


def test_pacer_holds_the_cpa_when_budget_is_loose() -> None:
    rng = np.random.default_rng(7)
    reference, today = _landscape(rng, 60, 1.0), _landscape(rng, 60, 1.0)
    goal = PacingGoal(budget_micros=10**12, target_cpa_micros=1_000_000)
    spent, value = _run_day(LandscapePacer(goal, reference, PacerConfig(strict_cpa=True)), today, goal)
    target = 1_000_000
    conversions = value / target
    assert spent / conversions <= target * 1.02
    assert spent / conversions >= target * 0.8
