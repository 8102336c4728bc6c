"""``adpilot_pacer``: model-predictive pacing on a forecast of the rest of the day, maximising the day's score under
the hard budget, with a CPA calibrated on real (delayed) conversions.

Why this design. With second-price auctions the hindsight optimum (LP*) wins exactly the auctions whose value/price
ratio clears one threshold, i.e. it bids ``α · p̂`` with one α for the day. So the controller's job is to find that α
*before* the day has happened and to correct it as the day unfolds:

1. **Forecast** the auctions still to come from reference landscapes (the last ``reference_days`` days, averaged, so
   one day's shock does not become tomorrow's plan):
   for every candidate α, the reference's remaining spend and value, times the ratio *today / reference* measured at
   that same α on the ticks already played (recency-weighted, shrunk to 1 early in the day). The correction is
   α-specific, so a price shift on expensive traffic is not confused with one on cheap traffic.
2. **Optimise every tick** over a grid of α: predicted day score ``conv · min(1, C / CPA)²`` (AuctionNet's, the soft
   CPA of the benchmark) subject to predicted spend ≤ remaining budget; ``strict_cpa`` adds CPA ≤ target instead of
   trading a little CPA for volume. This re-solves the LP's dual threshold with today's information (MPC).
3. **Calibrate conversions.** p̂ is biased on the auctions a bidder wins (it wins where the market — which sees the
   true value — bids low), so the controller tracks κ = observed conversions / expected-matured conversions
   (Σ p̂ of wins weighted by the conversion-delay CDF, since labels arrive hours late), with a prior, and predicts
   conversions as κ · Σ p̂.
4. **Safeguards**: a small budget margin for the hard cap, α moves at most ``max_step``× per tick and stays within
   ``[alpha_min, alpha_max]``.

It needs per-auction :class:`AuctionLandscape` feedback for the today/reference correction; without it the
reference forecast is used unadjusted and pacing still follows actual spend.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pacing.interface import AuctionLandscape, PacingGoal, TickFeedback
from pacing.landscape_curve import LandscapeCurve

__all__ = ["LandscapePacer", "PacerConfig"]


@dataclass(frozen=True)
class PacerConfig:
    alpha_min: float = 0.05
    alpha_max: float = 20.0
    grid_points: int = 240
    strict_cpa: bool = False
    cpa_margin: float = 0.02
    budget_margin: float = 0.003
    halflife_ticks: float = 8.0
    prior_ticks: float = 2.0
    max_step: float = 1.6
    calibration_prior: float = 40.0
    calibration_start: float = 1.0
    delay_cdf: tuple[float, ...] = field(default=())
    reference_days: int = 3


class LandscapePacer:
    """Implements :class:`pacing.interface.Controller`. Call :meth:`start_period` at each new day."""

    def __init__(
        self, goal: PacingGoal, reference: AuctionLandscape | list[AuctionLandscape], config: PacerConfig | None = None
    ) -> None:
        self.config = config or PacerConfig()
        self._grid = np.exp(np.linspace(np.log(self.config.alpha_min), np.log(self.config.alpha_max),
                                        self.config.grid_points))
        self._alpha = 1.0
        self._kappa_obs = 0.0
        self._won_by_tick: list[float] = []
        self._today: list[AuctionLandscape] = []
        self._history: list[AuctionLandscape] = []
        self.start_period(goal, reference)

    # ------------------------------------------------------------------------------------------ interface
    def start_period(
        self, goal: PacingGoal, reference: AuctionLandscape | list[AuctionLandscape] | None = None
    ) -> None:
        """Begin a new period. Without ``reference``, the days observed so far (most recent last) are used."""
        if reference is not None:
            self._history = list(reference) if isinstance(reference, list) else [reference]
        elif self._today:
            self._history.append(AuctionLandscape.concat(self._today))
        self._history = self._history[-self.config.reference_days:]
        self._reference = AuctionLandscape.concat(self._history)
        self._ref_weight = 1.0 / len(self._history)
        ref = self._reference
        keep = ref.base > 0
        order = np.argsort(ref.min_to_win[keep] / ref.base[keep], kind="stable")
        self._ref_sorted = (
            (ref.min_to_win[keep] / ref.base[keep])[order], ref.base[keep][order], ref.min_to_win[keep][order]
        )
        self._ref_ticks = ref.tick[keep][order].astype(np.int64)
        self.goal = goal
        self._today = []
        self._tick = 0
        self._spent = 0.0
        self._value_won = 0.0
        self._alpha = self._solve()

    def bid_multiplier(self) -> float:
        return self._alpha

    def bids(self, base_values: np.ndarray) -> np.ndarray:
        return np.asarray(self._alpha * base_values)

    def observe(self, feedback: TickFeedback) -> None:
        self._spent += feedback.spend_micros
        self._value_won += feedback.conversions_estimated * (self.goal.target_cpa_micros or 1)
        self._won_by_tick.append(feedback.conversions_estimated)
        self._kappa_obs += feedback.conversions_observed
        if feedback.landscape is not None and len(feedback.landscape):
            self._today.append(feedback.landscape)
        self._tick = feedback.tick + 1
        step = self.config.max_step
        self._alpha = float(np.clip(self._solve(), self._alpha / step, self._alpha * step))

    @property
    def calibration(self) -> float:
        """κ: observed / expected-matured conversions of the impressions won so far (prior-weighted)."""
        cdf = self.config.delay_cdf
        won = np.asarray(self._won_by_tick)
        if cdf and won.size:
            lags = np.arange(won.size - 1, -1, -1)
            expected = float(np.dot(won, np.asarray(cdf)[np.minimum(lags, len(cdf) - 1)]))
        else:
            expected = float(won.sum())
        prior = self.config.calibration_prior
        return (self._kappa_obs + prior * self.config.calibration_start) / (expected + prior)

    # ------------------------------------------------------------------------------------------ forecast
    def _curve(self, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r, base, need = self._ref_sorted
        return LandscapeCurve.presorted(r, base, need, weight, self.goal.first_price).evaluate(self._grid)

    def _ratio(self) -> tuple[np.ndarray, np.ndarray]:
        """Today / reference spend and value at every grid α over the ticks already played."""
        ones = np.ones(self._grid.shape[0])
        if not self._today or self._tick == 0:
            return ones, ones
        decay = 0.5 ** (1.0 / self.config.halflife_ticks)
        today = AuctionLandscape.concat(self._today)
        w = self._ref_weight
        ticks = self._ref_ticks
        t_spend, t_value = LandscapeCurve(today.base, today.min_to_win, decay ** (self._tick - 1 - today.tick),
                                          self.goal.first_price).evaluate(self._grid)
        played = np.where(ticks < self._tick, w * decay ** (self._tick - 1 - ticks), 0.0)
        r_spend, r_value = self._curve(played)
        all_spend, all_value = self._curve(np.full(ticks.shape[0], w))
        prior = self.config.prior_ticks / self.goal.ticks
        spend_ratio = (t_spend + prior * all_spend) / np.maximum(r_spend + prior * all_spend, 1e-9)
        value_ratio = (t_value + prior * all_value) / np.maximum(r_value + prior * all_value, 1e-9)
        return spend_ratio, value_ratio

    def _solve(self) -> float:
        cfg, goal = self.config, self.goal
        spend_ratio, value_ratio = self._ratio()
        rem_spend, rem_value = self._curve(np.where(self._ref_ticks >= self._tick, self._ref_weight, 0.0))
        spend = self._spent + rem_spend * spend_ratio
        target = goal.target_cpa_micros
        conversions = self.calibration * (self._value_won + rem_value * value_ratio) / (target or 1)
        feasible = spend <= goal.budget_micros * (1.0 - cfg.budget_margin)
        if target is None:
            objective = conversions
        else:
            cpa = spend / np.maximum(conversions, 1e-12)
            objective = conversions * np.minimum(1.0, target / np.maximum(cpa, 1e-12)) ** 2
            if cfg.strict_cpa:
                feasible &= cpa <= target * (1.0 - cfg.cpa_margin)
        if not feasible.any():
            return cfg.alpha_min
        best = int(np.argmax(np.where(feasible, objective, -np.inf)))
        return float(self._grid[best])
