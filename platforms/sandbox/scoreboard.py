"""The evaluation scoreboard: per campaign and simulated day, the *true* conversion probability and the minimum
bid to win of every auction the campaign entered, and which it won.

This reads the hidden truth, so it is NOT part of the ``AdPlatform`` interface and no adapter method returns it: only
evaluation harnesses (the demo, benchmarks) reach it, through :func:`scoreboard_of`. From it they compute the score
``S = conv · min(1, C/CPA)²`` and the hindsight optimum LP* over the same auctions (EVALUATION.md §1).

Limitation, stated where the numbers are reported: auctions are recorded only while the campaign is live (active,
budget left), so on a day the budget ran out early LP* is taken over the auctions actually entered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

__all__ = ["CampaignDay", "Scoreboard", "scoreboard_of"]


@dataclass(frozen=True)
class CampaignDay:
    campaign_index: int
    day: int
    p: np.ndarray  # true conversion probability per auction entered
    m: np.ndarray  # minimum bid to win (micros)
    won: np.ndarray  # bool
    price: np.ndarray  # micros paid (0 where lost)

    @property
    def expected_conversions(self) -> float:
        return float(self.p[self.won].sum())

    @property
    def spend_micros(self) -> int:
        return int(self.price[self.won].sum())


class Scoreboard:
    def __init__(self, ticks_per_day: int) -> None:
        self.ticks_per_day = ticks_per_day
        self._parts: dict[tuple[int, int], list[tuple[np.ndarray, ...]]] = defaultdict(list)

    def record(self, tick: int, campaign: np.ndarray, p: np.ndarray, m: np.ndarray, won: np.ndarray,
               price: np.ndarray) -> None:
        day = tick // self.ticks_per_day
        for c in np.unique(campaign):
            mask = campaign == c
            self._parts[(int(c), day)].append((p[mask], m[mask], won[mask], np.where(won[mask], price[mask], 0)))

    def days(self) -> list[CampaignDay]:
        out = []
        for (c, day), parts in sorted(self._parts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            p, m, won, price = (np.concatenate([part[i] for part in parts]) for i in range(4))
            out.append(CampaignDay(c, day, p, m, won.astype(bool), price))
        return out


def scoreboard_of(platform: object) -> Scoreboard:
    """The scoreboard of a :class:`~platforms.sandbox.platform.SandboxPlatform` (evaluation harnesses only)."""
    board = getattr(platform, "_scoreboard", None)
    if not isinstance(board, Scoreboard):
        raise TypeError("only an in-process SandboxPlatform has a scoreboard")
    return board
