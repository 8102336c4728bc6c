"""Auction rules: second price (default: the winner pays the larger of the highest competing bid and the reserve)
or first price (the winner pays its bid); bids below the reserve or the competing bid lose. Ties go to the advertiser.
Pure functions on integer-micros arrays so they can be tested in isolation."""

from __future__ import annotations

from enum import StrEnum

import numpy as np

__all__ = ["AuctionRule", "resolve"]


class AuctionRule(StrEnum):
    FIRST = "first"
    SECOND = "second"


def resolve(
    bids: np.ndarray, competing: np.ndarray, reserve: np.ndarray, rule: AuctionRule
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(won, price_micros)``; ``price`` is 0 where the auction is lost. ``bids`` and ``reserve`` are int
    micros, ``competing`` may be float micros (rounded up: a competitor's fractional micro still beats a tie)."""
    threshold = np.maximum(np.ceil(competing).astype(np.int64), reserve.astype(np.int64))
    won = (bids >= threshold) & (bids > 0)
    paid = threshold if rule is AuctionRule.SECOND else bids.astype(np.int64)
    return won, np.where(won, paid, 0).astype(np.int64)
