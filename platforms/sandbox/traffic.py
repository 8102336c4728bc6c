"""Traffic: a population of returning users and the ad opportunities they generate, tick by tick.

Why a fixed population with heavy-tailed activity (log-normal weights): the same users come back many times a day,
so exposure frequency, frequency caps and creative fatigue are real effects rather than knobs. Opportunities per tick
follow a daily curve (night trough, lunch and evening peaks) and a weekly curve, times a traffic shock factor. Each
campaign draws from the shared population with its own interest targeting, so campaigns overlap in users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from platforms.sandbox.clock import TICKS_PER_DAY, TICKS_PER_HOUR
from platforms.sandbox.streams import Stream, rng_for
from platforms.sandbox.vocabulary import AGE_BANDS, DEVICES, GEOS, INTERESTS, PLACEMENTS, POSITIONS, SITE_CATEGORIES

__all__ = ["Opportunities", "Population", "TrafficModel", "daily_curve", "weekly_factor"]

_AGE_P = np.array([0.14, 0.24, 0.20, 0.17, 0.14, 0.11])
_DEVICE_P = np.array([0.62, 0.30, 0.08])
_PLACEMENT_P = np.array([0.45, 0.30, 0.15, 0.10])
_POSITION_P = np.array([0.40, 0.30, 0.20, 0.10])
_PLACEMENT_CUM = np.cumsum(_PLACEMENT_P)
_POSITION_CUM = np.cumsum(_POSITION_P)
_WEEKLY = np.array([1.0, 1.02, 1.0, 0.98, 0.93, 1.1, 1.12])


def daily_curve() -> np.ndarray:
    """Relative traffic of each of the 48 ticks of a day, mean 1."""
    hours = (np.arange(TICKS_PER_DAY) + 0.5) / TICKS_PER_HOUR
    curve = 0.22 + 0.8 * np.exp(-(((hours - 12.5) / 3.0) ** 2)) + 1.05 * np.exp(-(((hours - 20.5) / 2.4) ** 2))
    curve += 0.35 * np.exp(-(((hours - 8.0) / 1.5) ** 2))
    return np.asarray(curve / curve.mean())


def weekly_factor(day_of_week: int) -> float:
    return float(_WEEKLY[day_of_week % 7])


@dataclass(frozen=True)
class Population:
    """Observable user attributes (codes into the vocabulary) and how active each user is."""

    age: np.ndarray
    geo: np.ndarray
    device: np.ndarray
    interest: np.ndarray
    activity: np.ndarray

    @property
    def size(self) -> int:
        return int(self.age.shape[0])

    @classmethod
    def generate(cls, seed: int, n_users: int) -> Population:
        rng = rng_for(seed, Stream.POPULATION)
        geo_p = rng.dirichlet(np.full(len(GEOS), 2.0))
        interest_p = rng.dirichlet(np.full(len(INTERESTS), 4.0))
        return cls(
            age=rng.choice(len(AGE_BANDS), n_users, p=_AGE_P).astype(np.int16),
            geo=rng.choice(len(GEOS), n_users, p=geo_p).astype(np.int16),
            device=rng.choice(len(DEVICES), n_users, p=_DEVICE_P).astype(np.int16),
            interest=rng.choice(len(INTERESTS), n_users, p=interest_p).astype(np.int16),
            activity=rng.lognormal(0.0, 1.1, n_users),
        )


@dataclass(frozen=True)
class Opportunities:
    """Ad opportunities, one row each. ``campaign`` is the campaign index whose auction the opportunity enters."""

    tick: np.ndarray
    campaign: np.ndarray
    user: np.ndarray
    site: np.ndarray
    placement: np.ndarray
    position: np.ndarray

    def __len__(self) -> int:
        return int(self.user.shape[0])

    def take(self, index: np.ndarray) -> Opportunities:
        return Opportunities(
            tick=self.tick[index],
            campaign=self.campaign[index],
            user=self.user[index],
            site=self.site[index],
            placement=self.placement[index],
            position=self.position[index],
        )

    @staticmethod
    def concat(parts: list[Opportunities]) -> Opportunities:
        return Opportunities(
            tick=np.concatenate([p.tick for p in parts]),
            campaign=np.concatenate([p.campaign for p in parts]),
            user=np.concatenate([p.user for p in parts]),
            site=np.concatenate([p.site for p in parts]),
            placement=np.concatenate([p.placement for p in parts]),
            position=np.concatenate([p.position for p in parts]),
        )


class TrafficModel:
    """Draws the opportunities of one tick for every campaign, vectorised; no state besides the seed."""

    def __init__(self, seed: int, population: Population, daily_opportunities: list[float]) -> None:
        self.seed = seed
        self.population = population
        self.daily_opportunities = np.asarray(daily_opportunities, dtype=float)
        self._curve = daily_curve()
        rng = rng_for(seed, Stream.TRAFFIC, 10**6)
        site_given_interest = rng.dirichlet(np.full(len(SITE_CATEGORIES), 0.6), size=len(INTERESTS))
        self._site_cum = np.cumsum(site_given_interest, axis=1)
        self._user_cum: list[np.ndarray] = []
        for _ in range(len(self.daily_opportunities)):
            targeting = rng.lognormal(0.0, 0.8, len(INTERESTS))
            weights = population.activity * targeting[population.interest]
            cum = np.cumsum(weights)
            self._user_cum.append(cum / cum[-1])

    def expected_count(self, campaign: int, tick: int, day_of_week: int, traffic_factor: float) -> float:
        per_tick = self.daily_opportunities[campaign] / TICKS_PER_DAY
        return float(per_tick * self._curve[tick % TICKS_PER_DAY] * weekly_factor(day_of_week) * traffic_factor)

    def draw(self, tick: int, day_of_week: int, traffic_factor: float, campaigns: list[int]) -> Opportunities:
        parts = [self._draw_one(tick, day_of_week, traffic_factor, c) for c in campaigns]
        if not parts:
            empty = np.zeros(0, dtype=np.int32)
            return Opportunities(empty, empty, empty, empty, empty, empty)
        return Opportunities.concat(parts)

    def _draw_one(self, tick: int, day_of_week: int, traffic_factor: float, campaign: int) -> Opportunities:
        rng = rng_for(self.seed, Stream.TRAFFIC, tick, campaign)
        n = int(rng.poisson(self.expected_count(campaign, tick, day_of_week, traffic_factor)))
        user = np.searchsorted(self._user_cum[campaign], rng.random(n), side="right").astype(np.int32)
        user = np.minimum(user, self.population.size - 1)
        interest = self.population.interest[user]
        site = (self._site_cum[interest] < rng.random(n)[:, None]).sum(axis=1)
        site = np.minimum(site, len(SITE_CATEGORIES) - 1).astype(np.int16)
        placement = np.minimum(np.searchsorted(_PLACEMENT_CUM, rng.random(n), side="right"), len(PLACEMENTS) - 1)
        position = np.minimum(np.searchsorted(_POSITION_CUM, rng.random(n), side="right"), len(POSITIONS) - 1)
        return Opportunities(
            tick=np.full(n, tick, dtype=np.int32),
            campaign=np.full(n, campaign, dtype=np.int16),
            user=user,
            site=site,
            placement=placement.astype(np.int16),
            position=position.astype(np.int16),
        )
