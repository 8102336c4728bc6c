"""The evaluation scoreboard: per campaign and simulated day, every opportunity the campaign was eligible for, with a
policy-independent true conversion probability and the minimum bid to win, plus what the policy actually won.

This reads the hidden truth, so it is NOT part of the ``AdPlatform`` interface and no adapter method returns it: only
evaluation harnesses (the demo, benchmarks) reach it, through :func:`scoreboard_of`. Its public evaluation API is
:meth:`Scoreboard.day_scores` and :meth:`Scoreboard.pct_of_lp` (EVALUATION.md §1 and §5).

Why every policy is divided by the same number (common random numbers):

- **Eligible** = every opportunity drawn for the campaign in a tick, whatever its state (paused, out of budget,
  excluded segment, frequency cap, zero bid). The draws never depend on the advertiser (see ``engine.py``).
- **p_ref**, the reference conversion probability LP* is taken over, is the truth at user frequency 0, no creative
  wear, and the best text effect among the campaign's approved *launch* creatives for the opportunity's segment (age
  band × device). It does not depend on which creative the policy showed, how often, or for how long, and it is at
  least the realised p of any policy that keeps the launch creatives, so LP* bounds those. A policy that writes
  better creatives than the launch ones can exceed LP* (over 100 %): a real gain, not a measurement artefact.
- **m** = ``max(highest competing bid, reserve)``; competitors bid on a policy-independent p as well (``market.py``).
- LP* constraints and the score's target use the campaign's **launch** daily budget and **launch** target CPA (its
  conversion value where it has no target), so a policy that edits budgets or targets is still divided by the same
  number and scored against the same target.

The score (AuctionNet's, :func:`platforms.sandbox.optimum.score`) uses the *realised* true p of the auctions actually
won (with the creative shown, the user's frequency and the creative's wear) and their prices.

Memory: a campaign-day's raw arrays are kept for ``retain_days`` days (for :meth:`days`); its :class:`DayScore` is
computed when the day closes and kept for good, so a long run holds a few numbers per campaign-day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from platforms.sandbox.optimum import lp_star, score

__all__ = ["CampaignDay", "DayScore", "LaunchTerms", "Scoreboard", "TickRecord", "scoreboard_of"]


@dataclass(frozen=True)
class LaunchTerms:
    """A campaign's launch daily budget and the target its LP* and score use (target CPA, else conversion value)."""

    budget_micros: int
    target_cpa_micros: int


@dataclass(frozen=True)
class TickRecord:
    """Every eligible opportunity of one tick (one row each, any campaign)."""

    campaign: np.ndarray
    p_ref: np.ndarray  # policy-independent true conversion probability (see module docstring)
    m: np.ndarray  # minimum bid to win, int micros
    entered: np.ndarray  # bool: the campaign was live and bid > 0
    won: np.ndarray  # bool
    p_won: np.ndarray  # realised true conversion probability where won, else 0
    price: np.ndarray  # micros paid where won, else 0


@dataclass(frozen=True)
class CampaignDay:
    """Raw arrays of one campaign-day, one row per eligible opportunity. ``p`` is ``p_ref``."""

    campaign_index: int
    day: int
    p: np.ndarray
    m: np.ndarray
    entered: np.ndarray
    won: np.ndarray
    p_won: np.ndarray
    price: np.ndarray

    @property
    def expected_conversions(self) -> float:
        """Σ realised true p over the auctions won."""
        return float(self.p_won.sum())

    @property
    def spend_micros(self) -> int:
        return int(self.price.sum())


@dataclass(frozen=True)
class DayScore:
    campaign_index: int
    day: int
    score: float
    lp_star: float
    expected_conversions: float
    spend_micros: int
    budget_micros: int  # launch
    target_cpa_micros: int  # launch (or the conversion value)
    eligible: int
    entered: int
    won: int

    @property
    def pct_of_lp(self) -> float | None:
        return 100.0 * self.score / self.lp_star if self.lp_star > 0 else None


class Scoreboard:
    def __init__(self, ticks_per_day: int, launch: Sequence[LaunchTerms], retain_days: int = 7) -> None:
        self.ticks_per_day = ticks_per_day
        self.launch = tuple(launch)
        self.retain_days = retain_days
        self._open: dict[tuple[int, int], list[tuple[np.ndarray, ...]]] = {}
        self._raw: dict[tuple[int, int], CampaignDay] = {}
        self._closed: dict[tuple[int, int], DayScore] = {}

    def record(self, tick: int, rec: TickRecord) -> None:
        day = tick // self.ticks_per_day
        if any(d < day for _, d in self._open):
            self._close_before(day)
        order = np.argsort(rec.campaign, kind="stable")
        campaign = rec.campaign[order]
        cuts = np.flatnonzero(np.diff(campaign)) + 1
        for rows in np.split(order, cuts):
            if rows.size == 0:
                continue
            key = (int(rec.campaign[rows[0]]), day)
            self._open.setdefault(key, []).append(tuple(
                a[rows] for a in (rec.p_ref, rec.m, rec.entered, rec.won, rec.p_won, rec.price)
            ))

    def _merge(self, key: tuple[int, int]) -> CampaignDay:
        parts = self._open[key]
        p, m, entered, won, p_won, price = (np.concatenate([part[i] for part in parts]) for i in range(6))
        return CampaignDay(key[0], key[1], p.astype(float), m.astype(np.int64), entered.astype(bool),
                           won.astype(bool), p_won.astype(float), price.astype(np.int64))

    def _score(self, day: CampaignDay) -> DayScore:
        terms = self.launch[day.campaign_index]
        target, budget = float(terms.target_cpa_micros), float(terms.budget_micros)
        upper = lp_star(day.p, day.m.astype(float).clip(min=1.0), budget, target) if day.p.size else 0.0
        return DayScore(
            campaign_index=day.campaign_index, day=day.day,
            score=score(day.expected_conversions, day.spend_micros, target), lp_star=upper,
            expected_conversions=day.expected_conversions, spend_micros=day.spend_micros,
            budget_micros=terms.budget_micros, target_cpa_micros=terms.target_cpa_micros,
            eligible=int(day.p.size), entered=int(day.entered.sum()), won=int(day.won.sum()),
        )

    def _close_before(self, day: int) -> None:
        for key in sorted(k for k in self._open if k[1] < day):
            merged = self._merge(key)
            self._closed[key] = self._score(merged)
            self._raw[key] = merged
            del self._open[key]
        for key in [k for k in self._raw if k[1] <= day - 1 - self.retain_days]:
            del self._raw[key]

    def days(self) -> list[CampaignDay]:
        """Raw arrays of the retained days (the last ``retain_days`` closed days and the open day)."""
        out = dict(self._raw)
        out.update({key: self._merge(key) for key in self._open})
        return [out[k] for k in sorted(out, key=lambda k: (k[1], k[0]))]

    def day_scores(self) -> list[DayScore]:
        """Score and LP* of every campaign-day so far (the open day over its ticks so far), by day then campaign."""
        out = dict(self._closed)
        out.update({key: self._score(self._merge(key)) for key in self._open})
        return [out[k] for k in sorted(out, key=lambda k: (k[1], k[0]))]

    def pct_of_lp(self, campaign_index: int | None = None) -> float | None:
        """100 · Σ score / Σ LP* over all campaign-days (or one campaign's); ``None`` when LP* is 0."""
        rows = [d for d in self.day_scores() if campaign_index is None or d.campaign_index == campaign_index]
        upper = sum(d.lp_star for d in rows)
        return 100.0 * sum(d.score for d in rows) / upper if upper > 0 else None


def scoreboard_of(platform: object) -> Scoreboard:
    """The scoreboard of a :class:`~platforms.sandbox.platform.SandboxPlatform` (evaluation harnesses only)."""
    board = getattr(platform, "_scoreboard", None)
    if not isinstance(board, Scoreboard):
        raise TypeError("only an in-process SandboxPlatform has a scoreboard")
    return board
