"""The hidden truth of the market: true pCTR(user × context × creative), true pCVR(user × context), conversion delays.

Nothing here is reachable through ``SandboxPlatform``'s public interface — only sampled outcomes leave the sandbox.
The bidding benchmark imports this module directly, because its upper bound LP* needs the true probabilities.

Why this shape: a logistic model whose terms mirror what the advertiser can see (age, geo, device, interest × site
affinity, placement, position, hour, the creative's per-segment text effect, fatigue) plus a per-user latent effect the
advertiser can never observe. A good CTR/CVR model can therefore learn most of the variation from the logged features
but not all of it, as in real life. pCVR does not depend on the creative (the click has already happened).
Fatigue: CTR falls with the user's exposures to the campaign that day and with the creative's cumulative impressions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from platforms.sandbox.streams import Stream, rng_for
from platforms.sandbox.traffic import Opportunities, Population
from platforms.sandbox.vocabulary import AGE_BANDS, DEVICES, GEOS, INTERESTS, PLACEMENTS, SITE_CATEGORIES

__all__ = ["MAX_DELAY_HOURS", "Truth", "sigmoid"]

_PLACEMENT_CTR = np.array([0.15, -0.25, -0.55, 0.45])
_POSITION_CTR = np.array([0.25, 0.0, -0.2, -0.4])
_DEVICE_CVR = np.array([0.0, 0.3, 0.12])
_FREQ_FATIGUE = 0.2
_WEAR_FATIGUE = 0.1
_WEAR_SCALE = 40_000.0
_DELAY_MEDIAN_H = 2.5
_DELAY_SIGMA = 1.0
MAX_DELAY_HOURS = _DELAY_MAX_H = 72.0


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


class Truth:
    """True probabilities for opportunities. ``base_rates[c] = (ctr, cvr)`` of campaign index ``c``."""

    def __init__(self, seed: int, population: Population, base_rates: Sequence[tuple[float, float]]) -> None:
        rng = rng_for(seed, Stream.TRUTH)
        n_campaigns = len(base_rates)
        self._pop = population
        self._ctr0 = np.array([_logit(ctr) for ctr, _ in base_rates])
        self._cvr0 = np.array([_logit(cvr) for _, cvr in base_rates])
        self._user_ctr = rng.normal(0.0, 0.25, population.size)
        self._user_cvr = rng.normal(0.0, 0.25, population.size)
        self._age_ctr = rng.normal(0.0, 0.2, len(AGE_BANDS))
        self._device_ctr = rng.normal(0.0, 0.15, len(DEVICES))
        self._interest_site = rng.normal(0.0, 0.35, (len(INTERESTS), len(SITE_CATEGORIES)))
        self._relevance_ctr = rng.normal(0.0, 0.4, (n_campaigns, len(INTERESTS)))
        phase = rng.uniform(0, 2 * np.pi)
        self._hour_ctr = 0.12 * np.sin(2 * np.pi * np.arange(24) / 24 + phase)
        self._age_cvr = rng.normal(0.0, 0.25, (n_campaigns, len(AGE_BANDS)))
        self._geo_cvr = rng.normal(0.0, 0.25, len(GEOS))
        self._relevance_cvr = rng.normal(0.0, 0.45, (n_campaigns, len(INTERESTS)))
        self._site_cvr = rng.normal(0.0, 0.15, len(SITE_CATEGORIES))
        self._hour_cvr = 0.15 * np.cos(2 * np.pi * (np.arange(24) - 20) / 24)
        self._placement_cvr = rng.normal(0.0, 0.1, len(PLACEMENTS))

    def ctr(
        self,
        opps: Opportunities,
        hour: np.ndarray,
        creative_effect: np.ndarray,
        user_frequency: np.ndarray,
        creative_impressions: np.ndarray,
    ) -> np.ndarray:
        """True click probability of each opportunity if shown the chosen creative."""
        return sigmoid(self.ctr_logit(opps, hour) + self.ctr_adjustment(creative_effect, user_frequency,
                                                                         creative_impressions))

    def ctr_logit(self, opps: Opportunities, hour: np.ndarray) -> np.ndarray:
        """The click logit before the creative's effect and fatigue (callers that need several variants share it)."""
        pop, u, c = self._pop, opps.user, opps.campaign
        interest = pop.interest[u]
        return np.asarray(
            self._ctr0[c]
            + self._user_ctr[u]
            + self._age_ctr[pop.age[u]]
            + self._device_ctr[pop.device[u]]
            + self._interest_site[interest, opps.site]
            + self._relevance_ctr[c, interest]
            + _PLACEMENT_CTR[opps.placement]
            + _POSITION_CTR[opps.position]
            + self._hour_ctr[hour]
        )

    @staticmethod
    def ctr_adjustment(
        creative_effect: np.ndarray | float, user_frequency: np.ndarray | float,
        creative_impressions: np.ndarray | float,
    ) -> np.ndarray:
        """The creative's text effect minus fatigue (user frequency today, the creative's cumulative wear)."""
        return np.asarray(
            creative_effect
            - _FREQ_FATIGUE * np.log1p(user_frequency)
            - _WEAR_FATIGUE * np.log1p(np.asarray(creative_impressions) / _WEAR_SCALE)
        )

    def cvr(self, opps: Opportunities, hour: np.ndarray) -> np.ndarray:
        """True conversion probability given a click."""
        pop, u, c = self._pop, opps.user, opps.campaign
        logit = (
            self._cvr0[c]
            + self._user_cvr[u]
            + self._age_cvr[c, pop.age[u]]
            + self._geo_cvr[pop.geo[u]]
            + _DEVICE_CVR[pop.device[u]]
            + self._relevance_cvr[c, pop.interest[u]]
            + self._site_cvr[opps.site]
            + self._placement_cvr[opps.placement]
            + self._hour_cvr[hour]
        )
        return sigmoid(logit)

    @staticmethod
    def conversion_delay_hours(rng: np.random.Generator, n: int) -> np.ndarray:
        """Hours from click to conversion: log-normal, median 2.5 h, capped at 72 h."""
        delay = rng.lognormal(np.log(_DELAY_MEDIAN_H), _DELAY_SIGMA, n)
        return np.asarray(np.minimum(delay, _DELAY_MAX_H))
