"""The ``rules`` baseline: a rule set of the kind Bïrch / Revealbot users write, as a pure function of a typed snapshot
of what the advertiser's store shows. ``evaluate(facts) -> [RuleAction]``: same facts, same actions, same order.

The rules, in precedence order (each fires at most once per campaign per day, like the "once a day" setting of real
rule engines; the job records a firing as a change-set flagged ``rule:<name>``; a firing the guardrails refused
only for a cooldown does not count, so the rule tries again the next hour — ``rules.facts.counts_as_fired``):

1. ``cpa_high`` — the campaign's CPA over the last 2 full days is above 1.2× its target CPA → bid multiplier −10 %.
2. ``cpa_low_budget_limited`` — the CPA over the last 2 full days is below 0.8× the target *and* the campaign was
   budget-limited yesterday (it spent ≥ 95 % of its current daily budget on the last full day) → daily budget +15 %.
3. ``creative_low_ctr`` — an active creative with ≥ 1,000 impressions over the last 7 full days has a CTR below
   0.5× the campaign's CTR over the same days → pause it (the worst one, one a day, never the last active one).

Evidence (rules 1 and 2): a CPA is judged only with at least 3 conversions in the 2 days, or a spend of at least
2× the target CPA (then zero conversions read as an infinite CPA: money spent with nothing to show for it). Both
days must have data (a campaign launched yesterday has no 2-day CPA). A campaign without a target CPA
(maximise-conversions bidding) gets no CPA rule.

Why full, settled days: conversions are attributed to the impression's hour and arrive late, and the hourly sync
re-reads the last ``STATS_LOOKBACK`` hours (6 h). Yesterday's figures in the store are final only once that
window has passed midnight, so the rules wait for it (``CampaignFacts.settled``). Acting on settled days also keeps
the rules deterministic whatever order the sync and the rules job run in within an hour. In practice a day's rules
fire at 06:00 UTC (later only when a cooldown or a late sync holds them), so a budget raised then helps a campaign
that already ran out of budget that morning only from the next day.

Why they do not fight: rules 1 and 2 need a CPA above 1.2× and below 0.8× the target on the same settled days, so
at most one of them fires on a day; a bid cut and a budget raise never land together. Rule 3 moves another lever
(a creative's status) and never empties the campaign of active creatives.

Numbers: the budget is integer micros, rounded down to whole cents; the multiplier has 4 decimals (the store's
NUMERIC(10,4)), rounded toward the current value so a step is never larger than documented. The guardrails still
judge every proposal (step limits, evidence, cooldowns, autonomy tier) — these rules propose, they do not decide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from db.enums import ChangeAction

__all__ = [
    "RULE_NAMES",
    "CampaignFacts",
    "CreativeFacts",
    "RuleAction",
    "Thresholds",
    "budget_raised",
    "evaluate",
    "multiplier_cut",
]

RULE_NAMES = ("cpa_high", "cpa_low_budget_limited", "creative_low_ctr")
_CENT = 10_000  # micros


@dataclass(frozen=True)
class Thresholds:
    """The rule set's parameters (exact fractions: no float touches a comparison of money)."""

    cpa_days: int = 2
    cpa_high_ratio: Fraction = Fraction(6, 5)
    cpa_low_ratio: Fraction = Fraction(4, 5)
    min_conversions: int = 3
    min_spend_in_targets: int = 2  # or this many target CPAs spent
    bid_cut: Fraction = Fraction(1, 10)
    budget_raise: Fraction = Fraction(3, 20)
    budget_limited_share: Fraction = Fraction(19, 20)
    creative_days: int = 7
    min_creative_impressions: int = 1_000
    ctr_ratio: Fraction = Fraction(1, 2)


@dataclass(frozen=True)
class CreativeFacts:
    creative_id: int
    active: bool
    impressions: int  # over the last ``creative_days`` full days
    clicks: int


@dataclass(frozen=True)
class CampaignFacts:
    """One campaign as the store shows it, read for one evaluation."""

    campaign_id: int
    target_cpa_micros: int | None
    daily_budget_micros: int
    bid_multiplier: float
    settled: bool  # the last full days are final in the store (see the module docstring)
    days_with_data: int  # of the last ``cpa_days`` full days
    spend_micros: int  # over the last ``cpa_days`` full days
    conversions: int
    spend_yesterday_micros: int
    creatives: tuple[CreativeFacts, ...] = ()
    campaign_impressions: int = 0  # over the last ``creative_days`` full days, every creative
    campaign_clicks: int = 0
    fired_today: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class RuleAction:
    """A fired rule: one change item for the change-set path."""

    rule: str
    action: ChangeAction
    target_id: str
    after: dict[str, Any]
    rationale: str


def multiplier_cut(current: float, cut: Fraction) -> float:
    """``current × (1 − cut)`` at 4 decimals, rounded toward ``current``. The autonomy tier compares the relative
    change in floating point, where an exact 10 % can read as 10.000000000000009 %; the value is then moved by
    0.0001 toward ``current`` so the step stays within what the rule documents."""
    exact = Fraction(str(current)) * (1 - cut)
    ticks = math.ceil(exact * 10_000)
    while ticks < round(current * 10_000) and abs(ticks / 10_000 - current) / current > float(cut):
        ticks += 1
    return ticks / 10_000


def budget_raised(current_micros: int, raise_by: Fraction) -> int:
    """``current × (1 + raise_by)`` rounded down to whole cents (never more than the documented step)."""
    raised = math.floor(Fraction(current_micros) * (1 + raise_by))
    return max(current_micros, raised - raised % _CENT)


def _judged_cpa(f: CampaignFacts, t: Thresholds) -> Fraction | float | None:
    """The CPA over the last full days when there is evidence to judge it, else ``None``. Zero conversions after
    spending enough is an infinite CPA (``math.inf``)."""
    target = f.target_cpa_micros
    if not f.settled or not target or target <= 0 or f.days_with_data < t.cpa_days:
        return None
    if f.conversions < t.min_conversions and f.spend_micros < t.min_spend_in_targets * target:
        return None
    return Fraction(f.spend_micros, f.conversions) if f.conversions else math.inf


def _cpa_rules(f: CampaignFacts, t: Thresholds) -> list[RuleAction]:
    cpa, target = _judged_cpa(f, t), f.target_cpa_micros
    if cpa is None or target is None:
        return []
    shown = "no conversions" if cpa == math.inf else f"CPA {float(cpa) / 1e6:.2f}"
    if cpa > t.cpa_high_ratio * target and "cpa_high" not in f.fired_today:
        new = multiplier_cut(f.bid_multiplier, t.bid_cut)
        if new < f.bid_multiplier:
            return [
                RuleAction(
                    "cpa_high",
                    ChangeAction.SET_BID_MULTIPLIER,
                    str(f.campaign_id),
                    {"bid_multiplier": new},
                    f"{shown} over the last {t.cpa_days} days > {float(t.cpa_high_ratio):g}× target "
                    f"{target / 1e6:.2f} → bid −{float(t.bid_cut):.0%}",
                )
            ]
    limited = f.spend_yesterday_micros >= t.budget_limited_share * f.daily_budget_micros > 0
    if cpa < t.cpa_low_ratio * target and limited and "cpa_low_budget_limited" not in f.fired_today:
        new_budget = budget_raised(f.daily_budget_micros, t.budget_raise)
        if new_budget > f.daily_budget_micros:
            return [
                RuleAction(
                    "cpa_low_budget_limited",
                    ChangeAction.SET_BUDGET,
                    str(f.campaign_id),
                    {"daily_budget_micros": new_budget},
                    f"{shown} over the last {t.cpa_days} days < {float(t.cpa_low_ratio):g}× target "
                    f"{target / 1e6:.2f} and yesterday spent {f.spend_yesterday_micros / 1e6:.2f} of "
                    f"{f.daily_budget_micros / 1e6:.2f} → budget +{float(t.budget_raise):.0%}",
                )
            ]
    return []


def _creative_rule(f: CampaignFacts, t: Thresholds) -> list[RuleAction]:
    if not f.settled or "creative_low_ctr" in f.fired_today or f.campaign_impressions <= 0 or f.campaign_clicks <= 0:
        return []
    active = [c for c in f.creatives if c.active]
    if len(active) < 2:
        return []
    campaign_ctr = Fraction(f.campaign_clicks, f.campaign_impressions)
    floor = t.ctr_ratio * campaign_ctr
    seen = [c for c in active if c.impressions >= t.min_creative_impressions]
    weak = [c for c in seen if Fraction(c.clicks, c.impressions) < floor]
    if not weak:
        return []
    worst = min(weak, key=lambda c: (Fraction(c.clicks, c.impressions), c.creative_id))
    return [
        RuleAction(
            "creative_low_ctr",
            ChangeAction.PAUSE_CREATIVE,
            str(worst.creative_id),
            {"status": "paused"},
            f"creative CTR {worst.clicks / worst.impressions:.2%} over {worst.impressions} impressions "
            f"< {float(t.ctr_ratio):g}× the campaign's {float(campaign_ctr):.2%} (last {t.creative_days} days) → pause",
        )
    ]


def evaluate(facts: CampaignFacts, thresholds: Thresholds | None = None) -> list[RuleAction]:
    """The rules that fire for one campaign, in precedence order. Pure: same facts, same actions."""
    t = thresholds or Thresholds()
    return _cpa_rules(facts, t) + _creative_rule(facts, t)
