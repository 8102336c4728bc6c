"""The hindsight optimum LP* and the score (EVALUATION.md §1).

``LP* = max Σ x_i p_i  s.t.  Σ x_i m_i ≤ B,  Σ x_i m_i ≤ C · Σ x_i p_i,  0 ≤ x_i ≤ 1``.

Why sorting is exact: with multipliers μ (budget) and ν (CPA) the Lagrangian value of item i is
``p_i (1 + νC) − m_i (μ + ν)``, positive exactly when ``p_i / m_i`` clears one threshold. So the optimum takes the items
in decreasing ``p/m`` order: the longest prefix meeting both constraints, plus a fraction of the next item. The CPA
slack ``Σ (C p_i − m_i)`` of a prefix is concave in its length (its increments fall), so the CPA-feasible prefixes are
an initial run. O(n log n) for the sort. ``tests/bench`` checks it against ``scipy.optimize.linprog`` (HiGHS).

Score (AuctionNet): ``S = conv · min(1, C / CPA)²`` with ``conv = Σ_won p_i`` (expected conversions) and
``CPA = spend / conv``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lp_star", "score"]


def lp_star(p: np.ndarray, m: np.ndarray, budget: float, target_cpa: float) -> float:
    """Exact optimum value of the LP above. ``m`` must be positive."""
    order = np.argsort(-(p / m), kind="stable")
    p_s, m_s = p[order].astype(float), m[order].astype(float)
    cost = np.r_[0.0, np.cumsum(m_s)]
    slack = np.r_[0.0, np.cumsum(target_cpa * p_s - m_s)]
    conv = np.r_[0.0, np.cumsum(p_s)]
    ok = (cost <= budget) & (slack >= -1e-9 * np.maximum(cost, 1.0))
    bad = np.flatnonzero(~ok)
    k = int(bad[0]) - 1 if bad.size else len(p_s)
    if k >= len(p_s):
        return float(conv[-1])
    fraction = 1.0
    fraction = min(fraction, (budget - cost[k]) / m_s[k])
    loss = m_s[k] - target_cpa * p_s[k]
    if loss > 0:
        fraction = min(fraction, slack[k] / loss)
    return float(conv[k] + max(fraction, 0.0) * p_s[k])


def score(conversions: float, spend: float, target_cpa: float) -> float:
    if conversions <= 0:
        return 0.0
    cpa = spend / conversions
    return float(conversions * min(1.0, target_cpa / cpa) ** 2) if cpa > 0 else float(conversions)
