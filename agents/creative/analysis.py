"""The statistics of the creative test, and fatigue.

The test is Bayesian (Thompson sampling's posterior, not a p-value): each active creative's CTR has a
Beta(1 + clicks, 1 + impressions − clicks) posterior, and ``P(best)`` is estimated by sampling from all posteriors
at once with a fixed seed. A creative is retired only when P(best) < ``LOSER_P`` *and* it has at least
``MIN_TEST_IMPRESSIONS`` — a posterior probability does not inflate with repeated looks the way a repeatedly
checked p-value does, so reading it every cycle carries no peeking bias.

Fatigue: CTR over the recent half of the window below ``FATIGUE_DROP`` × the older half, with enough impressions
in both halves.
"""

from __future__ import annotations

import numpy as np

from agents.candidates import Candidate
from tools.read import CreativePerformance

__all__ = ["FATIGUE_DROP", "LOSER_P", "MIN_TEST_IMPRESSIONS", "creative_candidates", "prob_best"]

LOSER_P = 0.05
MIN_TEST_IMPRESSIONS = 2000
FATIGUE_DROP = 0.75
DRAWS = 4000


def prob_best(creatives: list[CreativePerformance], seed: int = 0) -> dict[int, float]:
    """P(each creative has the highest CTR) under independent Beta posteriors."""
    if not creatives:
        return {}
    rng = np.random.default_rng(seed)
    clicks = np.array([c.metrics.clicks for c in creatives], dtype=float)
    imps = np.array([c.metrics.impressions for c in creatives], dtype=float)
    samples = rng.beta(1 + clicks, 1 + np.maximum(imps - clicks, 0), size=(DRAWS, len(creatives)))
    wins = np.bincount(samples.argmax(axis=1), minlength=len(creatives)) / DRAWS
    return {c.creative_id: float(w) for c, w in zip(creatives, wins, strict=True)}


def creative_candidates(creatives: list[CreativePerformance], seed: int = 0) -> tuple[list[Candidate], list[str]]:
    """Pause candidates (fatigued or losing) and the reasons a new variant is wanted (empty = none needed)."""
    active = [c for c in creatives if c.status == "active"]
    p_best = prob_best(active, seed)
    out: list[Candidate] = []
    needs_variant: list[str] = []
    for c in active:
        half = c.metrics.impressions / 2
        fatigued = half >= MIN_TEST_IMPRESSIONS / 2 and c.ctr_second_half < FATIGUE_DROP * c.ctr_first_half
        loser = len(active) > 1 and c.metrics.impressions >= MIN_TEST_IMPRESSIONS and p_best[c.creative_id] < LOSER_P
        if fatigued or loser:
            why = (
                f"CTR fell from {c.ctr_first_half:.4f} to {c.ctr_second_half:.4f} (fatigue)"
                if fatigued
                else f"P(best CTR) = {p_best[c.creative_id]:.3f} after {c.metrics.impressions} impressions"
            )
            out.append(
                Candidate(
                    id=f"creative-{c.creative_id}-pause",
                    tool="propose_pause_creative",
                    args={"creative_id": c.creative_id},
                    reason=why,
                    priority=1 - p_best[c.creative_id],
                )
            )
            needs_variant.append(why)
    # never pause every active creative in one go: keep the current leader
    if active and len(out) >= len(active):
        leader = max(active, key=lambda c: p_best[c.creative_id]).creative_id
        out = [c for c in out if c.args["creative_id"] != leader]
    if len(active) < 3:
        needs_variant.append(f"only {len(active)} active creative(s): the test needs a challenger")
    return sorted(out, key=lambda c: -c.priority), needs_variant
