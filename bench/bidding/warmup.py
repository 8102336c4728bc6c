"""Learning before the evaluated days: log two weeks of warm-up days with an exploring bidder, fit the CTR/CVR
estimator on those logs, and derive what a controller may know in advance — the reference auction landscapes (last
three warm-up days, as seen by the bidder), the traffic curve, and the conversion-delay distribution.

Why an exploring logging policy: a model trained only on what one fixed bidder wins cannot rank what it never
won. The logging bidder uses prior rates (no model yet) and a log-uniform random multiplier in [0.5, 8] per auction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.bidding.learned_estimator import LogisticEstimator
from bench.bidding.scenario import Scenario
from pacing.interface import AuctionLandscape
from platforms.sandbox.clock import TICKS_PER_DAY
from platforms.sandbox.estimator import PriorEstimator
from platforms.sandbox.streams import Stream, rng_for

__all__ = ["WarmupKnowledge", "learn_from_warmup"]

_DELAY_HORIZON_TICKS = 3 * TICKS_PER_DAY
_REFERENCE_DAYS = 3


@dataclass(frozen=True)
class WarmupKnowledge:
    estimator: LogisticEstimator
    reference: list[AuctionLandscape]
    plan_share: np.ndarray
    delay_cdf: tuple[float, ...]
    logged_impressions: int


def learn_from_warmup(scenario: Scenario) -> WarmupKnowledge:
    prior = PriorEstimator.for_objectives({scenario.campaign_id: scenario.objective})
    target = scenario.target_cpa_micros
    end_tick = len(scenario.warmup) * TICKS_PER_DAY
    feats: list[dict[str, np.ndarray]] = []
    clicked, matured, converted, lags = [], [], [], []
    for day in scenario.warmup:
        ctr, cvr = prior.predict(day.features)
        explore = np.exp(rng_for(scenario.seed, Stream.BENCH, 777, day.day).uniform(np.log(0.5), np.log(8.0), len(day)))
        won = np.round(explore * target * ctr * cvr) >= day.min_to_win
        absolute = day.convert_tick[won] + day.day * TICKS_PER_DAY
        seen = day.converts[won] & (absolute <= end_tick)
        ripe = day.clicks[won] & (day.tick[won] + day.day * TICKS_PER_DAY <= end_tick - TICKS_PER_DAY)
        feats.append({k: v[won] for k, v in day.features.items()})
        clicked.append(day.clicks[won])
        matured.append(ripe)
        converted.append(seen)
        known = seen & ripe
        lags.append(np.floor(day.convert_tick[won][known]) - day.tick[won][known])
    features = {k: np.concatenate([f[k] for f in feats]) for k in feats[0]}
    estimator = LogisticEstimator().fit(
        features, np.concatenate(clicked), np.concatenate(matured), np.concatenate(converted)
    )
    reference = []
    for day in scenario.warmup[-_REFERENCE_DAYS:]:
        ctr, cvr = estimator.predict(day.features)
        reference.append(AuctionLandscape(day.tick, target * ctr * cvr, day.min_to_win.astype(float)))
    counts = np.bincount(np.concatenate([r.tick for r in reference]), minlength=TICKS_PER_DAY).astype(float)
    lag = np.concatenate(lags)
    cdf = [float((lag <= k).mean()) if lag.size else 1.0 for k in range(_DELAY_HORIZON_TICKS)]
    return WarmupKnowledge(
        estimator=estimator,
        reference=reference,
        plan_share=np.cumsum(counts) / counts.sum(),
        delay_cdf=tuple(cdf),
        logged_impressions=int(features["hour"].shape[0]),
    )
