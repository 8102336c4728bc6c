"""Benchmark scenarios: one campaign of the demo account, days of opportunities drawn from the sandbox market.

Why build from the sandbox's modules rather than through ``SandboxPlatform``: LP* needs the hidden truth and the
competing bid of *every* opportunity, won or not — exactly what the platform interface must never reveal. The traffic,
truth and market are the same code the sandbox runs, so the benchmark measures bidding in the same market.

Per opportunity the scenario fixes, independently of any policy: features (as the bidder sees them), true
``p = pCTR · pCVR``, the minimum bid to win ``max(highest competing bid, reserve)`` and the dice of its outcome
(click, conversion, conversion time). ``user_frequency`` counts the user's earlier *opportunities* of the day, so the
truth's fatigue term does not depend on the policy (LP* stays well defined). The creative is the campaign's first
starter creative. Warm-up days come first (for learning), then the evaluated days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from platforms.sandbox.clock import TICKS_PER_DAY, SimClock
from platforms.sandbox.creative_text import effect_by_segment
from platforms.sandbox.engine import build_features
from platforms.sandbox.market import RESERVE_MICROS, Market
from platforms.sandbox.seed import base_rates, demo_account, reference_p
from platforms.sandbox.streams import Stream, rng_for
from platforms.sandbox.traffic import Opportunities, Population, TrafficModel
from platforms.sandbox.truth import Truth

__all__ = ["DayData", "Scenario", "build_scenario"]

_BENCH_CAMPAIGNS = (0, 1, 2, 3)


@dataclass(frozen=True)
class DayData:
    """Opportunities of one day in arrival order; ``bounds[t]:bounds[t+1]`` are those of tick ``t``."""

    day: int
    tick: np.ndarray
    bounds: np.ndarray
    features: dict[str, np.ndarray]
    p: np.ndarray
    min_to_win: np.ndarray
    clicks: np.ndarray
    converts: np.ndarray
    convert_tick: np.ndarray

    def __len__(self) -> int:
        return int(self.tick.shape[0])


@dataclass(frozen=True)
class Scenario:
    seed: int
    campaign_id: str
    objective: str
    target_cpa_micros: int
    warmup: list[DayData]
    days: list[DayData]


def _frequency_so_far(user: np.ndarray) -> np.ndarray:
    order = np.argsort(user, kind="stable")
    sorted_user = user[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_user)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(user)]))
    out = np.empty(len(user), dtype=np.int64)
    out[order] = np.arange(len(user)) - run_start
    return out


def build_scenario(seed: int, days: int, warmup_days: int = 14, n_users: int = 40_000) -> Scenario:
    account = demo_account(5, seed)
    c = _BENCH_CAMPAIGNS[seed % len(_BENCH_CAMPAIGNS)]
    camp = account.campaigns[c]
    creative = next(cr for cr in account.creatives if cr.campaign_id == camp.id and not cr.disapproval_reasons)
    population = Population.generate(seed, n_users)
    traffic = TrafficModel(seed, population, [x.daily_opportunities for x in account.campaigns])
    truth = Truth(seed, population, base_rates(account.campaigns))
    market = Market(seed, [x.market_value_micros for x in account.campaigns], reference_p(account.campaigns))
    clock = SimClock()
    effect = effect_by_segment(creative.headline, creative.description)
    ids = np.array([x.id for x in account.campaigns])
    rows = (np.array([creative.id]), np.array([creative.headline]), np.array([creative.description]))

    def one_day(day: int) -> DayData:
        parts = [
            traffic.draw(t, clock.day_of_week(t), market.traffic_factor(t), [c])
            for t in range(day * TICKS_PER_DAY, (day + 1) * TICKS_PER_DAY)
        ]
        opps = Opportunities.concat(parts)
        n = len(opps)
        in_day = opps.tick - day * TICKS_PER_DAY
        hour = in_day // 2
        freq = _frequency_so_far(opps.user)
        zero = np.zeros(n, dtype=np.int64)
        features = build_features(population, opps, hour, np.full(n, clock.day_of_week(day * TICKS_PER_DAY)),
                                  ids, rows, zero, freq)
        age, device = population.age[opps.user], population.device[opps.user]
        ctr = truth.ctr(opps, hour, effect[age, device], freq, np.zeros(n))
        cvr = truth.cvr(opps, hour)
        competing = market.competing_bids(opps.tick, opps.campaign, ctr * cvr, key=10_000 + day)
        min_to_win = np.maximum(np.ceil(competing).astype(np.int64), RESERVE_MICROS[opps.placement])
        rng = rng_for(seed, Stream.BENCH, day)
        u = rng.random((3, n))
        clicks = u[0] < ctr
        converts = clicks & (u[1] < cvr)
        delay_ticks = truth.conversion_delay_hours(rng, n) * 2
        return DayData(
            day=day, tick=in_day.astype(np.int64),
            bounds=np.searchsorted(in_day, np.arange(TICKS_PER_DAY + 1)),
            features=features, p=ctr * cvr, min_to_win=min_to_win, clicks=clicks, converts=converts,
            convert_tick=np.where(converts, in_day + u[2] + delay_ticks, np.inf),
        )

    all_days = [one_day(d) for d in range(warmup_days + days)]
    target = camp.target_cpa_micros or camp.conversion_value_micros
    return Scenario(seed, camp.id, camp.objective, target, all_days[:warmup_days], all_days[warmup_days:])
