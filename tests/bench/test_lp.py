from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from bench.bidding.lp import lp_star, score
from bench.bidding.runner import lp_check


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), seed=st.integers(0, 10**6), budget_share=st.floats(0.0, 1.3),
       cpa=st.floats(1e3, 5e4))
def test_lp_star_matches_highs(n: int, seed: int, budget_share: float, cpa: float) -> None:
    rng = np.random.default_rng(seed)
    p, m = rng.uniform(1e-4, 0.02, n), rng.uniform(1.0, 500.0, n)
    budget = budget_share * m.sum()
    res = linprog(-p, A_ub=np.vstack([m, m - cpa * p]), b_ub=[budget, 0.0], bounds=[(0, 1)] * n, method="highs")
    assert res.status == 0
    # relative tolerance, with an absolute floor for budgets so small that both optima are rounding noise around 0
    assert abs(lp_star(p, m, budget, cpa) + res.fun) <= 1e-7 * max(-res.fun, 0.0) + 1e-12


@settings(max_examples=80, deadline=None)
@given(n=st.integers(1, 30), seed=st.integers(0, 10**6), budget_share=st.floats(0.0, 1.0),
       cpa=st.floats(1e3, 5e4))
def test_lp_star_bounds_the_score_of_any_feasible_policy(n: int, seed: int, budget_share: float,
                                                          cpa: float) -> None:
    rng = np.random.default_rng(seed)
    p, m = rng.uniform(1e-4, 0.02, n), rng.uniform(1.0, 500.0, n)
    budget = budget_share * m.sum()
    chosen = rng.random(n) < rng.random()
    order = np.flatnonzero(chosen)
    within = order[np.cumsum(m[order]) <= budget]
    conv, spend = float(p[within].sum()), float(m[within].sum())
    if spend > cpa * conv:
        return  # CPA-infeasible: the LP does not bound the penalised score of such a policy
    policy_score = score(conv, spend, cpa)
    assert policy_score <= lp_star(p, m, budget, cpa) * (1 + 1e-9) + 1e-12


def test_lp_check_reports_a_tiny_gap() -> None:
    assert lp_check(instances=10) < 1e-6


def test_score_penalises_cpa_above_target() -> None:
    assert score(10.0, 100.0, 10.0) == 10.0
    assert score(10.0, 200.0, 10.0) == 2.5
    assert score(0.0, 5.0, 10.0) == 0.0
