"""The rule set, rule by rule, at the edges of every threshold (pure: no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from db.enums import ChangeAction
from db.rule_facts import RuleFiring
from rules.facts import counts_as_fired
from rules.ruleset import CampaignFacts, CreativeFacts, Thresholds, budget_raised, evaluate, multiplier_cut

T = 10_000_000  # target CPA: 10.00
BUDGET = 100_000_000


def facts(**kw: object) -> CampaignFacts:
    """A campaign on target (CPA = target, 3 conversions), not budget-limited, two creatives with the same CTR:
    no rule fires."""
    base = CampaignFacts(
        campaign_id=7,
        target_cpa_micros=T,
        daily_budget_micros=BUDGET,
        bid_multiplier=1.0,
        settled=True,
        days_with_data=2,
        spend_micros=3 * T,
        conversions=3,
        spend_yesterday_micros=BUDGET // 2,
        creatives=(CreativeFacts(1, True, 2_000, 40), CreativeFacts(2, True, 2_000, 40)),
        campaign_impressions=4_000,
        campaign_clicks=80,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def rules_of(f: CampaignFacts) -> list[str]:
    return [a.rule for a in evaluate(f)]


def test_a_campaign_on_target_fires_nothing() -> None:
    assert evaluate(facts()) == []


# ---------------------------------------------------------------------------------------------- cpa_high
def test_cpa_high_fires_just_above_1_2x_target_and_cuts_the_bid_10_percent() -> None:
    at_edge = facts(spend_micros=36_000_000)  # CPA 12.00 = 1.2× target: not above
    assert rules_of(at_edge) == []
    [action] = evaluate(facts(spend_micros=36_000_003))
    assert (action.rule, action.action, action.target_id) == ("cpa_high", ChangeAction.SET_BID_MULTIPLIER, "7")
    assert action.after == {"bid_multiplier": 0.9}


@pytest.mark.parametrize(
    ("conversions", "spend", "fires"),
    [
        (2, 2 * T - 1, False),  # 2 conversions, less than 2 targets spent: not enough evidence
        (2, 2 * T, False),  # 2 targets spent, but CPA 10.00 is on target
        (1, 2 * T, True),  # CPA 20.00 after spending 2 targets
        (1, 2 * T - 1, False),  # CPA 19.99 but neither 3 conversions nor 2 targets spent
        (0, 2 * T, True),  # nothing to show for 2 targets: an infinite CPA
        (0, 2 * T - 1, False),
        (3, 37 * T // 10, True),  # 3 conversions are evidence on their own (CPA 12.33)
    ],
)
def test_cpa_rules_need_evidence(conversions: int, spend: int, fires: bool) -> None:
    assert rules_of(facts(conversions=conversions, spend_micros=spend)) == (["cpa_high"] if fires else [])


@pytest.mark.parametrize(
    "change",
    [
        {"settled": False},  # yesterday's figures may still move: wait
        {"days_with_data": 1},  # no 2-day CPA for a campaign launched yesterday
        {"target_cpa_micros": None},  # maximise-conversions bidding has no CPA target
        {"fired_today": frozenset({"cpa_high"})},  # once a day
    ],
)
def test_cpa_high_does_not_fire_without_its_preconditions(change: dict[str, object]) -> None:
    high = {"spend_micros": 10 * T, "conversions": 3}
    assert rules_of(facts(**high)) == ["cpa_high"]
    assert rules_of(facts(**high, **change)) == []


def test_cpa_high_other_rules_firing_today_do_not_stop_it() -> None:
    f = facts(spend_micros=10 * T, fired_today=frozenset({"cpa_low_budget_limited", "creative_low_ctr"}))
    assert rules_of(f) == ["cpa_high"]


# -------------------------------------------------------------------------------- cpa_low_budget_limited
LOW = {"spend_micros": 24 * T // 10 - 1, "conversions": 3}  # CPA just below 0.8× target


def test_cpa_low_fires_only_when_budget_limited_and_raises_the_budget_15_percent() -> None:
    assert rules_of(facts(**LOW)) == []  # spent half its budget yesterday: not limited
    limited = facts(**LOW, spend_yesterday_micros=BUDGET * 95 // 100)  # exactly 95 %: limited
    [action] = evaluate(limited)
    assert (action.rule, action.action, action.target_id) == ("cpa_low_budget_limited", ChangeAction.SET_BUDGET, "7")
    assert action.after == {"daily_budget_micros": 115_000_000}
    assert rules_of(facts(**LOW, spend_yesterday_micros=BUDGET * 95 // 100 - 1)) == []


def test_cpa_low_edge_and_evidence() -> None:
    limited = {"spend_yesterday_micros": BUDGET}
    assert rules_of(facts(spend_micros=24 * T // 10, conversions=3, **limited)) == []  # CPA = 0.8× target
    assert rules_of(facts(spend_micros=T, conversions=2, **limited)) == []  # CPA 5.00 on 2 conversions: luck
    assert rules_of(facts(**LOW, **limited, fired_today=frozenset({"cpa_low_budget_limited"}))) == []
    assert rules_of(facts(**LOW, **limited, settled=False)) == []
    assert rules_of(facts(**LOW, **limited, daily_budget_micros=0)) == []


@given(
    spend=st.integers(0, 100 * T),
    conversions=st.integers(0, 50),
    yesterday=st.integers(0, 2 * BUDGET),
    fired=st.sets(st.sampled_from(["cpa_high", "cpa_low_budget_limited"])),
)
def test_the_bid_cut_and_the_budget_raise_never_fire_together(
    spend: int, conversions: int, yesterday: int, fired: set[str]
) -> None:
    f = facts(
        spend_micros=spend, conversions=conversions, spend_yesterday_micros=yesterday, fired_today=frozenset(fired)
    )
    cpa_rules = [r for r in rules_of(f) if r.startswith("cpa")]
    assert len(cpa_rules) <= 1
    assert not set(cpa_rules) & fired


# ------------------------------------------------------------------------------------- creative_low_ctr
def ctr_case(weak: CreativeFacts, *others: CreativeFacts) -> CampaignFacts:
    creatives = (weak, *others) if others else (weak, CreativeFacts(2, True, 9_000, 180))
    return facts(
        creatives=creatives,
        campaign_impressions=sum(c.impressions for c in creatives),
        campaign_clicks=sum(c.clicks for c in creatives),
    )


def test_creative_ctr_below_half_the_campaigns_after_1000_impressions_is_paused() -> None:
    # campaign: 10,000 impressions, 190 clicks (1.9 %); half is 0.95 % = 9.5 clicks per 1,000
    [action] = evaluate(ctr_case(CreativeFacts(1, True, 1_000, 9)))
    assert (action.rule, action.action, action.target_id, action.after) == (
        "creative_low_ctr",
        ChangeAction.PAUSE_CREATIVE,
        "1",
        {"status": "paused"},
    )
    # campaign 10,000 / 200 (2 %): 10 clicks on 1,000 is exactly half, not below
    assert rules_of(ctr_case(CreativeFacts(1, True, 1_000, 10), CreativeFacts(2, True, 9_000, 190))) == []
    assert rules_of(ctr_case(CreativeFacts(1, True, 999, 0))) == []  # not 1,000 impressions yet


def test_creative_rule_pauses_the_worst_one_a_day_and_never_the_last_active() -> None:
    worst, bad, good = (
        CreativeFacts(3, True, 2_000, 2),
        CreativeFacts(1, True, 2_000, 5),
        CreativeFacts(2, True, 8_000, 300),
    )
    [action] = evaluate(ctr_case(bad, good, worst))
    assert action.target_id == "3"
    assert rules_of(ctr_case(CreativeFacts(1, False, 5_000, 0), CreativeFacts(2, True, 5_000, 100))) == []  # paused
    alone = ctr_case(CreativeFacts(1, True, 5_000, 1), CreativeFacts(2, False, 5_000, 200))
    assert rules_of(alone) == []  # the only active creative
    assert rules_of(replace(ctr_case(bad, good), fired_today=frozenset({"creative_low_ctr"}))) == []
    assert rules_of(replace(ctr_case(bad, good), settled=False)) == []


def test_creative_rule_combines_with_a_cpa_rule_in_precedence_order() -> None:
    f = replace(ctr_case(CreativeFacts(1, True, 2_000, 1)), spend_micros=10 * T)
    assert rules_of(f) == ["cpa_high", "creative_low_ctr"]


# ------------------------------------------------------------------------------------------- numbers
@given(ticks=st.integers(1, 400_000))
def test_the_bid_cut_is_at_most_10_percent_even_in_floating_point(ticks: int) -> None:
    current = ticks / 10_000
    new = multiplier_cut(current, Fraction(1, 10))
    assert new <= current
    assert abs(new - current) / current <= 0.1  # the autonomy tier's own (float) comparison
    assert new == round(new, 4)  # the store's NUMERIC(10,4)
    if current >= 0.01:
        assert new < current and new <= current * 0.9 + 0.0002  # the documented cut, within rounding


def test_a_cut_of_1_1_stays_within_the_autonomy_tier() -> None:
    assert (1.1 - 0.99) / 1.1 > 0.1  # why multiplier_cut nudges: float reads this exact 10 % as more
    assert multiplier_cut(1.1, Fraction(1, 10)) == 0.9901
    assert multiplier_cut(0.9, Fraction(1, 10)) == 0.81


def test_budget_raise_is_rounded_down_to_cents() -> None:
    assert budget_raised(100_000_000, Fraction(3, 20)) == 115_000_000
    assert budget_raised(123_456_789, Fraction(3, 20)) == 141_970_000  # 141,975,307.35 → whole cents, down
    assert budget_raised(1_000, Fraction(3, 20)) == 1_000  # never below the current budget


def test_thresholds_are_the_documented_ones() -> None:
    t = Thresholds()
    assert (t.cpa_high_ratio, t.cpa_low_ratio, t.bid_cut, t.budget_raise) == (
        Fraction(6, 5),
        Fraction(4, 5),
        Fraction(1, 10),
        Fraction(3, 20),
    )
    assert (t.min_creative_impressions, t.ctr_ratio, t.budget_limited_share) == (
        1_000,
        Fraction(1, 2),
        Fraction(19, 20),
    )


@pytest.mark.parametrize(
    ("status", "blocked_by", "counts"),
    [
        ("approved", frozenset(), True),
        ("applied", frozenset(), True),
        ("pending_approval", frozenset(), True),  # waits for a person: asking again every hour would be noise
        ("blocked", frozenset({"min_evidence"}), True),  # the evidence will not grow within the hour
        ("blocked", frozenset({"cooldown", "min_evidence"}), True),
        ("blocked", frozenset({"cooldown"}), False),  # the cooldown ends within the day: try again next hour
    ],
)
def test_which_firings_count_for_the_day(status: str, blocked_by: frozenset[str], counts: bool) -> None:
    firing = RuleFiring(1, "cpa_high", status, datetime(2025, 1, 6, 6, tzinfo=UTC), blocked_by)
    assert counts_as_fired(firing) is counts
