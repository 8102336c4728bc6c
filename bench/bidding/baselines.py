"""Baseline bidding policies of EVALUATION.md §1, implemented as :class:`pacing.interface.Controller` s.

All bid ``multiplier × base`` with ``base = C · p̂`` (C = target CPA), except Throttling, which bids ``base`` on a
random share of auctions. The spend plan of PID and Throttling follows the reference traffic curve (cumulative share of
auctions by tick), the same forecast the adpilot pacer starts from. Parameters are the conventional ones, not tuned on
this benchmark:

- ``FixedCPA``: multiplier 1 (bid the target CPA times p̂).
- ``PIDPacer`` (AuctionNet-style): ×1.2 when cumulative spend is behind plan, ×0.7 when ahead; also ×0.7 while the
  estimated CPA (on Σ p̂) is above target. Multiplier in [0.1, 10].
- ``Throttle``: participation probability ×1.2 / ×0.7 toward the plan, in [0.01, 1].
- ``DualOGD``: online dual multipliers μ (budget) and ν (CPA), normalised by C:
  ``bid = (1 + ν) / (μ + ν) · base``, projected gradient steps on the per-tick budget rate and CPA slack.
- Oracle best α is not a controller: see :func:`bench.bidding.simulate.best_fixed_alpha`.
"""

from __future__ import annotations

import numpy as np

from pacing.interface import AuctionLandscape, PacingGoal, TickFeedback

__all__ = ["DualOGD", "FixedCPA", "PIDPacer", "Throttle"]


class FixedCPA:
    def __init__(self, goal: PacingGoal) -> None:
        self.goal = goal

    def start_period(self, goal: PacingGoal, reference: AuctionLandscape | None = None) -> None:
        self.goal = goal

    def bid_multiplier(self) -> float:
        return 1.0

    def bids(self, base_values: np.ndarray) -> np.ndarray:
        return np.asarray(base_values, dtype=float)

    def observe(self, feedback: TickFeedback) -> None:
        return None


class _PlanFollower:
    def __init__(self, goal: PacingGoal, plan_share: np.ndarray) -> None:
        self.plan_share = plan_share
        self.start_period(goal)

    def start_period(self, goal: PacingGoal, reference: AuctionLandscape | None = None) -> None:
        self.goal = goal
        self.spent = 0.0
        self.value = 0.0

    def _behind_plan(self, feedback: TickFeedback) -> bool:
        self.spent += feedback.spend_micros
        self.value += feedback.conversions_estimated * (self.goal.target_cpa_micros or 1)
        return self.spent < self.goal.budget_micros * self.plan_share[feedback.tick]

    def _cpa_too_high(self) -> bool:
        return self.goal.target_cpa_micros is not None and self.spent > self.value > 0


class PIDPacer(_PlanFollower):
    def start_period(self, goal: PacingGoal, reference: AuctionLandscape | None = None) -> None:
        super().start_period(goal, reference)
        self.alpha = 1.0

    def bid_multiplier(self) -> float:
        return self.alpha

    def bids(self, base_values: np.ndarray) -> np.ndarray:
        return np.asarray(self.alpha * base_values)

    def observe(self, feedback: TickFeedback) -> None:
        behind = self._behind_plan(feedback)
        factor = 1.2 if behind and not self._cpa_too_high() else 0.7
        self.alpha = float(np.clip(self.alpha * factor, 0.1, 10.0))


class Throttle(_PlanFollower):
    def __init__(self, goal: PacingGoal, plan_share: np.ndarray, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        super().__init__(goal, plan_share)

    def start_period(self, goal: PacingGoal, reference: AuctionLandscape | None = None) -> None:
        super().start_period(goal, reference)
        self.rate = 1.0

    def bid_multiplier(self) -> float:
        return 1.0

    def bids(self, base_values: np.ndarray) -> np.ndarray:
        take = self.rng.random(base_values.shape[0]) < self.rate
        return np.where(take, base_values, 0.0)

    def observe(self, feedback: TickFeedback) -> None:
        self.rate = float(np.clip(self.rate * (1.2 if self._behind_plan(feedback) else 0.7), 0.01, 1.0))


class DualOGD:
    def __init__(self, goal: PacingGoal, step: float = 0.15) -> None:
        self.step = step
        self.start_period(goal)

    def start_period(self, goal: PacingGoal, reference: AuctionLandscape | None = None) -> None:
        self.goal = goal
        self.mu = 0.5
        self.nu = 0.5
        self.spent = 0.0

    def bid_multiplier(self) -> float:
        if self.goal.target_cpa_micros is None:
            return float(1.0 / max(self.mu, 0.05))
        return float((1.0 + self.nu) / max(self.mu + self.nu, 0.05))

    def bids(self, base_values: np.ndarray) -> np.ndarray:
        return np.asarray(self.bid_multiplier() * base_values)

    def observe(self, feedback: TickFeedback) -> None:
        ticks_left = max(self.goal.ticks - feedback.tick, 1)
        rate = max((self.goal.budget_micros - self.spent) / ticks_left, 1.0)
        self.spent += feedback.spend_micros
        value = feedback.conversions_estimated * (self.goal.target_cpa_micros or 0)
        self.mu = max(0.0, self.mu + self.step * (feedback.spend_micros - rate) / rate)
        self.nu = max(0.0, self.nu + self.step * (feedback.spend_micros - value) / rate)
