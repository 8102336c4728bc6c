"""Spend and value as functions of the bid multiplier α over a pool of auctions, from their minimum bids to win.

Why sort by ``r = min_to_win / base``: an auction is won at multiplier α exactly when ``α ≥ r``, so sorting once turns
"what would α buy?" into a prefix of cumulative sums, and a whole grid of candidate multipliers is evaluated with one
``searchsorted``. Items carry weights (recency, re-scaling of a reference day).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LandscapeCurve"]


class LandscapeCurve:
    """Cumulative spend / base value of a weighted auction pool, ordered by win threshold."""

    def __init__(
        self, base: np.ndarray, min_to_win: np.ndarray, weight: np.ndarray | None = None, first_price: bool = False
    ) -> None:
        keep = base > 0
        w = np.ones(int(keep.sum())) if weight is None else np.asarray(weight, dtype=float)[keep]
        ratio = min_to_win[keep] / base[keep]
        order = np.argsort(ratio, kind="stable")
        self.r = ratio[order]
        self.cum_value = np.r_[0.0, np.cumsum(base[keep][order] * w[order])]
        self.cum_price = np.r_[0.0, np.cumsum(min_to_win[keep][order] * w[order])]
        self.first_price = first_price

    @classmethod
    def presorted(
        cls, r: np.ndarray, base: np.ndarray, min_to_win: np.ndarray, weight: np.ndarray, first_price: bool = False
    ) -> LandscapeCurve:
        """A curve over a pool already ordered by threshold ``r`` (ascending); no sort, O(n)."""
        curve = cls.__new__(cls)
        curve.r = r
        curve.cum_value = np.r_[0.0, np.cumsum(base * weight)]
        curve.cum_price = np.r_[0.0, np.cumsum(min_to_win * weight)]
        curve.first_price = first_price
        return curve

    def __len__(self) -> int:
        return int(self.r.shape[0])

    def evaluate(self, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(spend, value)`` bought at each multiplier (value = Σ weighted base of the auctions won)."""
        k = np.searchsorted(self.r, alphas, side="right")
        value = self.cum_value[k]
        spend = alphas * value if self.first_price else self.cum_price[k]
        return np.asarray(spend), np.asarray(value)

    def at(self, alpha: float) -> tuple[float, float]:
        spend, value = self.evaluate(np.array([alpha]))
        return float(spend[0]), float(value[0])
