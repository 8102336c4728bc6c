"""One tick of the market, vectorised over every opportunity of every campaign (no Python loop per opportunity).

Order of a tick, per campaign, opportunities in arrival order:

1. draw opportunities (traffic) and pick a creative for each (rotation: ``even`` = uniform, ``optimize`` = the
   platform favours creatives with a higher observed, smoothed CTR);
2. drop excluded segments and users at the frequency cap; bid ``α · segment · daypart · placement modifiers ·
   p̂CTR · p̂CVR · value`` with p̂ from the pluggable estimator (integer micros);
3. resolve the auction against the highest competing bid and the reserve (second or first price);
4. enforce the frequency cap within the tick and the **hard daily budget**: impressions are charged in order and the
   first one that would take spend past the budget stops the campaign for the day (``budget_depleted``). Spend can
   therefore never exceed the budget;
5. sample outcomes from the hidden truth: click, conversion, conversion delay.

Uniform draws are made for *every* opportunity before filtering, so a change of controls changes which
opportunities are won but not the dice thrown for each one (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from platforms.base import CampaignStatus, CreativeRotation, CreativeStatus
from platforms.sandbox.auction import AuctionRule, resolve
from platforms.sandbox.campaign_state import CampaignState, CreativeState
from platforms.sandbox.clock import TICK, SimClock
from platforms.sandbox.creative_text import effect_by_segment
from platforms.sandbox.estimator import Estimator
from platforms.sandbox.logstore import ImpressionChunk
from platforms.sandbox.market import RESERVE_MICROS, Market
from platforms.sandbox.streams import Stream, rng_for
from platforms.sandbox.traffic import Opportunities, Population, TrafficModel
from platforms.sandbox.truth import Truth
from platforms.sandbox.vocabulary import (
    AGE_BANDS,
    DEVICES,
    GEOS,
    INTERESTS,
    PLACEMENTS,
    POSITIONS,
    SITE_CATEGORIES,
    segment_definitions,
    segment_index,
)

__all__ = ["Engine", "TickResult", "build_features"]

_TICK_MINUTES = TICK.total_seconds() / 60
_SEGMENT_IDS = np.array([s.id for s in segment_definitions()])


@dataclass
class TickResult:
    chunk: ImpressionChunk
    depleted: list[int] = field(default_factory=list)
    # every auction entered: (campaign index, true p, min bid to win, won, price) — for the evaluation scoreboard only
    scored: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None


def build_features(
    population: Population,
    opps: Opportunities,
    hour: np.ndarray,
    day_of_week: np.ndarray,
    campaign_ids: np.ndarray,
    creative_rows: tuple[np.ndarray, np.ndarray, np.ndarray],
    creative: np.ndarray,
    user_frequency: np.ndarray,
) -> dict[str, np.ndarray]:
    """The advertiser-visible feature batch (see ``platforms.sandbox.estimator``) of opportunities."""
    u = opps.user
    ids, headlines, descriptions = creative_rows
    return {
        "campaign_id": campaign_ids[opps.campaign],
        "segment_id": _SEGMENT_IDS[segment_index(population.age[u], population.device[u])],
        "age_band": np.array(AGE_BANDS)[population.age[u]],
        "geo": np.array(GEOS)[population.geo[u]],
        "device": np.array(DEVICES)[population.device[u]],
        "interest": np.array(INTERESTS)[population.interest[u]],
        "site_category": np.array(SITE_CATEGORIES)[opps.site],
        "placement": np.array(PLACEMENTS)[opps.placement],
        "creative_id": ids[creative],
        "creative_headline": headlines[creative],
        "creative_description": descriptions[creative],
        "hour": hour.astype(np.int64),
        "day_of_week": day_of_week.astype(np.int64),
        "position": np.array(POSITIONS, dtype=np.int64)[opps.position],
        "user_frequency": user_frequency.astype(np.int64),
    }


class Engine:
    def __init__(
        self,
        seed: int,
        clock: SimClock,
        population: Population,
        traffic: TrafficModel,
        truth: Truth,
        market: Market,
        auction: AuctionRule,
        reserve_scale: float,
    ) -> None:
        self.seed, self.clock, self.population = seed, clock, population
        self.traffic, self.truth, self.market = traffic, truth, market
        self.auction, self.reserve_scale = auction, reserve_scale
        self._effects: dict[tuple[str, str], np.ndarray] = {}

    def _effect(self, creative: CreativeState) -> np.ndarray:
        key = (creative.headline, creative.description)
        if key not in self._effects:
            self._effects[key] = effect_by_segment(*key)
        return self._effects[key]

    def _choose_creatives(
        self, tick: int, opps: Opportunities, campaigns: list[CampaignState], creatives: list[CreativeState]
    ) -> np.ndarray:
        rng = rng_for(self.seed, Stream.ROTATION, tick)
        u = rng.random(len(opps))
        chosen = np.zeros(len(opps), dtype=np.int32)
        for camp in campaigns:
            pool = [c for c in creatives if c.campaign_id == camp.id and c.status == CreativeStatus.ACTIVE]
            mask = opps.campaign == camp.index
            if not pool or not mask.any():
                continue
            if camp.creative_rotation == CreativeRotation.EVEN:
                weights = np.ones(len(pool))
            else:
                weights = np.array([((c.clicks + 2.0) / (c.impressions + 100.0)) ** 3 for c in pool])
            cum = np.cumsum(weights / weights.sum())
            pick = np.minimum(np.searchsorted(cum, u[mask], side="right"), len(pool) - 1)
            chosen[mask] = np.array([c.index for c in pool], dtype=np.int32)[pick]
        return chosen

    def _modifiers(
        self, opps: Opportunities, segment: np.ndarray, hour: int, campaigns: list[CampaignState]
    ) -> np.ndarray:
        n_segments = len(_SEGMENT_IDS)
        n = max(c.index for c in campaigns) + 1
        seg_table = np.ones((n, n_segments))
        place_table = np.ones((n, len(PLACEMENTS)))
        scalar = np.zeros(n)
        for camp in campaigns:
            for s, seg_id in enumerate(_SEGMENT_IDS):
                seg_table[camp.index, s] = camp.segment_modifiers.get(str(seg_id), 1.0)
                if seg_id in camp.excluded_segments:
                    seg_table[camp.index, s] = 0.0
            for p, name in enumerate(PLACEMENTS):
                place_table[camp.index, p] = camp.placement_modifiers.get(name, 1.0)
            scalar[camp.index] = camp.bid_multiplier * camp.daypart_modifiers[hour] * camp.value_micros
        c = opps.campaign
        return np.asarray(scalar[c] * seg_table[c, segment] * place_table[c, opps.placement])

    def step(
        self,
        tick: int,
        campaigns: list[CampaignState],
        creatives: list[CreativeState],
        estimator: Estimator,
        frequency: np.ndarray,
    ) -> TickResult:
        """Simulate one tick. Mutates ``campaigns`` (spend), ``creatives`` (counters) and ``frequency`` in place."""
        live = [
            c for c in campaigns
            if c.status == CampaignStatus.ACTIVE and not c.depleted_today
            and c.spend_today_micros < c.daily_budget_micros
        ]
        hour, dow = self.clock.hour_of(tick), self.clock.day_of_week(tick)
        opps = self.traffic.draw(tick, dow, self.market.traffic_factor(tick), [c.index for c in live])
        n = len(opps)
        draws = rng_for(self.seed, Stream.OUTCOMES, tick).random((4, n))
        if n == 0:
            return TickResult(chunk=_empty_chunk())
        pop = self.population
        segment = np.asarray(segment_index(pop.age[opps.user], pop.device[opps.user]), dtype=np.int16)
        creative = self._choose_creatives(tick, opps, live, creatives)
        freq = frequency[opps.campaign, opps.user]
        hours = np.full(n, hour)
        campaign_ids = np.array([c.id for c in campaigns])
        rows = (
            np.array([c.id for c in creatives]),
            np.array([c.headline for c in creatives]),
            np.array([c.description for c in creatives]),
        )
        features = build_features(pop, opps, hours, np.full(n, dow), campaign_ids, rows, creative, freq)
        p_ctr_hat, p_cvr_hat = estimator.predict(features)
        modifier = self._modifiers(opps, segment, hour, live)
        bids = np.round(modifier * p_ctr_hat * p_cvr_hat).astype(np.int64)
        effects = np.stack([self._effect(c) for c in creatives])
        wear = np.array([c.impressions for c in creatives], dtype=float)
        p_ctr = self.truth.ctr(opps, hours, effects[creative, pop.age[opps.user], pop.device[opps.user]], freq,
                               wear[creative])
        p_cvr = self.truth.cvr(opps, hours)
        competing = self.market.competing_bids(opps.tick, opps.campaign, p_ctr * p_cvr, key=tick)
        reserve = np.round(RESERVE_MICROS[opps.placement] * self.reserve_scale).astype(np.int64)
        won, price = resolve(bids, competing, reserve, self.auction)
        won &= self._under_cap(opps, won, freq, campaigns)
        won, depleted = self._charge(opps, won, price, live)
        idx = np.flatnonzero(won)
        clicked = draws[0, idx] < p_ctr[idx]
        converted = clicked & (draws[1, idx] < p_cvr[idx])
        delay_rng = rng_for(self.seed, Stream.OUTCOMES, tick, 1)
        delay_min = self.truth.conversion_delay_hours(delay_rng, n)[idx] * 60
        minute = (tick + draws[2, idx]) * _TICK_MINUTES
        chunk = ImpressionChunk(
            tick=opps.tick[idx], campaign=opps.campaign[idx], user=opps.user[idx], segment=segment[idx],
            creative=creative[idx], site=opps.site[idx], placement=opps.placement[idx],
            position=opps.position[idx], user_frequency=freq[idx].astype(np.int32), clicked=clicked,
            convert_minute=np.where(converted, minute + delay_min, np.nan), cost=price[idx],
        )
        self._update_counters(chunk, creatives, frequency)
        scored = (opps.campaign, p_ctr * p_cvr, np.maximum(competing, reserve), won, price)
        return TickResult(chunk=chunk, depleted=depleted, scored=scored)

    @staticmethod
    def _under_cap(
        opps: Opportunities, won: np.ndarray, freq: np.ndarray, campaigns: list[CampaignState]
    ) -> np.ndarray:
        caps = np.array([c.frequency_cap_per_day or 10**9 for c in campaigns])
        key = opps.campaign.astype(np.int64) * (opps.user.max() + 1) + opps.user
        order = np.lexsort((np.arange(len(key)), key))
        sorted_won = won[order].astype(np.int64)
        sorted_key = key[order]
        cum = np.cumsum(sorted_won)
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
        offsets = np.repeat(cum[starts] - sorted_won[starts], np.diff(np.r_[starts, len(key)]))
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = cum - offsets - sorted_won
        return np.asarray(freq + rank < caps[opps.campaign])

    @staticmethod
    def _charge(
        opps: Opportunities, won: np.ndarray, price: np.ndarray, live: list[CampaignState]
    ) -> tuple[np.ndarray, list[int]]:
        depleted: list[int] = []
        won = won.copy()
        for camp in live:
            idx = np.flatnonzero(won & (opps.campaign == camp.index))
            remaining = camp.daily_budget_micros - camp.spend_today_micros
            cum = np.cumsum(price[idx])
            over = np.flatnonzero(cum > remaining)
            if over.size:
                won[idx[over[0]:]] = False
                camp.depleted_today = True
                depleted.append(camp.index)
                camp.spend_today_micros += int(cum[over[0] - 1]) if over[0] > 0 else 0
            else:
                camp.spend_today_micros += int(cum[-1]) if cum.size else 0
        return won, depleted

    @staticmethod
    def _update_counters(chunk: ImpressionChunk, creatives: list[CreativeState], frequency: np.ndarray) -> None:
        np.add.at(frequency, (chunk.campaign.astype(np.int64), chunk.user.astype(np.int64)), 1)
        impressions = np.bincount(chunk.creative, minlength=len(creatives))
        clicks = np.bincount(chunk.creative, weights=chunk.clicked.astype(float), minlength=len(creatives))
        for c in creatives:
            c.impressions += int(impressions[c.index])
            c.clicks += int(clicks[c.index])


def _empty_chunk() -> ImpressionChunk:
    i = np.zeros(0, dtype=np.int32)
    return ImpressionChunk(i, i, i, i, i, i, i, i, i, np.zeros(0, bool), np.zeros(0), np.zeros(0, np.int64))
