"""Which segments deserve a different bid, by how much, and which should be excluded.

Each segment's conversion rate per impression is estimated with a Beta prior centred on its *predicted* rate (the
CTR×CVR model's prediction for the segment when a model is available, the campaign's own rate otherwise) with the
weight of ``PRIOR_IMPRESSIONS`` impressions: small segments stay near the prediction, large ones speak for
themselves. The value-optimal bid is proportional to the conversion rate, so the modifier moves toward
``posterior / predicted``. Segments whose CPA stays far above target with enough spend to be sure are excluded.
"""

from __future__ import annotations

from agents.candidates import Candidate
from guardrails.policy import GuardrailPolicy
from tools.read import CampaignState, SegmentPerformance

__all__ = ["PRIOR_IMPRESSIONS", "segment_candidates"]

PRIOR_IMPRESSIONS = 3000.0
MOVE_THRESHOLD = 0.15  # ignore moves smaller than ±15 %: noise and learning-phase churn cost more
EXCLUDE_CPA_MULTIPLE = 2.5


def segment_candidates(
    segments: list[SegmentPerformance],
    campaign: CampaignState,
    policy: GuardrailPolicy,
    predicted_rate: dict[int, float] | None = None,
) -> list[Candidate]:
    total_imps = sum(s.metrics.impressions for s in segments)
    total_conv = sum(s.metrics.conversions for s in segments)
    if total_imps == 0:
        return []
    campaign_rate = (total_conv + 1) / (total_imps + 1000)
    target = campaign.target_cpa_micros
    out: list[Candidate] = []
    for seg in segments:
        m = seg.metrics
        if seg.excluded or m.impressions < policy.evidence.min_impressions_for_segment:
            continue
        prior = (predicted_rate or {}).get(seg.segment_id, campaign_rate)
        posterior = (m.conversions + prior * PRIOR_IMPRESSIONS) / (m.impressions + PRIOR_IMPRESSIONS)
        ratio = posterior / prior if prior > 0 else 1.0
        cpa = m.cpa_micros
        if (
            target
            and m.spend_micros >= 3 * target
            and (cpa is None or cpa > EXCLUDE_CPA_MULTIPLE * target)
            and m.conversions <= max(1, m.spend_micros // (EXCLUDE_CPA_MULTIPLE * target))
        ):
            out.append(
                Candidate(
                    id=f"seg-{seg.segment_id}-exclude",
                    tool="propose_segment_exclusion",
                    args={"segment_id": seg.segment_id, "excluded": True},
                    reason=f"spent {m.spend_micros / 1e6:.2f} for {m.conversions} conversions "
                    f"(target CPA {target / 1e6:.2f})",
                    priority=m.spend_micros / target,
                )
            )
            continue
        if abs(ratio - 1) < MOVE_THRESHOLD:
            continue
        new = round(min(max(seg.bid_modifier * ratio, policy.modifier_min), policy.modifier_max), 2)
        if abs(new - seg.bid_modifier) < 0.05:
            continue
        direction = "up" if new > seg.bid_modifier else "down"
        out.append(
            Candidate(
                id=f"seg-{seg.segment_id}-{direction}",
                tool="propose_segment_modifier",
                args={"segment_id": seg.segment_id, "modifier": new},
                reason=f"converts at {ratio:.2f}x its predicted rate over {m.impressions} impressions",
                priority=abs(ratio - 1) * m.impressions / total_imps,
            )
        )
    return sorted(out, key=lambda c: -c.priority)
