"""``adpilot bench system``: the whole loop against baselines on the same market (EVALUATION.md §5).

Protocol: for every seed, every policy runs the same simulated week on the stepped clock (same seed ⇒ same users,
auctions, competitors and outcome draws: common random numbers), loop policies each in a scratch database of their
own. Per policy: % of LP* (mean, 95 % t-interval over seeds, per seed), conversions, spend, CPA over target and the
largest day's spend over its budget. Paired differences in % of LP* against every baseline, seed by seed, with 95 %
t-intervals. One (policy, seed) pair is run twice to check that the result is reproducible. Policies whose runs are
identical by construction (``adpilot`` with ``--llm fake`` is ``adpilot_no_llm``) run once. ``jobs`` weeks run side
by side.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np

from adpilot.errors import InvalidInput
from adpilot.settings import Settings
from bench.intervals import t_interval
from db.database import open_database
from simulation import BASELINES, POLICIES, Policy, WeekSpec, run_week
from simulation.scratch import ScratchServer
from simulation.week import Progress

__all__ = ["DEFAULT_POLICIES", "run"]

DEFAULT_POLICIES = tuple(POLICIES)


def _key(policy: Policy) -> tuple[Any, ...]:
    return (policy.loop, policy.agents, policy.pacing, policy.llm if policy.agents else None, policy.plugins,
            tuple(sorted(policy.sandbox.items())))


def _stats(values: list[float | None]) -> dict[str, Any]:
    present = [float(v) for v in values if v is not None]
    if not present:
        return {"mean": None, "ci95": None, "per_seed": values}
    return {"mean": round(float(np.mean(present)), 3), "ci95": [round(x, 3) for x in t_interval(present)],
            "per_seed": values}


def _policy_result(runs: list[dict[str, Any]], seconds: list[float]) -> dict[str, Any]:
    days = len(runs[0]["per_day_pct_of_lp"])
    per_day = [
        round(float(np.mean(vals)), 2) if (vals := [r["per_day_pct_of_lp"][d] for r in runs
                                                    if r["per_day_pct_of_lp"][d] is not None]) else None
        for d in range(days)
    ]
    over = [r["max_day_spend_over_budget"] for r in runs if r["max_day_spend_over_budget"] is not None]
    return {
        "pct_of_lp": _stats([r["pct_of_lp"] for r in runs]),
        "conversions": _stats([r["conversions"] for r in runs]),
        "spend_micros": _stats([r["spend_micros"] for r in runs]),
        "cpa_over_target": _stats([r["cpa_over_target"] for r in runs]),
        "max_day_spend_over_budget": max(over) if over else None,
        "per_day_pct_of_lp": per_day,
        "changesets": [r.get("changesets") for r in runs] if "changesets" in runs[0] else None,
        "llm_tokens": [r.get("llm_tokens") for r in runs] if "llm_tokens" in runs[0] else None,
        "seconds_per_week": [round(s, 1) for s in seconds],
    }


def _paired(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, runs in results.items():
        for baseline in BASELINES:
            if baseline == name or baseline not in results:
                continue
            diffs = [a["pct_of_lp"] - b["pct_of_lp"] for a, b in zip(runs, results[baseline], strict=True)
                     if a["pct_of_lp"] is not None and b["pct_of_lp"] is not None]
            if not diffs:
                continue
            out[f"{name}_vs_{baseline}"] = {
                "mean_diff": round(float(np.mean(diffs)), 3),
                "ci95": [round(x, 3) for x in t_interval(diffs)],
                "per_seed": [round(d, 3) for d in diffs],
                "wins": f"{sum(d > 0 for d in diffs)}/{len(diffs)}",
            }
    return out


class _Runner:
    def __init__(self, settings: Settings, days: int, campaigns: int, log_dir: Path, stall_s: float,
                 on_week: Callable[[str], Progress]) -> None:
        self.settings, self.days, self.campaigns, self.log_dir = settings, days, campaigns, log_dir
        self.stall_s, self.on_week = stall_s, on_week
        database = open_database(settings)  # the configured store's server (or the embedded one)
        self._server = ScratchServer.beside(database)
        database.dispose()
        self._server.prepare_template()  # once, before weeks run side by side

    def week(self, policy: Policy, seed: int) -> tuple[dict[str, Any], float]:
        spec = WeekSpec(policy, seed=seed, days=self.days, campaigns=self.campaigns, stall_s=self.stall_s)
        progress = self.on_week(f"{policy.name} · seed {seed}")
        started = time.monotonic()
        scope = self._server.database(policy.name) if policy.loop else nullcontext(None)
        with scope as database:
            week = run_week(self.settings, spec, database=database, log_dir=self.log_dir, progress=progress)
        return week.summary, time.monotonic() - started

    def close(self) -> None:
        self._server.dispose()


def run(
    settings: Settings,
    *,
    seeds: Sequence[int],
    days: int,
    campaigns: int,
    policies: Sequence[str],
    llm: str,
    log_dir: Path,
    stall_s: float,
    on_week: Callable[[str], Progress],
    jobs: int = 1,
) -> dict[str, Any]:
    unknown = [p for p in policies if p not in POLICIES]
    if unknown:
        raise InvalidInput(f"unknown policies {', '.join(unknown)}", remedy=f"choose from {', '.join(POLICIES)}")
    chosen = {name: POLICIES[name].with_llm(llm) if name == "adpilot" else POLICIES[name] for name in policies}
    t0 = time.monotonic()
    runner = _Runner(settings, days, campaigns, log_dir, stall_s, on_week)
    unique: dict[tuple[Any, ...], str] = {}
    same_as: dict[str, str] = {}
    for name, policy in chosen.items():
        twin = unique.setdefault(_key(policy), name)
        if twin != name:
            same_as[name] = twin
    repeat = next(n for n in ("rules", "adpilot_no_llm", "adpilot", *chosen) if n in chosen and n not in same_as)
    tasks = [(name, seed) for seed in seeds for name in chosen if name not in same_as] + [(repeat, seeds[0])]
    try:
        # weeks are independent (own markets, own stores, stepped clocks), so they may run side by side: each is
        # mostly waiting on its daemon, and the stepped clock makes the result independent of the timing
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            outcomes = list(pool.map(lambda task: runner.week(chosen[task[0]], task[1]), tasks))
    finally:
        runner.close()
    found = dict(zip(tasks[:-1], outcomes[:-1], strict=True))
    results = {name: [found[(same_as.get(name, name), seed)][0] | {"policy": name} for seed in seeds]
               for name in chosen}
    seconds = {name: [0.0 if name in same_as else found[(name, seed)][1] for seed in seeds] for name in chosen}
    again = outcomes[-1][0]
    check = {"policy": repeat, "seed": seeds[0],
             "identical": json.dumps(again, sort_keys=True) == json.dumps(results[repeat][0], sort_keys=True)}
    return {
        "benchmark": "system",
        "seeds": list(seeds),
        "days": days,
        "campaigns": campaigns,
        "llm": llm,
        "policies": {name: _policy_result(runs, seconds[name]) | ({"same_as": same_as[name]} if name in same_as
                                                                  else {})
                     for name, runs in results.items()},
        "paired": _paired(results),
        "reproducible": check["identical"],
        "reproducibility_check": check,
        "targets": _targets(results),
        "jobs": jobs,
        "seconds": round(time.monotonic() - t0, 1),
    }


def _targets(results: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    if "adpilot" not in results:
        return {}
    mine = results["adpilot"]
    pcts = [r["pct_of_lp"] or 0.0 for r in mine]
    ahead = all(
        (a["pct_of_lp"] or 0.0) > (b["pct_of_lp"] or 0.0)
        for baseline in BASELINES if baseline in results
        for a, b in zip(mine, results[baseline], strict=True)
    )
    return {"adpilot_mean_pct_of_lp_ge_80": bool(np.mean(pcts) >= 80.0),
            "adpilot_ahead_of_every_baseline_on_every_seed": ahead}
