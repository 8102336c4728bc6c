"""The platform's own target-CPA bidding with platform-side pacing — the sandbox's Smart Bidding stand-in.

A campaign with ``bid_strategy == "target_cpa"`` bids ``bid multiplier · α · modifiers · p̂`` where the platform sets
α (micros per expected conversion) every tick. α maximises the day's expected conversions subject to

- spend ≤ the daily budget (forecast over the rest of the day, so the budget lasts the whole day instead of running
  out by midday), and
- the day's CPA ≤ the campaign's target CPA (its conversion value when it has none),

which is the LP that defines LP*, solved with what a platform knows:

1. **The auction landscape**: the platform runs the auctions, so for every opportunity the campaign was eligible for
   (won, lost, or while it could not bid) it knows the minimum bid to win ``m`` and its own ``p̂``. Per tick of the
   day and per α on a log grid it tabulates the spend and the expected conversions α would have bought. The last
   ``_REFERENCE_DAYS`` days, averaged, forecast the rest of today; today's ticks so far correct that forecast by the
   ratio today / reference at the same α (recency-weighted, shrunk toward 1 early in the day), so a price or traffic
   shock moves the plan. With no reference yet, today's landscape so far is extrapolated with the hourly traffic
   forecast (the market's daily curve).
2. **Its estimator** (``learned_estimator.py``, refit daily) for p̂.
3. **Calibration on real conversions**, hourly: bidding selects the auctions where p̂ overestimates (the market bids
   less where the true value is low), and before the first refit p̂ is only a prior, so expected conversions are
   scaled by κ = conversions observed / expected-matured over the campaign's wins since the estimator last changed
   (out of sample; at most a week), with a prior; expected-matured uses the platform's conversion-delay curve
   (log-normal, median 2.5 h — a platform learns it from every advertiser's conversions).
4. **Safeguards**: a budget margin for the hard cap, α moves at most ``_MAX_STEP``× per tick within a day.

Advertiser levers still apply: segment, daypart and placement modifiers shape which auctions the platform goes for
(they are inside the landscape it optimises over); the bid multiplier applies on top of α, so raising it overbids the
platform's plan; the budget and the target CPA are the constraints. Second-price auctions are forecast exactly;
first price is forecast as paying the bid.

The bidder's state (landscapes, wins) is not part of the sandbox snapshot: a restored sandbox starts it afresh.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from platforms.sandbox.campaign_state import CampaignState
from platforms.sandbox.clock import TICK, TICKS_PER_DAY
from platforms.sandbox.logstore import LogStore
from platforms.sandbox.traffic import daily_curve

__all__ = ["MANUAL", "TARGET_CPA", "SmartBidding"]

MANUAL = "manual"
TARGET_CPA = "target_cpa"
_GRID = np.exp(np.linspace(np.log(1e3), np.log(1e10), 481))  # α, micros per conversion: ~3.4 % steps
_REFERENCE_DAYS = 3
_HALFLIFE_TICKS = 8.0
_PRIOR_TICKS = 2.0
_MAX_STEP = 1.6
_BUDGET_MARGIN = 0.01
_CPA_MARGIN = 0.02
_KAPPA_PRIOR = 20.0  # expected conversions; 10 and ∞ (no calibration) did worse on held-out seeds
_KAPPA_WINDOW_TICKS = 7 * TICKS_PER_DAY
_TICK_MINUTES = TICK.total_seconds() / 60
_DELAY_MEDIAN_H, _DELAY_SIGMA, _DELAY_MAX_H = 2.5, 1.0, 72.0


def _delay_cdf(ticks: np.ndarray) -> np.ndarray:
    """Share of conversions arrived ``ticks`` after an impression's tick starts (impression mid-tick on average)."""
    hours = np.maximum(ticks - 0.5, 1e-9) / 2.0
    cdf = ndtr((np.log(hours) - math.log(_DELAY_MEDIAN_H)) / _DELAY_SIGMA)
    return np.asarray(np.where(hours >= _DELAY_MAX_H, 1.0, cdf))


@dataclass
class _Book:
    """One campaign's landscapes: per tick of the day and per grid α, cumulative spend and expected conversions."""

    history: deque[tuple[np.ndarray, np.ndarray]] = field(default_factory=lambda: deque(maxlen=_REFERENCE_DAYS))
    # the history averaged: per tick (spend, conv), and what is left of the day from each tick (suffix sums)
    reference: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
    spend: np.ndarray = field(default_factory=lambda: np.zeros((TICKS_PER_DAY, _GRID.size)))
    conv: np.ndarray = field(default_factory=lambda: np.zeros((TICKS_PER_DAY, _GRID.size)))
    won_p_today: float = 0.0
    won_p: dict[int, float] = field(default_factory=dict)  # absolute tick → Σ p̂ of wins
    since: int = 0  # calibration window start: the last change of estimator
    kappa: float = 1.0
    alpha: float | None = None
    alpha_tick: int = -1


class SmartBidding:
    def __init__(self, first_price: bool = False) -> None:
        self.first_price = first_price
        self._books: dict[int, _Book] = {}
        self._curve = daily_curve()
        self._decay = 0.5 ** (1.0 / _HALFLIFE_TICKS)

    @staticmethod
    def manages(campaign: CampaignState) -> bool:
        return campaign.bid_strategy == TARGET_CPA

    def _book(self, index: int) -> _Book:
        return self._books.setdefault(index, _Book())

    def kappa(self, index: int) -> float:
        return self._book(index).kappa

    # ------------------------------------------------------------------------------------------ bidding
    def value_micros(self, campaign: CampaignState, tick: int) -> float:
        """``bid multiplier · α`` for this tick (the engine multiplies by modifiers and p̂)."""
        book = self._book(campaign.index)
        if book.alpha_tick != tick:
            solved = self._solve(book, campaign, tick % TICKS_PER_DAY)
            if book.alpha is not None and tick % TICKS_PER_DAY:
                solved = float(np.clip(solved, book.alpha / _MAX_STEP, book.alpha * _MAX_STEP))
            book.alpha, book.alpha_tick = solved, tick
        assert book.alpha is not None
        return campaign.bid_multiplier * book.alpha

    def _forecast(self, book: _Book, now: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Spend and expected conversions (p̂) of ticks ``now…`` at every grid α, or ``None`` with nothing to go on."""
        if book.reference is not None:
            ref_s, ref_v, rem_s, rem_v = book.reference
            if now == 0:
                return rem_s[0], rem_v[0]
            w = (self._decay ** (now - 1 - np.arange(now)))[:, None]  # numpy sums, not BLAS: thread-count proof
            prior_s, prior_v = _PRIOR_TICKS / TICKS_PER_DAY * rem_s[0], _PRIOR_TICKS / TICKS_PER_DAY * rem_v[0]
            s_ratio = ((w * book.spend[:now]).sum(axis=0) + prior_s) / np.maximum(
                (w * ref_s[:now]).sum(axis=0) + prior_s, 1e-9)
            v_ratio = ((w * book.conv[:now]).sum(axis=0) + prior_v) / np.maximum(
                (w * ref_v[:now]).sum(axis=0) + prior_v, 1e-9)
            return rem_s[now] * s_ratio, rem_v[now] * v_ratio
        if now == 0:
            return None
        scale = self._curve[now:].sum() / self._curve[:now].sum()
        return book.spend[:now].sum(axis=0) * scale, book.conv[:now].sum(axis=0) * scale

    def _solve(self, book: _Book, campaign: CampaignState, now: int) -> float:
        target = float(campaign.value_micros)
        forecast = self._forecast(book, now)
        if forecast is None:
            return target
        spend, conv = forecast
        spent = float(campaign.spend_today_micros)
        budget_left = campaign.daily_budget_micros * (1.0 - _BUDGET_MARGIN) - spent
        conversions = book.kappa * (book.won_p_today + conv)
        feasible = (spend <= budget_left) & (spent + spend <= target * (1.0 - _CPA_MARGIN) * conversions)
        if not feasible.any():
            return float(_GRID[0])
        return float(_GRID[int(np.flatnonzero(feasible)[-1])])

    # ------------------------------------------------------------------------------------------ learning
    def observe(
        self, tick: int, campaign: np.ndarray, base: np.ndarray, p_hat: np.ndarray, m: np.ndarray, won: np.ndarray,
        price: np.ndarray,
    ) -> None:
        """The tick's landscape: per opportunity the campaign, ``base`` = modifiers · p̂ (the bid at α = 1 before the
        bid multiplier), p̂, the minimum bid to win, and the outcome."""
        t = tick % TICKS_PER_DAY
        for index in np.unique(campaign):
            book = self._books.get(int(index))
            if book is None:
                continue
            mask = campaign == index
            b, p, need = base[mask], p_hat[mask], m[mask].astype(float)
            ok = b > 0
            g = np.searchsorted(_GRID, need[ok] / b[ok], side="left")
            inside = g < _GRID.size
            g, p_ok = g[inside], p[ok][inside]
            paid = (_GRID[g] * b[ok][inside]) if self.first_price else need[ok][inside]
            book.spend[t] = np.cumsum(np.bincount(g, weights=paid, minlength=_GRID.size))
            book.conv[t] = np.cumsum(np.bincount(g, weights=p_ok, minlength=_GRID.size))
            gained = float(p[won[mask]].sum())
            book.won_p_today += gained
            if gained:
                book.won_p[tick] = book.won_p.get(tick, 0.0) + gained

    def calibrate(self, tick: int, store: LogStore) -> None:
        """Hourly: κ from the conversions observed so far on the impressions won since the estimator last changed
        (at most a week back), against the p̂ they were bought at, matured by the delay curve."""
        cols = store.columns()
        now_minute = tick * _TICK_MINUTES
        for index, book in self._books.items():
            lo = max(book.since, tick - _KAPPA_WINDOW_TICKS)
            book.won_p = {t: v for t, v in book.won_p.items() if t >= lo}
            idx = store.select(lo, tick, campaign=index)
            observed = float((np.nan_to_num(cols["convert_minute"][idx], nan=np.inf) <= now_minute).sum())
            ticks = np.fromiter(book.won_p, dtype=float, count=len(book.won_p))
            won = np.fromiter(book.won_p.values(), dtype=float, count=len(book.won_p))
            expected = float(np.sum(won * _delay_cdf(tick - ticks))) if ticks.size else 0.0
            book.kappa = (observed + _KAPPA_PRIOR) / (expected + _KAPPA_PRIOR)

    def start_day(self, tick: int, estimator_changed: bool) -> None:
        """At a day boundary: today's landscape becomes a reference day; a new estimator restarts calibration (κ
        measures the bias of the p̂ the wins were bought at, out of sample)."""
        for book in self._books.values():
            book.history.append((book.spend, book.conv))
            ref_s = np.mean([h[0] for h in book.history], axis=0)
            ref_v = np.mean([h[1] for h in book.history], axis=0)
            suffix_s = np.cumsum(ref_s[::-1], axis=0)[::-1]
            suffix_v = np.cumsum(ref_v[::-1], axis=0)[::-1]
            book.reference = (ref_s, ref_v, suffix_s, suffix_v)
            book.spend = np.zeros((TICKS_PER_DAY, _GRID.size))
            book.conv = np.zeros((TICKS_PER_DAY, _GRID.size))
            book.won_p_today = 0.0
            if estimator_changed:
                book.since, book.won_p, book.kappa = tick, {}, 1.0
