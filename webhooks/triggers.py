"""Event → triggered work: which agent run, if any, an inbound event asks for.

The mapping is deliberately small and total: every event is stored, and only these wake an agent —
- budget depleted → ``pacing_review`` (the pacing controller and bid & budget optimiser look at the day's spend);
- creative disapproved or fatigued → ``creative_strategist`` (replace or repair the creative);
- conversion anomalies and tracking breaks → ``reviewer`` (a human-facing review; never an automatic fix).
Routine hourly ``conversions`` counts and ``daily_summary`` rows are stored without a run: the daemon's own anomaly
checks read the stats with minimum-sample gates. Unknown types are stored and ignored, so a platform adding an event
type never breaks intake. Each platform's spelling is folded to one canonical type first (case-insensitive, ``.``
and ``-`` read as ``_``) so the table stays one line per meaning.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.work_kinds import WorkKind
from webhooks.events import InboundEvent

__all__ = ["RunKind", "Trigger", "canonical_type", "trigger_for"]


RunKind = WorkKind  # the work kinds webhook events trigger (pacing_review, creative_strategist, reviewer)


@dataclass(frozen=True, slots=True)
class Trigger:
    kind: RunKind
    reason: str


_ALIASES: dict[str, str] = {
    # budget
    "budget_depleted": "budget_depleted",
    "budget_exhausted": "budget_depleted",
    "campaign_budget_depleted": "budget_depleted",
    "campaign_budget_exhausted": "budget_depleted",
    "account_spending_limit_reached": "budget_depleted",
    # creatives
    "creative_disapproved": "creative_disapproved",
    "ad_disapproved": "creative_disapproved",
    "ad_review_rejected": "creative_disapproved",
    "with_issues_ad_objects": "creative_disapproved",
    "creative_fatigue": "creative_fatigue",
    "ad_fatigue": "creative_fatigue",
    "creative_fatigued": "creative_fatigue",
    # conversions
    "conversion_anomaly": "conversion_anomaly",
    "conversions_anomaly": "conversion_anomaly",
    "conversion_drop": "conversion_anomaly",
    "conversion_spike": "conversion_anomaly",
    "tracking_break": "conversion_anomaly",
    "pixel_inactive": "conversion_anomaly",
}

_TRIGGERS: dict[str, RunKind] = {
    "budget_depleted": RunKind.PACING_REVIEW,
    "creative_disapproved": RunKind.CREATIVE_STRATEGIST,
    "creative_fatigue": RunKind.CREATIVE_STRATEGIST,
    "conversion_anomaly": RunKind.REVIEWER,
}


def canonical_type(event_type: str) -> str:
    """The canonical spelling, or the folded input when it is not a known alias."""
    folded = event_type.strip().lower().replace(".", "_").replace("-", "_")
    return _ALIASES.get(folded, folded)


def trigger_for(event: InboundEvent) -> Trigger | None:
    """The run this event asks for, or None (stored only)."""
    canonical = canonical_type(event.event_type)
    kind = _TRIGGERS.get(canonical)
    return Trigger(kind=kind, reason=canonical) if kind is not None else None
