"""The benchmark harness: drives a controller through a day of auctions, tick by tick, with a hard budget.

Per tick: the controller bids on every opportunity of the tick (``base = C · p̂``); bids are integer micros; a bid
wins when it reaches the minimum bid to win; the winner pays that minimum (second price) or its bid (first price).
Wins are charged in arrival order and the first one that would take spend past the daily budget ends the campaign's
day — spend never exceeds the budget. Feedback: spend, wins, Σ p̂ of wins, conversions *arriving* this tick (delayed,
from earlier wins), and the per-auction landscape (base value, minimum bid to win).

``best_fixed_alpha`` is the hindsight oracle: the single multiplier that maximises the day's score on the true p.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bench.bidding.lp import score
from bench.bidding.scenario import DayData
from pacing.interface import AuctionLandscape, Controller, PacingGoal, TickFeedback

__all__ = ["DayController", "DayOutcome", "best_fixed_alpha", "run_day"]


class DayController(Controller, Protocol):
    def start_period(self, goal: PacingGoal, reference: AuctionLandscape | None = None) -> None: ...


@dataclass(frozen=True)
class DayOutcome:
    spend: int
    conversions: float
    realised: int
    budget: int
    target_cpa: int

    @property
    def score(self) -> float:
        return score(self.conversions, self.spend, self.target_cpa)


def _charge(won: np.ndarray, price: np.ndarray, remaining: int) -> tuple[np.ndarray, bool]:
    idx = np.flatnonzero(won)
    cum = np.cumsum(price[idx])
    over = np.flatnonzero(cum > remaining)
    if over.size == 0:
        return won, False
    won = won.copy()
    won[idx[over[0]:]] = False
    return won, True


def run_day(
    controller: DayController,
    day: DayData,
    p_hat: np.ndarray,
    goal: PacingGoal,
    arrivals: np.ndarray,
    day_offset: int,
) -> DayOutcome:
    """Run one day. ``arrivals`` (absolute tick → conversions arriving) is shared across the days of one run."""
    target = goal.target_cpa_micros or 1
    base_all = target * p_hat
    spent, conv, realised, depleted = 0, 0.0, 0, False
    for t in range(goal.ticks):
        lo, hi = int(day.bounds[t]), int(day.bounds[t + 1])
        base, need = base_all[lo:hi], day.min_to_win[lo:hi]
        won = np.zeros(hi - lo, dtype=bool)
        price = np.zeros(hi - lo, dtype=np.int64)
        if not depleted and hi > lo:
            bids = np.round(controller.bids(base)).astype(np.int64)
            won = (bids >= need) & (bids > 0)
            price = need if not goal.first_price else bids
            won, depleted = _charge(won, price, goal.budget_micros - spent)
        cost = int(price[won].sum())
        spent += cost
        conv += float(day.p[lo:hi][won].sum())
        landing = np.floor(day.convert_tick[lo:hi][won & day.converts[lo:hi]]).astype(np.int64) + day_offset
        np.add.at(arrivals, np.minimum(landing, arrivals.shape[0] - 1), 1)
        now = day_offset + t
        realised += int((won & day.converts[lo:hi]).sum())
        controller.observe(TickFeedback(
            tick=t, spend_micros=cost, wins=int(won.sum()), auctions=hi - lo,
            conversions_estimated=float(p_hat[lo:hi][won].sum()),
            conversions_observed=float(arrivals[now]),
            landscape=AuctionLandscape(np.full(hi - lo, t), base, need.astype(float)),
        ))
    return DayOutcome(spend=spent, conversions=conv, realised=realised, budget=goal.budget_micros,
                      target_cpa=target)


def fixed_alpha_outcome(alpha: float, day: DayData, p_hat: np.ndarray, goal: PacingGoal) -> DayOutcome:
    target = goal.target_cpa_micros or 1
    bids = np.round(alpha * target * p_hat).astype(np.int64)
    won = (bids >= day.min_to_win) & (bids > 0)
    price = day.min_to_win if not goal.first_price else bids
    won, _ = _charge(won, price, goal.budget_micros)
    return DayOutcome(spend=int(price[won].sum()), conversions=float(day.p[won].sum()),
                      realised=int((won & day.converts).sum()), budget=goal.budget_micros, target_cpa=target)


def best_fixed_alpha(day: DayData, p_hat: np.ndarray, goal: PacingGoal) -> DayOutcome:
    """Hindsight oracle: the best single multiplier of the day (grid search, then a finer grid around it)."""
    grid = np.exp(np.linspace(np.log(0.05), np.log(20.0), 90))
    outcomes = [fixed_alpha_outcome(float(a), day, p_hat, goal) for a in grid]
    best = int(np.argmax([o.score for o in outcomes]))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    fine = [fixed_alpha_outcome(float(a), day, p_hat, goal) for a in np.exp(np.linspace(np.log(lo), np.log(hi), 25))]
    return max([outcomes[best], *fine], key=lambda o: o.score)
