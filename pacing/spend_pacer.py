"""The live pacer: the next bid multiplier of a campaign from what the platform reports — spend and conversions so
far today — without per-auction data (which real ad platforms do not hand out; the bench's ``LandscapePacer`` uses
it where it exists).

Rule: ``pace = spend / (budget × share of the day elapsed)``; the multiplier moves by ``pace^(-gain)`` (behind plan →
up, ahead → down), bounded per step, and never up while today's CPA runs above ``cpa_guard`` × target with enough
conversions to tell. Pure function: the daemon's pacing job calls it per tick and turns the answer into a
change-set, which the guardrail policy's ``pacing`` section bounds again.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PaceInput", "next_multiplier"]


@dataclass(frozen=True)
class PaceInput:
    multiplier: float
    spend_today_micros: int
    budget_micros: int
    share_of_day_elapsed: float
    conversions_today: int
    target_cpa_micros: int | None


def next_multiplier(
    x: PaceInput, *, gain: float = 0.6, max_step: float = 0.3, cpa_guard: float = 1.25, min_conversions: int = 3
) -> float:
    if x.budget_micros <= 0 or x.share_of_day_elapsed <= 0.02:
        return x.multiplier
    planned = x.budget_micros * min(x.share_of_day_elapsed, 1.0)
    pace = max(x.spend_today_micros, 1) / planned
    factor = min(max(pace ** (-gain), 1 - max_step), 1 + max_step)
    if x.target_cpa_micros and x.conversions_today >= min_conversions:
        cpa = x.spend_today_micros / x.conversions_today
        if cpa > cpa_guard * x.target_cpa_micros:
            factor = min(factor, 1 - max_step / 2)
    return x.multiplier * factor
