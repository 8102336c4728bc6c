"""What a simulated week achieved, from the platform's own reporting and the sandbox's evaluation scoreboard.

Everything here is computed the same way for every policy, and nothing comes from adpilot's store except the
change-set and token counts of the loop policies, so a policy cannot grade itself:

- ``conversions`` and ``spend_micros``: the platform's hourly report (what an advertiser would see);
- ``score`` and ``lp_star``: AuctionNet score and the hindsight optimum per campaign-day, taken over every
  opportunity the campaign was eligible for whatever it bid, with the launch budget and target (EVALUATION.md §5);
  ``pct_of_lp`` = Σ score / Σ LP*;
- ``cpa_over_target``: Σ spend / Σ (conversions × target CPA) over campaigns with a target (1.0 = on target);
- ``max_day_spend_over_budget``: the largest campaign-day spend divided by the largest budget in force that day
  (1.0 = the whole budget, never more on this sandbox, which enforces budgets hard).

The summary holds no wall time and no store ids, so two runs of one seed can be compared byte for byte.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from platforms.sandbox import SandboxPlatform
from platforms.sandbox.scoreboard import scoreboard_of

__all__ = ["week_summary"]


def _ratio(num: float, den: float, digits: int = 4) -> float | None:
    return round(num / den, digits) if den > 0 else None


def _pct(score: float, lp: float) -> float | None:
    return round(100 * score / lp, 2) if lp > 0 else None


def week_summary(
    platform: SandboxPlatform,
    *,
    policy: str,
    seed: int,
    start: datetime,
    days: int,
    budgets: dict[tuple[str, int], int],
) -> dict[str, Any]:
    """``budgets``: the largest daily budget in force per (campaign external id, day index)."""
    account = platform.list_accounts()[0].id
    campaigns = platform.list_campaigns(account)
    end = start + timedelta(days=days)
    spend_day: dict[tuple[str, int], int] = defaultdict(int)
    conversions: dict[str, int] = defaultdict(int)
    for stat in platform.hourly_stats(account, start, end):
        day = (stat.hour_start - start) // timedelta(days=1)
        spend_day[(stat.campaign_id, day)] += stat.cost_micros
        conversions[stat.campaign_id] += stat.conversions
    scores = [s for s in scoreboard_of(platform).day_scores() if s.day < days]
    by_index = {i: c for i, c in enumerate(campaigns)}
    rows: list[dict[str, Any]] = []
    for index, campaign in by_index.items():
        mine = [s for s in scores if s.campaign_index == index]
        spend = sum(v for (cid, _), v in spend_day.items() if cid == campaign.id)
        conv = conversions[campaign.id]
        target = mine[0].target_cpa_micros if mine else campaign.target_cpa_micros
        day_ratios = [spend_day[(campaign.id, d)] / budgets[(campaign.id, d)]
                      for d in range(days) if budgets.get((campaign.id, d))]
        score, lp = sum(s.score for s in mine), sum(s.lp_star for s in mine)
        rows.append({
            "campaign": campaign.id,
            "name": campaign.name,
            "spend_micros": spend,
            "conversions": conv,
            "expected_conversions": round(sum(s.expected_conversions for s in mine), 3),
            "target_cpa_micros": target,
            "cpa_micros": spend // conv if conv else None,
            "cpa_over_target": _ratio(spend, conv * target) if target else None,
            "score": round(score, 4),
            "lp_star": round(lp, 4),
            "pct_of_lp": _pct(score, lp),
            "max_day_spend_over_budget": round(max(day_ratios), 4) if day_ratios else None,
        })
    per_day = []
    for day in range(days):
        today = [s for s in scores if s.day == day]
        per_day.append(_pct(sum(s.score for s in today), sum(s.lp_star for s in today)))
    targeted = [r for r in rows if r["target_cpa_micros"]]
    total_score, total_lp = sum(r["score"] for r in rows), sum(r["lp_star"] for r in rows)
    ratios = [r["max_day_spend_over_budget"] for r in rows if r["max_day_spend_over_budget"] is not None]
    return {
        "policy": policy,
        "seed": seed,
        "days": days,
        "pct_of_lp": _pct(total_score, total_lp),
        "per_day_pct_of_lp": per_day,
        "score": round(total_score, 4),
        "lp_star": round(total_lp, 4),
        "conversions": sum(r["conversions"] for r in rows),
        "spend_micros": sum(r["spend_micros"] for r in rows),
        "cpa_over_target": _ratio(sum(r["spend_micros"] for r in targeted),
                                  sum(r["conversions"] * r["target_cpa_micros"] for r in targeted)),
        "max_day_spend_over_budget": max(ratios) if ratios else None,
        "campaigns": rows,
    }
