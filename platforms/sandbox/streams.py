"""Named random streams addressed by (seed, purpose, tick, …) instead of one sequential generator.

Why: the draws of tick ``t`` do not depend on what happened before it, so (1) the RNG "position" of a running
sandbox is just its clock tick — a snapshot needs no generator state; (2) two runs that differ only in advertiser
controls see the same users, contexts and competing bids (common random numbers), so a counterfactual comparison
measures the controls and not the noise.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["Stream", "rng_for"]


class Stream(IntEnum):
    POPULATION = 1
    TRUTH = 2
    TRAFFIC = 3
    MARKET = 4
    OUTCOMES = 5
    ROTATION = 6
    SHOCKS = 7
    ACCOUNT = 8
    BENCH = 9
    PLATFORM_MODEL = 10


def rng_for(seed: int, stream: Stream, *keys: int) -> np.random.Generator:
    """A generator determined by ``seed``, the purpose and integer keys (tick, campaign index, …)."""
    spawn_key = (int(stream), *(int(k) for k in keys))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=spawn_key)))
