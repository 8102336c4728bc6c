"""The controller interface: what a pacing/bidding controller is told and what it answers.

A controller paces one campaign over one period (a day of ``ticks`` ticks). Each tick the harness (the sandbox bench,
an agent tool, a live adapter) asks it for bids — ``bids(base_values)`` where ``base = p̂ · value per conversion``
(micros) is the bid of a value-maximiser with multiplier 1 — and afterwards reports what happened in a
:class:`TickFeedback`. Everything is plain numbers and numpy arrays; nothing depends on a platform.

``AuctionLandscape`` is optional feedback per auction entered: the base value and the *minimum bid to win* (the
highest competing bid or the reserve, whichever is larger), as exchanges report it to bidders (e.g. Google AdX's
minimum-bid-to-win). A controller uses it to predict spend and conversions at any other multiplier.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = ["AuctionLandscape", "Controller", "PacingGoal", "TickFeedback"]


@dataclass(frozen=True)
class PacingGoal:
    """Budget for the period (hard), target CPA (soft; ``None`` = maximise conversions within budget)."""

    budget_micros: int
    target_cpa_micros: int | None
    ticks: int = 48
    first_price: bool = False


@dataclass(frozen=True)
class AuctionLandscape:
    """Per-auction records: tick within the period, base value (micros), minimum bid to win (micros)."""

    tick: np.ndarray
    base: np.ndarray
    min_to_win: np.ndarray

    def __len__(self) -> int:
        return int(self.tick.shape[0])

    @staticmethod
    def concat(parts: list[AuctionLandscape]) -> AuctionLandscape:
        return AuctionLandscape(
            tick=np.concatenate([p.tick for p in parts]),
            base=np.concatenate([p.base for p in parts]),
            min_to_win=np.concatenate([p.min_to_win for p in parts]),
        )


@dataclass(frozen=True)
class TickFeedback:
    """What happened in one tick. ``conversions_estimated`` = Σ p̂ of the impressions won; ``conversions_observed``
    = conversions *reported* during this tick (of impressions won earlier — delayed labels)."""

    tick: int
    spend_micros: int
    wins: int
    auctions: int
    conversions_estimated: float
    conversions_observed: float = 0.0
    landscape: AuctionLandscape | None = field(default=None)


@runtime_checkable
class Controller(Protocol):
    """State in (the goal, at construction), per-tick feedback in, bids out."""

    def bid_multiplier(self) -> float: ...

    def bids(self, base_values: np.ndarray) -> np.ndarray: ...

    def observe(self, feedback: TickFeedback) -> None: ...
