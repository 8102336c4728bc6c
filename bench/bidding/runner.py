"""``adpilot bench bidding``: every policy, every budget level, several seeds, against LP* — one JSON object.

Protocol (EVALUATION.md §1): per seed a scenario (one demo campaign, warm-up days then evaluated days); the estimator
is learned from the warm-up logs; budget levels are multiples of FixedCPA's uncapped daily spend; each policy runs the
evaluated days with a fresh controller; per day ``S / LP*``, spend / B, CPA / C (true CPA, on expected conversions)
and budget overrun are recorded and averaged over seeds and days. ``lp_check`` compares the exact LP* with HiGHS on
small random instances.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from bench.bidding.baselines import DualOGD, FixedCPA, PIDPacer, Throttle
from bench.bidding.lp import lp_star
from bench.bidding.scenario import Scenario, build_scenario
from bench.bidding.simulate import DayController, DayOutcome, best_fixed_alpha, fixed_alpha_outcome, run_day
from bench.bidding.warmup import WarmupKnowledge, learn_from_warmup
from pacing.interface import PacingGoal
from pacing.mpc_pacer import LandscapePacer, PacerConfig
from platforms.sandbox.clock import TICKS_PER_DAY

__all__ = ["POLICIES", "run"]

POLICIES = ("fixed_cpa", "pid", "throttle", "dual_ogd", "oracle_best_alpha", "adpilot_pacer")
Progress = Callable[[str], None]


@dataclass
class _Cell:
    ratio: list[float]
    spend: list[float]
    cpa: list[float]
    overrun: list[float]
    realised: list[float]


def _controller(name: str, goal: PacingGoal, knowledge: WarmupKnowledge, seed: int) -> DayController:
    if name == "fixed_cpa":
        return FixedCPA(goal)
    if name == "pid":
        return PIDPacer(goal, knowledge.plan_share)
    if name == "throttle":
        return Throttle(goal, knowledge.plan_share, seed)
    if name == "dual_ogd":
        return DualOGD(goal)
    return LandscapePacer(goal, knowledge.reference, PacerConfig(delay_cdf=knowledge.delay_cdf))


def _run_policy(
    name: str, scenario: Scenario, knowledge: WarmupKnowledge, p_hats: list[np.ndarray], goal: PacingGoal
) -> list[DayOutcome]:
    if name == "oracle_best_alpha":
        return [best_fixed_alpha(day, p_hat, goal) for day, p_hat in zip(scenario.days, p_hats, strict=True)]
    controller = _controller(name, goal, knowledge, scenario.seed)
    arrivals = np.zeros((len(scenario.days) + 4) * TICKS_PER_DAY, dtype=np.int64)
    outcomes = []
    for i, (day, p_hat) in enumerate(zip(scenario.days, p_hats, strict=True)):
        if i:
            controller.start_period(goal)
        outcomes.append(run_day(controller, day, p_hat, goal, arrivals, i * TICKS_PER_DAY))
    return outcomes


def lp_check(instances: int = 40, seed: int = 0) -> float:
    """Max relative gap between the exact LP* and ``scipy.optimize.linprog`` (HiGHS) on small random instances."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(instances):
        n = int(rng.integers(2, 60))
        p, m = rng.uniform(1e-4, 0.02, n), rng.uniform(100.0, 50_000.0, n)
        budget, target = float(rng.uniform(0.05, 1.2) * m.sum()), float(rng.uniform(2e5, 4e6))
        res = linprog(-p, A_ub=np.vstack([m, m - target * p]), b_ub=[budget, 0.0], bounds=[(0, 1)] * n,
                      method="highs")
        exact = lp_star(p, m, budget, target)
        worst = max(worst, abs(exact + res.fun) / max(-res.fun, 1e-12))
    return float(worst)


def _summarise(cells: dict[str, dict[float, _Cell]]) -> tuple[dict[str, dict[str, dict[str, float]]], dict[str, float]]:
    policies: dict[str, dict[str, dict[str, float]]] = {}
    means: dict[str, float] = {}
    for name, levels in cells.items():
        policies[name] = {
            f"{level:g}": {
                "pct_of_lp": float(np.mean(c.ratio)),
                "spend_over_budget": float(np.mean(c.spend)),
                "cpa_over_target": float(np.mean(c.cpa)),
                "budget_overrun": float(np.max(c.overrun)),
                "realised_conversions": float(np.mean(c.realised)),
            }
            for level, c in levels.items()
        }
        means[name] = float(np.mean([v["pct_of_lp"] for v in policies[name].values()]))
    return policies, means


def run(
    *,
    seed: int = 0,
    seeds: int = 5,
    budget_levels: Sequence[float] = (0.25, 0.5, 1.0, 2.0, 4.0),
    auction: str = "second",
    days: int = 2,
    plot: str | None = None,
    progress: Progress | None = None,
) -> dict[str, object]:
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    cells = {name: {level: _Cell([], [], [], [], []) for level in budget_levels} for name in POLICIES}
    for k in range(seeds):
        scenario = build_scenario(seed + k, days)
        knowledge = learn_from_warmup(scenario)
        p_hats = [np.prod(knowledge.estimator.predict(d.features), axis=0) for d in scenario.days]
        target = scenario.target_cpa_micros
        open_goal = PacingGoal(budget_micros=10**15, target_cpa_micros=target, first_price=auction == "first")
        fixed = [fixed_alpha_outcome(1.0, d, ph, open_goal).spend for d, ph in zip(scenario.days, p_hats, strict=True)]
        say(f"seed {seed + k}: {scenario.campaign_id} ({scenario.objective}), {len(scenario.days[0])} auctions/day, "
            f"{knowledge.logged_impressions} logged impressions, FixedCPA spend {np.mean(fixed) / 1e6:.1f}/day")
        for level in budget_levels:
            goal = PacingGoal(budget_micros=max(int(level * np.mean(fixed)), 1), target_cpa_micros=target,
                              first_price=auction == "first")
            bounds = [lp_star(d.p, d.min_to_win.astype(float), goal.budget_micros, target) for d in scenario.days]
            for name in POLICIES:
                for out, bound in zip(_run_policy(name, scenario, knowledge, p_hats, goal), bounds, strict=True):
                    cell = cells[name][level]
                    cell.ratio.append(out.score / bound if bound > 0 else 1.0)
                    cell.spend.append(out.spend / out.budget)
                    cell.cpa.append(out.spend / out.conversions / target if out.conversions > 0 else 0.0)
                    cell.overrun.append(max(0.0, out.spend / out.budget - 1.0))
                    cell.realised.append(out.realised)
            say(f"  level {level:g}: " + ", ".join(f"{n}={np.mean(cells[n][level].ratio[-days:]):.3f}"
                                                  for n in POLICIES))
    policies, means = _summarise(cells)
    result: dict[str, object] = {
        "policies": policies,
        "mean_pct_of_lp": means,
        "lp_check": lp_check(),
        "seconds": round(time.perf_counter() - started, 2),
    }
    if plot:
        from bench.bidding.plot import plot_results

        plot_results(policies, plot)
    return result
