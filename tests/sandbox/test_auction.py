from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from platforms.sandbox.auction import AuctionRule, resolve


def test_second_price_pays_competing_bid_or_reserve() -> None:
    bids = np.array([100, 100, 100, 50], dtype=np.int64)
    competing = np.array([80.0, 20.0, 120.0, 10.0])
    reserve = np.array([30, 30, 30, 60], dtype=np.int64)
    won, price = resolve(bids, competing, reserve, AuctionRule.SECOND)
    assert won.tolist() == [True, True, False, False]
    assert price.tolist() == [80, 30, 0, 0]


def test_first_price_pays_own_bid() -> None:
    bids = np.array([100, 40], dtype=np.int64)
    won, price = resolve(bids, np.array([80.0, 50.0]), np.array([10, 10], dtype=np.int64), AuctionRule.FIRST)
    assert won.tolist() == [True, False]
    assert price.tolist() == [100, 0]


@given(
    st.lists(st.tuples(st.integers(0, 10**6), st.floats(0, 2e6), st.integers(0, 10**5)), min_size=1, max_size=50),
    st.sampled_from(list(AuctionRule)),
)
def test_winner_never_pays_more_than_bid_nor_less_than_reserve(rows: list[tuple[int, float, int]],
                                                               rule: AuctionRule) -> None:
    bids = np.array([r[0] for r in rows], dtype=np.int64)
    competing = np.array([r[1] for r in rows])
    reserve = np.array([r[2] for r in rows], dtype=np.int64)
    won, price = resolve(bids, competing, reserve, rule)
    assert np.all(price[won] <= bids[won])
    assert np.all(price[won] >= reserve[won])
    assert np.all(price[won] >= np.ceil(competing[won]))
    assert np.all(price[~won] == 0)
    assert price.dtype == np.int64
