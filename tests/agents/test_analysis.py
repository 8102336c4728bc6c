"""The deterministic analysis behind each agent node: candidates, gates, statistics."""

from __future__ import annotations

from agents.audience.analysis import segment_candidates
from agents.bidding.analysis import bid_budget_candidates, daypart_candidates, reallocation_candidates
from agents.creative.analysis import creative_candidates, prob_best
from guardrails.policy import GuardrailPolicy
from tools.read import AccountCampaign, CampaignState, CreativePerformance, HourPerformance, Metrics, SegmentPerformance

POLICY = GuardrailPolicy()


def metrics(imps: int, clicks: int, conv: int, spend: int) -> Metrics:
    return Metrics(
        impressions=imps,
        clicks=clicks,
        conversions=conv,
        spend_micros=spend,
        ctr=clicks / imps if imps else 0,
        cvr=conv / clicks if clicks else 0,
        cpa_micros=spend // conv if conv else None,
    )


def campaign(**kw) -> CampaignState:
    base = dict(
        campaign_id=1,
        name="c",
        objective="conversions",
        status="active",
        daily_budget_micros=100_000_000,
        target_cpa_micros=20_000_000,
        bid_multiplier=1.0,
        frequency_cap_per_day=None,
        protected=False,
        window_days=7,
        window=metrics(100_000, 2000, 50, 700_000_000),
        budget_utilisation=1.0,
        days_budget_limited=6,
    )
    base.update(kw)
    return CampaignState(**base)  # type: ignore[arg-type]


def segment(sid: int, imps: int, conv: int, spend: int, modifier: float = 1.0) -> SegmentPerformance:
    return SegmentPerformance(
        segment_id=sid,
        name=f"s{sid}",
        bid_modifier=modifier,
        excluded=False,
        metrics=metrics(imps, imps // 50, conv, spend),
        conversions_per_1k_impressions=1000 * conv / imps,
    )


def test_segments_move_toward_their_conversion_rate_with_shrinkage() -> None:
    segs = [
        segment(1, 40_000, 40, 200_000_000),
        segment(2, 40_000, 10, 200_000_000),
        segment(3, 500, 5, 1_000_000),
        segment(4, 20_000, 15, 100_000_000),
    ]
    cands = {c.id: c for c in segment_candidates(segs, campaign(), POLICY)}
    assert cands["seg-1-up"].args["modifier"] > 1 and cands["seg-2-down"].args["modifier"] < 1
    assert not any(c.startswith("seg-3") for c in cands)  # under the minimum-impressions gate
    assert not any(c.startswith("seg-4") for c in cands)  # at the campaign rate: no move


def test_segments_burning_money_are_excluded() -> None:
    segs = [segment(1, 40_000, 40, 200_000_000), segment(2, 30_000, 0, 90_000_000)]
    cands = {c.id: c for c in segment_candidates(segs, campaign(), POLICY)}
    assert cands["seg-2-exclude"].tool == "propose_segment_exclusion"


def creative(
    cid: int, imps: int, clicks: int, first: float, second: float, status: str = "active"
) -> CreativePerformance:
    return CreativePerformance(
        creative_id=cid,
        headline="h",
        description="d",
        status=status,
        origin="human",
        metrics=metrics(imps, clicks, 0, 0),
        ctr_first_half=first,
        ctr_second_half=second,
    )


def test_creative_test_retires_a_clear_loser_and_keeps_the_leader() -> None:
    best, loser = creative(1, 10_000, 300, 0.03, 0.03), creative(2, 10_000, 120, 0.012, 0.012)
    p = prob_best([best, loser], seed=1)
    assert p[1] > 0.99 and p[2] < 0.01
    pauses, reasons = creative_candidates([best, loser, creative(3, 100, 2, 0.02, 0.02)])
    assert [c.args["creative_id"] for c in pauses] == [2]
    assert reasons  # a challenger is wanted


def test_fatigue_is_detected_and_never_pauses_everything() -> None:
    tired = creative(1, 8_000, 160, 0.03, 0.01)
    pauses, reasons = creative_candidates([tired])
    assert pauses == [] and any("fatigue" in r or "challenger" in r for r in reasons)  # the only creative stays


def test_bid_and_budget_follow_cpa_and_budget_limits() -> None:
    expensive = campaign(window=metrics(100_000, 2000, 20, 800_000_000))  # CPA 40 vs target 20
    ids = {c.id: c for c in bid_budget_candidates(expensive, 10)}
    assert ids["bid-down"].args["bid_multiplier"] < 1 and "budget-down" in ids
    cheap_limited = campaign(window=metrics(100_000, 2000, 50, 500_000_000))  # CPA 10
    assert [c.id for c in bid_budget_candidates(cheap_limited, 10)] == ["budget-up"]
    cheap_idle = campaign(window=metrics(100_000, 2000, 50, 500_000_000), days_budget_limited=0, budget_utilisation=0.4)
    assert [c.id for c in bid_budget_candidates(cheap_idle, 10)] == ["bid-up"]
    assert bid_budget_candidates(campaign(window=metrics(1000, 20, 3, 30_000_000)), 10) == []  # too few conversions


def test_reallocation_moves_budget_from_the_least_efficient_campaign() -> None:
    me = campaign(window=metrics(100_000, 2000, 50, 500_000_000))
    donor = AccountCampaign(
        campaign_id=2,
        name="d",
        status="active",
        daily_budget_micros=200_000_000,
        target_cpa_micros=20_000_000,
        window=metrics(100_000, 2000, 20, 1_000_000_000),
        budget_utilisation=1.0,
    )
    cands = reallocation_candidates(me, [donor], 10)
    assert [c.args.get("campaign_id") for c in cands] == [2, None]
    moved = 200_000_000 - cands[0].args["new_daily_budget_micros"]
    assert cands[1].args["new_daily_budget_micros"] - 100_000_000 == moved > 0


def test_dayparting_targets_hours_far_from_the_average() -> None:
    hours = [HourPerformance(hour=h, metrics=metrics(10_000, 200, 10, 100_000_000)) for h in range(24)]
    hours[3] = HourPerformance(hour=3, metrics=metrics(10_000, 200, 1, 100_000_000))
    cands = daypart_candidates(hours, {}, min_spend=40_000_000)
    assert cands[0].args["hour"] == 3 and cands[0].args["modifier"] < 1
