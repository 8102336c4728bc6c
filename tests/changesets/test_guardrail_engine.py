"""The guardrail engine as a pure function: each rule, and the invariant that nothing it lets through breaks the
policy, whatever is proposed (hypothesis)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adpilot.errors import ConfigError
from db.enums import ChangeAction
from guardrails.creative import creative_violations
from guardrails.engine import CampaignState, Decision, GuardrailContext, ProposedItem, evaluate
from guardrails.policy import GuardrailPolicy, load_policy

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
POLICY = GuardrailPolicy(account_daily_ceiling_micros=1_000_000_000)


def state(**kw) -> CampaignState:
    base = dict(
        campaign_id=1,
        account_id=1,
        external_id="cmp_1",
        status="active",
        protected=False,
        daily_budget_micros=100_000_000,
        target_cpa_micros=20_000_000,
        bid_multiplier=1.0,
        budget_at_day_start_micros=100_000_000,
        target_cpa_at_day_start_micros=20_000_000,
        bid_multiplier_at_day_start=1.0,
        conversions_in_window=50,
        impressions_by_segment={"7": 5000},
        clicks_by_creative={"3": 500, "4": 10},
        active_creatives=frozenset({"3", "4"}),
    )
    base.update(kw)
    return CampaignState(**base)  # type: ignore[arg-type]


def ctx(*states: CampaignState, **kw) -> GuardrailContext:
    campaigns = {s.campaign_id: s for s in (states or (state(),))}
    base = dict(
        now=NOW,
        kill_switch=False,
        read_only=False,
        campaigns=campaigns,
        account_budget_total_micros=sum(s.daily_budget_micros for s in campaigns.values()),
    )
    base.update(kw)
    return GuardrailContext(**base)  # type: ignore[arg-type]


def budget(micros: int, campaign_id: int = 1) -> ProposedItem:
    return ProposedItem(ChangeAction.SET_BUDGET, campaign_id, str(campaign_id), {"daily_budget_micros": micros})


def one(items, context=None, policy=POLICY):
    return evaluate(items if isinstance(items, list) else [items], context or ctx(), policy)


def test_budget_increase_is_clamped_to_the_step_limit_and_needs_approval() -> None:
    v = one(budget(200_000_000))
    (item,) = v.items
    assert item.decision is Decision.NEEDS_APPROVAL and item.clamped
    assert item.after["daily_budget_micros"] == 120_000_000  # +20 % per step
    assert v.status == "pending_approval"


def test_per_day_limit_counts_from_the_start_of_the_day() -> None:
    moved = state(daily_budget_micros=125_000_000, budget_at_day_start_micros=100_000_000)
    (item,) = one(budget(200_000_000), ctx(moved)).items
    assert item.after["daily_budget_micros"] == 130_000_000  # +30 % per day from 100
    used_up = state(daily_budget_micros=130_000_000, budget_at_day_start_micros=100_000_000)
    (item,) = one(budget(140_000_000), ctx(used_up)).items
    assert item.decision is Decision.NEEDS_APPROVAL and item.after["daily_budget_micros"] == 130_000_000
    far = state(daily_budget_micros=60_000_000, budget_at_day_start_micros=100_000_000)
    (item,) = one(budget(80_000_000), ctx(far)).items  # step allows 72, day allows >= 70: fine
    assert item.after["daily_budget_micros"] == 72_000_000


def test_small_bid_multiplier_change_auto_applies() -> None:
    item = ProposedItem(ChangeAction.SET_BID_MULTIPLIER, 1, "1", {"bid_multiplier": 1.05})
    v = one(item)
    assert v.items[0].decision is Decision.AUTO and v.status == "approved"
    big = ProposedItem(ChangeAction.SET_BID_MULTIPLIER, 1, "1", {"bid_multiplier": 9.0})
    (clamped,) = one(big).items
    assert clamped.after["bid_multiplier"] == 1.15 and clamped.decision is Decision.NEEDS_APPROVAL


def test_kill_switch_and_read_only_block_everything() -> None:
    for context in (ctx(kill_switch=True), ctx(read_only=True)):
        v = one([budget(101_000_000), ProposedItem(ChangeAction.PAUSE_CAMPAIGN, 1, "1", {"status": "paused"})], context)
        assert v.status == "blocked" and all(i.decision is Decision.BLOCK for i in v.items)


def test_protected_campaign_min_evidence_and_cooldown() -> None:
    assert one(budget(110_000_000), ctx(state(protected=True))).items[0].rules == ("protected_campaign",)
    by_name = GuardrailPolicy(protected_campaigns=("cmp_1",))
    assert one(budget(110_000_000), ctx(), by_name).items[0].rules == ("protected_campaign",)
    assert one(budget(110_000_000), ctx(state(conversions_in_window=3))).items[0].rules == ("min_evidence",)
    recent = state(last_edit_at={"budget": NOW - timedelta(hours=2)})
    assert one(budget(110_000_000), ctx(recent)).items[0].rules == ("cooldown",)
    old = state(last_edit_at={"budget": NOW - timedelta(hours=30)})
    assert one(budget(110_000_000), ctx(old)).items[0].decision is not Decision.BLOCK


def test_account_ceiling_counts_overdelivery() -> None:
    policy = GuardrailPolicy(account_daily_ceiling_micros=230_000_000)  # 2 × 115 allowed
    (item,) = one(budget(120_000_000), ctx(), policy).items
    assert item.rules == ("account_ceiling",)
    (item,) = one(budget(115_000_000), ctx(), policy).items
    assert item.decision is not Decision.BLOCK


def test_creative_rules_and_last_creative() -> None:
    bad = ProposedItem(
        ChangeAction.CREATE_CREATIVE, 1, "1", {"headline": "GUARANTEED LOWEST PRICES!!!", "description": "Free money"}
    )
    (item,) = one(bad).items
    assert item.decision is Decision.BLOCK and item.rules == ("creative_policy",)
    assert any("guaranteed" in r for r in item.reasons)
    ok = ProposedItem(ChangeAction.CREATE_CREATIVE, 1, "1", {"headline": "Trail shoes, lighter", "description": "x"})
    assert one(ok).items[0].decision is Decision.NEEDS_APPROVAL
    last = ProposedItem(ChangeAction.PAUSE_CREATIVE, 1, "3", {"status": "paused"})
    assert one(last, ctx(state(active_creatives=frozenset({"3"})))).items[0].rules == ("last_creative",)
    few_clicks = ProposedItem(ChangeAction.PAUSE_CREATIVE, 1, "4", {"status": "paused"})
    assert one(few_clicks).items[0].rules == ("min_evidence",)


def test_too_many_items_block_the_whole_set() -> None:
    v = one([budget(101_000_000)] * 11)
    assert v.status == "blocked" and {i.rules for i in v.items} == {("max_items",)}


def test_undo_is_clamped_needs_approval_and_stops_at_the_kill_switch() -> None:
    v = evaluate([budget(300_000_000)], ctx(undo=True), GuardrailPolicy())
    assert v.items[0].after["daily_budget_micros"] == 120_000_000 and v.status == "pending_approval"
    assert evaluate([budget(300_000_000)], ctx(undo=True, kill_switch=True), GuardrailPolicy()).status == "blocked"


def test_policy_file_merges_over_defaults_and_fails_closed(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("budget:\n  max_change_pct_per_step: 5\n")
    policy = load_policy(path)
    assert policy.budget.max_change_pct_per_step == 5 and policy.budget.max_change_pct_per_day == 30
    assert policy.cooldown_hours == GuardrailPolicy().cooldown_hours
    path.write_text("budget:\n  max_change_pct_per_stp: 5\n")  # typo must not loosen anything
    with pytest.raises(ConfigError, match="all mutations blocked"):
        load_policy(path)
    path.write_text("modifier_min: 5\nmodifier_max: 1\n")
    with pytest.raises(ConfigError):
        load_policy(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_policy(tmp_path / "missing.yaml")


def test_creative_violations_accepts_plain_copy() -> None:
    assert (
        creative_violations(
            "Run farther in comfort", "Cushioned trail shoes. Free returns.", GuardrailPolicy().creative
        )
        == []
    )


# ------------------------------------------------------------------ property: nothing let through breaks the policy
actions = st.sampled_from(list(ChangeAction))
numbers = st.one_of(
    st.integers(-(10**9), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.text(max_size=5),
)
afters = st.fixed_dictionaries(
    {},
    optional={
        "daily_budget_micros": numbers,
        "target_cpa_micros": numbers,
        "bid_multiplier": numbers,
        "modifier": numbers,
        "hour": numbers,
        "per_day": numbers,
        "excluded": numbers,
        "headline": st.text(max_size=40),
        "description": st.text(max_size=100),
        "status": st.sampled_from(["paused", "active"]),
    },
)
items_st = st.lists(
    st.builds(ProposedItem, actions, st.sampled_from([1, 2]), st.sampled_from(["1", "3", "7"]), afters),
    min_size=1,
    max_size=12,
)
states_st = st.builds(
    state,
    daily_budget_micros=st.integers(0, 10**10),
    budget_at_day_start_micros=st.integers(1, 10**10),
    bid_multiplier=st.floats(0.05, 20),
    bid_multiplier_at_day_start=st.floats(0.05, 20),
    conversions_in_window=st.integers(0, 100),
    protected=st.booleans(),
    status=st.sampled_from(["active", "paused", "removed"]),
)


@settings(max_examples=300, deadline=None)
@given(items=items_st, st1=states_st, kill=st.booleans(), ceiling=st.one_of(st.none(), st.integers(0, 10**11)))
def test_nothing_the_engine_lets_through_violates_the_policy(items, st1, kill, ceiling) -> None:
    policy = GuardrailPolicy(account_daily_ceiling_micros=ceiling)
    st2 = state(campaign_id=2, external_id="cmp_2", daily_budget_micros=50_000_000)
    context = ctx(st1, st2, kill_switch=kill)
    verdict = evaluate(items, context, policy)
    assert len(verdict.items) == len(items)
    live = [(i, v) for i, v in zip(items, verdict.items, strict=True) if v.decision is not Decision.BLOCK]
    if kill or len(items) > policy.max_items_per_changeset:
        assert not live
    total = context.account_budget_total_micros
    for item, v in live:
        s = context.campaigns[item.campaign_id]
        assert not s.protected and s.status != "removed"
        a = v.after
        if item.action is ChangeAction.SET_BUDGET:
            new, cur, day = a["daily_budget_micros"], s.daily_budget_micros, s.budget_at_day_start_micros
            assert isinstance(new, int) and new >= policy.min_daily_budget_micros
            assert cur * 0.8 - 1 <= new <= cur * 1.2 + 1 and day * 0.7 - 1 <= new <= day * 1.3 + 1
            assert s.conversions_in_window >= policy.evidence.min_conversions_for_bid_or_budget
            total += new - (cur if s.status == "active" else 0)
        if item.action is ChangeAction.SET_BID_MULTIPLIER:
            new = a["bid_multiplier"]
            assert math.isfinite(new) and new > 0
            assert s.bid_multiplier * 0.85 - 1e-4 <= new <= s.bid_multiplier * 1.15 + 1e-4
        if item.action in (
            ChangeAction.SET_SEGMENT_MODIFIER,
            ChangeAction.SET_PLACEMENT_MODIFIER,
            ChangeAction.SET_DAYPART_MODIFIER,
        ):
            assert policy.modifier_min <= a["modifier"] <= policy.modifier_max
        if item.action is ChangeAction.SET_DAYPART_MODIFIER:
            assert a["hour"] in range(24)
        if item.action is ChangeAction.CREATE_CREATIVE:
            assert creative_violations(str(a.get("headline", "")), str(a.get("description", "")), policy.creative) == []
        if item.action is ChangeAction.SET_FREQUENCY_CAP and a.get("per_day") is not None:
            assert 1 <= a["per_day"] <= policy.max_frequency_cap
        if v.decision is Decision.AUTO:
            assert item.action.value in policy.autonomy.auto_apply
    if ceiling is not None:
        increased = any(i.action in (ChangeAction.SET_BUDGET, ChangeAction.RESUME_CAMPAIGN) for i, _ in live)
        if increased and total > context.account_budget_total_micros:
            assert total * policy.overdelivery_factor <= ceiling
