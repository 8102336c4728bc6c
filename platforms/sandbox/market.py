"""The competition: highest competing bid per opportunity, an intraday price level with drift, and daily shocks.

Why correlated with value: competitors see much of what makes an impression valuable, so the highest other bid
``m_i`` grows with the true conversion probability (elasticity ``rho`` < 1) times log-normal noise. A cheap impression
is therefore, on average, a less valuable one — bidding on raw estimates alone overpays for mediocre traffic.

Price level ``L(t)`` per tick: an intraday cycle (dearer in the afternoon and evening), a day-level offset and a
random walk; a *price shock* multiplies it by 1.5 for a few hours and a *traffic shock* removes 40 % of the
opportunities for a few hours. Each day draws its own shocks (probability 0.2 each) from a stream keyed by the day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from platforms.sandbox.clock import TICKS_PER_DAY, TICKS_PER_HOUR
from platforms.sandbox.streams import Stream, rng_for

__all__ = ["RESERVE_MICROS", "DayConditions", "Market"]

RESERVE_MICROS = np.array([3_000, 2_000, 1_500, 5_000], dtype=np.int64)
_RHO = 0.75
_SIGMA = 0.55
_LEVEL = 1.8
_SHOCK_PROBABILITY = 0.2


@dataclass(frozen=True)
class DayConditions:
    """Price multipliers and traffic factors of the 48 ticks of one day."""

    price: np.ndarray
    traffic: np.ndarray
    price_shock: tuple[int, int] | None
    traffic_shock: tuple[int, int] | None


class Market:
    """``market_values[c]``: what conversions of campaign ``c`` are worth to the market (micros); ``reference_p[c]``
    its typical conversion probability. Both are fixed at creation, so advertiser controls never move the market."""

    def __init__(
        self, seed: int, market_values: Sequence[float], reference_p: Sequence[float] | np.ndarray, shocks: bool = True
    ) -> None:
        self.seed = seed
        self.shocks = shocks
        self._value = np.asarray(market_values, dtype=float)
        self._p_ref = np.asarray(reference_p, dtype=float)
        self.conditions = lru_cache(maxsize=64)(self._conditions)

    def _shock_window(self, rng: np.random.Generator) -> tuple[int, int] | None:
        if not self.shocks or rng.random() >= _SHOCK_PROBABILITY:
            rng.random(2)
            return None
        length = int(rng.integers(4, 13))
        start = int(rng.integers(0, TICKS_PER_DAY - length))
        return (start, start + length)

    def _conditions(self, day: int) -> DayConditions:
        rng = rng_for(self.seed, Stream.SHOCKS, day)
        hours = (np.arange(TICKS_PER_DAY) + 0.5) / TICKS_PER_HOUR
        walk = np.cumsum(rng.normal(0.0, 0.015, TICKS_PER_DAY))
        log_price = 0.15 * np.sin(2 * np.pi * (hours - 9.0) / 24) + rng.normal(0.0, 0.08) + walk
        price = _LEVEL * np.exp(log_price)
        traffic = np.ones(TICKS_PER_DAY)
        price_shock = self._shock_window(rng)
        traffic_shock = self._shock_window(rng)
        if price_shock:
            price[price_shock[0] : price_shock[1]] *= 1.5
        if traffic_shock:
            traffic[traffic_shock[0] : traffic_shock[1]] *= 0.6
        return DayConditions(price=price, traffic=traffic, price_shock=price_shock, traffic_shock=traffic_shock)

    def price_level(self, tick: int) -> float:
        return float(self.conditions(tick // TICKS_PER_DAY).price[tick % TICKS_PER_DAY])

    def traffic_factor(self, tick: int) -> float:
        return float(self.conditions(tick // TICKS_PER_DAY).traffic[tick % TICKS_PER_DAY])

    def competing_bids(self, tick: np.ndarray, campaign: np.ndarray, p_true: np.ndarray, key: int) -> np.ndarray:
        """Highest competing bid in micros (float) per opportunity; ``key`` addresses the random stream."""
        rng = rng_for(self.seed, Stream.MARKET, key)
        levels = np.array([self.price_level(int(t)) for t in np.unique(tick)])
        level = levels[np.searchsorted(np.unique(tick), tick)]
        ratio = np.maximum(p_true, 1e-9) / self._p_ref[campaign]
        noise = np.exp(rng.normal(0.0, _SIGMA, p_true.shape[0]) - _SIGMA**2 / 2)
        return np.asarray(level * self._value[campaign] * self._p_ref[campaign] * ratio**_RHO * noise)
