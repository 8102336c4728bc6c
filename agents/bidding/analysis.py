"""Deterministic bid and budget candidates.

- **Bid level.** CPA above target by more than ``CPA_TOLERANCE`` → lower the multiplier by ``(target/CPA)^0.5``
  (half the log-gap: the pacer and the next cycle close the rest, which avoids oscillation). Spending well under the
  budget with CPA under target → raise it by the same rule.
- **Budget.** A campaign that hit its budget on most days with CPA under target gets more budget: the forecast's
  marginal CPA must stay under target. A campaign far over target loses budget.
- **Reallocation.** Within the account, budget moves from the campaign with the worst CPA/target to this one when
  this one is budget-limited and efficient (marginal return), keeping the account total unchanged.
- **Dayparting.** Hours whose CPA (with a prior toward the campaign CPA) is far from the campaign's get a modifier.
"""

from __future__ import annotations

from agents.candidates import Candidate
from tools.read import AccountCampaign, CampaignState, HourPerformance

__all__ = ["bid_budget_candidates", "daypart_candidates", "reallocation_candidates"]

CPA_TOLERANCE = 0.10
PRIOR_CONVERSIONS = 5.0


def bid_budget_candidates(c: CampaignState, min_conversions: int) -> list[Candidate]:
    out: list[Candidate] = []
    target, cpa, conv = c.target_cpa_micros, c.window.cpa_micros, c.window.conversions
    if not target or conv < min_conversions or cpa is None:
        return out
    gap = target / cpa
    limited = c.days_budget_limited >= max(2, c.window_days // 2)
    if gap < 1 - CPA_TOLERANCE:
        out.append(
            Candidate(
                id="bid-down",
                tool="propose_bid_target",
                args={"bid_multiplier": round(c.bid_multiplier * gap**0.5, 4)},
                reason=f"CPA {cpa / 1e6:.2f} is {1 / gap:.2f}x the target {target / 1e6:.2f}",
                priority=1 / gap,
            )
        )
        if gap < 0.7:
            out.append(
                Candidate(
                    id="budget-down",
                    tool="propose_budget_change",
                    args={"new_daily_budget_micros": int(c.daily_budget_micros * 0.85)},
                    reason="CPA far above target: spend less until bids catch up",
                    priority=0.5,
                )
            )
    elif gap > 1 + CPA_TOLERANCE:
        if limited:
            out.append(
                Candidate(
                    id="budget-up",
                    tool="propose_budget_change",
                    args={"new_daily_budget_micros": int(c.daily_budget_micros * 1.2)},
                    reason=f"budget-limited on {c.days_budget_limited}/{c.window_days} days with CPA "
                    f"{cpa / 1e6:.2f} under target {target / 1e6:.2f}",
                    priority=gap,
                )
            )
        elif c.budget_utilisation < 0.8:
            out.append(
                Candidate(
                    id="bid-up",
                    tool="propose_bid_target",
                    args={"bid_multiplier": round(c.bid_multiplier * min(gap, 1.5) ** 0.5, 4)},
                    reason=f"spends {c.budget_utilisation:.0%} of budget with CPA under target",
                    priority=gap,
                )
            )
    return out


def reallocation_candidates(c: CampaignState, others: list[AccountCampaign], min_conversions: int) -> list[Candidate]:
    """Move budget from the account's least efficient campaign to this one if this one is limited and efficient."""
    target, cpa = c.target_cpa_micros, c.window.cpa_micros
    if not target or cpa is None or c.window.conversions < min_conversions:
        return []
    if c.days_budget_limited < max(2, c.window_days // 2) or cpa > target * (1 - CPA_TOLERANCE):
        return []
    donors = [
        o
        for o in others
        if o.campaign_id != c.campaign_id
        and o.target_cpa_micros
        and o.window.conversions >= min_conversions
        and o.window.cpa_micros
        and o.window.cpa_micros > o.target_cpa_micros * (1 + 2 * CPA_TOLERANCE)
    ]
    if not donors:
        return []
    donor = max(donors, key=lambda o: (o.window.cpa_micros or 0) / (o.target_cpa_micros or 1))
    amount = int(min(donor.daily_budget_micros * 0.15, c.daily_budget_micros * 0.2))
    if amount <= 0:
        return []
    why = (
        f"moves {amount / 1e6:.2f}/day from campaign {donor.campaign_id} (CPA "
        f"{(donor.window.cpa_micros or 0) / 1e6:.2f} vs target {(donor.target_cpa_micros or 0) / 1e6:.2f})"
    )
    return [
        Candidate(
            id=f"realloc-from-{donor.campaign_id}",
            tool="propose_budget_change",
            args={"campaign_id": donor.campaign_id, "new_daily_budget_micros": donor.daily_budget_micros - amount},
            reason=why,
            priority=2.0,
        ),
        Candidate(
            id=f"realloc-to-{c.campaign_id}",
            tool="propose_budget_change",
            args={"new_daily_budget_micros": c.daily_budget_micros + amount},
            reason=why,
            priority=2.0,
        ),
    ]


def daypart_candidates(hours: list[HourPerformance], current: dict[str, float], min_spend: int) -> list[Candidate]:
    total_spend = sum(h.metrics.spend_micros for h in hours)
    total_conv = sum(h.metrics.conversions for h in hours)
    if total_conv < 10 or total_spend <= 0:
        return []
    cpa_all = total_spend / total_conv
    out: list[Candidate] = []
    for h in hours:
        m = h.metrics
        if m.spend_micros < min_spend:
            continue
        cpa_h = (m.spend_micros + PRIOR_CONVERSIONS * cpa_all) / (m.conversions + PRIOR_CONVERSIONS)
        ratio = cpa_all / cpa_h  # > 1: the hour converts cheaper than average
        mod = current.get(str(h.hour), 1.0)
        new = round(min(max(mod * ratio**0.5, 0.5), 1.5), 2)
        if abs(new - mod) >= 0.1:
            out.append(
                Candidate(
                    id=f"hour-{h.hour}",
                    tool="propose_daypart_modifier",
                    args={"hour": h.hour, "modifier": new},
                    reason=f"hour {h.hour}: CPA {cpa_h / 1e6:.2f} vs {cpa_all / 1e6:.2f} overall",
                    priority=abs(ratio - 1),
                )
            )
    return sorted(out, key=lambda c: -c.priority)[:3]
