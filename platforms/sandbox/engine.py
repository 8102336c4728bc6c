"""One tick of the market, vectorised over every opportunity of every campaign (no Python loop per opportunity).

Order of a tick:

1. draw the opportunities of **every** campaign of the account, whatever its state (paused, out of budget, excluded
   segments, capped users), with every uniform their outcomes will use and the highest competing bid. None of this
   depends on what the advertiser did (common random numbers): traffic, outcome, rotation and market streams are keyed
   by (seed, tick[, campaign]) and draw the same count every time, and competitors bid on a policy-independent true
   p (frequency 0, no wear, the mean text effect of the campaign's launch creatives): they see the user and the
   context, not which ad this advertiser shows nor how often it showed it. The launch creatives' mean effect (rather
   than none) keeps the market's price level where the demo account was tuned;
2. the campaigns that bid this tick (live ones, and ``target_cpa`` ones whose landscape the platform keeps even while
   they cannot bid) pick a creative for each opportunity (rotation: ``even`` = uniform, ``optimize`` = the platform
   favours creatives with a higher observed, smoothed CTR);
3. bid ``bid multiplier · value · segment · daypart · placement modifiers · p̂CTR · p̂CVR`` with p̂ from the
   estimator and ``value`` the campaign's target CPA (``manual``) or the platform's per-tick target-CPA scale α
   (``target_cpa``, ``smart_bidding.py``); excluded segments bid 0; campaigns that are not live bid 0;
4. resolve the auction against the highest competing bid and the reserve (second or first price);
5. enforce the frequency cap within the tick and the **hard daily budget**: impressions are charged in order and the
   first one that would take spend past the budget stops the campaign for the day (``budget_depleted``). Spend can
   therefore never exceed the budget;
6. sample outcomes from the hidden truth (click, conversion, conversion delay) with the dice drawn in step 1;
7. record every opportunity for the evaluation scoreboard (``scoreboard.py``).
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
from platforms.sandbox.learned_estimator import CodedEstimator, opportunity_codes
from platforms.sandbox.logstore import ImpressionChunk
from platforms.sandbox.market import RESERVE_MICROS, Market
from platforms.sandbox.scoreboard import TickRecord
from platforms.sandbox.smart_bidding import SmartBidding
from platforms.sandbox.streams import Stream, rng_for
from platforms.sandbox.traffic import Opportunities, Population, TrafficModel
from platforms.sandbox.truth import Truth, sigmoid
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
    scored: TickRecord | None = None  # every eligible opportunity: for the evaluation scoreboard only


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
        launch_creatives: list[CreativeState],
        campaign_ids: list[str],
    ) -> None:
        self.seed, self.clock, self.population = seed, clock, population
        self.traffic, self.truth, self.market = traffic, truth, market
        self.auction, self.reserve_scale = auction, reserve_scale
        self._effects: dict[tuple[str, str], np.ndarray] = {}
        self.mean_effect, self.best_effect = self._launch_effects(launch_creatives, campaign_ids)

    def _launch_effects(self, launch: list[CreativeState], campaign_ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per campaign and segment (age × device), the mean and the best text effect (logit) of its approved launch
        creatives. The best one is the scoreboard's reference (the LP may show each opportunity the launch creative
        that suits it best, so LP* bounds every policy that keeps them); the mean one is what competitors' bids
        scale with (the price level the demo account was tuned to)."""
        shape = (len(campaign_ids), len(AGE_BANDS), len(DEVICES))
        mean, best = np.zeros(shape), np.zeros(shape)
        for c, cid in enumerate(campaign_ids):
            mine = [self._effect(cr) for cr in launch if cr.campaign_id == cid and not cr.disapproval_reasons]
            if mine:
                mean[c], best[c] = np.mean(mine, axis=0), np.max(mine, axis=0)
        return mean, best

    def _effect(self, creative: CreativeState) -> np.ndarray:
        key = (creative.headline, creative.description)
        if key not in self._effects:
            self._effects[key] = effect_by_segment(*key)
        return self._effects[key]

    def _choose_creatives(
        self, opps: Opportunities, u: np.ndarray, campaigns: list[CampaignState], creatives: list[CreativeState]
    ) -> np.ndarray:
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
            scalar[camp.index] = camp.daypart_modifiers[hour]
        c = opps.campaign
        return np.asarray(scalar[c] * seg_table[c, segment] * place_table[c, opps.placement])

    def step(
        self,
        tick: int,
        campaigns: list[CampaignState],
        creatives: list[CreativeState],
        estimator: Estimator,
        frequency: np.ndarray,
        smart: SmartBidding | None = None,
    ) -> TickResult:
        """Simulate one tick. Mutates ``campaigns`` (spend), ``creatives`` (counters) and ``frequency`` in place."""
        hour, dow = self.clock.hour_of(tick), self.clock.day_of_week(tick)
        # every campaign's opportunities and dice, whatever it did: common random numbers (module docstring)
        opps = self.traffic.draw(tick, dow, self.market.traffic_factor(tick), [c.index for c in campaigns])
        n = len(opps)
        if n == 0:
            return TickResult(chunk=_empty_chunk())
        dice = rng_for(self.seed, Stream.OUTCOMES, tick)  # n does not depend on the policy: same dice for all
        draws = dice.random((3, n))
        delay_min = self.truth.conversion_delay_hours(dice, n) * 60
        rotation = dice.random(n)
        pop = self.population
        age, device = pop.age[opps.user], pop.device[opps.user]
        hours = np.full(n, hour)
        p_cvr = self.truth.cvr(opps, hours)
        logit = self.truth.ctr_logit(opps, hours)
        p_ref = sigmoid(logit + self.best_effect[opps.campaign, age, device]) * p_cvr
        p_market = sigmoid(logit + self.mean_effect[opps.campaign, age, device]) * p_cvr
        competing = self.market.competing_bids(opps.tick, opps.campaign, p_market, key=tick)
        reserve = np.round(RESERVE_MICROS[opps.placement] * self.reserve_scale).astype(np.int64)
        m = np.maximum(np.ceil(competing).astype(np.int64), reserve)

        live = [
            c for c in campaigns
            if c.status == CampaignStatus.ACTIVE and not c.depleted_today
            and c.spend_today_micros < c.daily_budget_micros
        ]
        is_live = np.zeros(len(campaigns), dtype=bool)
        is_live[[c.index for c in live]] = True
        bidding = [c for c in campaigns if is_live[c.index] or (smart is not None and smart.manages(c))]
        needs_bid = np.zeros(len(campaigns), dtype=bool)
        needs_bid[[c.index for c in bidding]] = True
        sel = np.flatnonzero(needs_bid[opps.campaign])
        entered = np.zeros(n, dtype=bool)
        won_all = np.zeros(n, dtype=bool)
        p_won = np.zeros(n)
        price_all = np.zeros(n, dtype=np.int64)
        chunk, depleted = _empty_chunk(), list[int]()
        if sel.size:
            sub = opps.take(sel)
            segment = np.asarray(segment_index(age[sel], device[sel]), dtype=np.int16)
            creative = self._choose_creatives(sub, rotation[sel], bidding, creatives)
            freq = frequency[sub.campaign, sub.user]
            p_ctr_hat, p_cvr_hat = self._predict(estimator, sub, hour, dow, campaigns, creatives, creative, freq)
            p_hat = p_ctr_hat * p_cvr_hat
            modifier = self._modifiers(sub, segment, hour, bidding)
            value = np.array([
                smart.value_micros(c, tick) if smart is not None and smart.manages(c)
                else c.bid_multiplier * c.value_micros
                for c in campaigns
            ], dtype=float)
            bids = np.round(modifier * value[sub.campaign] * p_hat).astype(np.int64)
            bids[~is_live[sub.campaign]] = 0
            effects = np.stack([self._effect(c) for c in creatives])
            wear = np.array([c.impressions for c in creatives], dtype=float)
            p_ctr = sigmoid(logit[sel] + self.truth.ctr_adjustment(effects[creative, age[sel], device[sel]], freq,
                                                                   wear[creative]))
            won, price = resolve(bids, competing[sel], reserve[sel], self.auction)
            won &= self._under_cap(sub, won, freq, campaigns)
            won, depleted = self._charge(sub, won, price, live)
            if smart is not None:
                smart.observe(tick, sub.campaign, modifier * p_hat, p_hat, m[sel], won, price)
            idx = np.flatnonzero(won)
            rows = sel[idx]
            clicked = draws[0, rows] < p_ctr[idx]
            converted = clicked & (draws[1, rows] < p_cvr[rows])
            minute = (tick + draws[2, rows]) * _TICK_MINUTES
            chunk = ImpressionChunk(
                tick=sub.tick[idx], campaign=sub.campaign[idx], user=sub.user[idx], segment=segment[idx],
                creative=creative[idx], site=sub.site[idx], placement=sub.placement[idx],
                position=sub.position[idx], user_frequency=freq[idx].astype(np.int32), clicked=clicked,
                convert_minute=np.where(converted, minute + delay_min[rows], np.nan), cost=price[idx],
            )
            self._update_counters(chunk, creatives, frequency)
            entered[sel] = bids > 0
            won_all[rows] = True
            p_won[rows] = p_ctr[idx] * p_cvr[rows]
            price_all[rows] = price[idx]
        scored = TickRecord(campaign=opps.campaign, p_ref=p_ref, m=m, entered=entered, won=won_all, p_won=p_won,
                            price=price_all)
        return TickResult(chunk=chunk, depleted=depleted, scored=scored)

    def _predict(
        self,
        estimator: Estimator,
        opps: Opportunities,
        hour: int,
        dow: int,
        campaigns: list[CampaignState],
        creatives: list[CreativeState],
        creative: np.ndarray,
        freq: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(opps)
        if isinstance(estimator, CodedEstimator) and estimator.ready:
            codes = opportunity_codes(self.population, opps, np.full(n, hour), np.full(n, dow), creative, freq)
            return estimator.predict_codes(codes)
        campaign_ids = np.array([c.id for c in campaigns])
        rows = (
            np.array([c.id for c in creatives]),
            np.array([c.headline for c in creatives]),
            np.array([c.description for c in creatives]),
        )
        features = build_features(self.population, opps, np.full(n, hour), np.full(n, dow), campaign_ids, rows,
                                  creative, freq)
        return estimator.predict(features)

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
