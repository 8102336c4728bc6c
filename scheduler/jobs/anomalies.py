"""Anomaly checks with minimum-sample gates: zero spend, CPA spike, CTR collapse, tracking break.

Why gates: on small samples every ratio is noise (3 clicks and no conversion is not a tracking break), and an alert
that fires on noise trains operators to ignore alerts. Each rule therefore fires only when the baseline had enough
volume *and* the recent window had enough volume that the normal outcome would clearly have been visible.

The check runs in ``plan`` — inside the period-claim transaction — because it only reads the store and writes rows:
the alert, the reviewer run it opens and the claim commit together, so a crash can neither lose nor duplicate them.
Recent = the ``recent_hours`` before the period; baseline = the ``baseline_hours`` before that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from db.coordination import AlertRepository
from db.sync import SyncRepository, WindowTotals
from db.work_kinds import WorkKind
from scheduler.registry import JobContext, JobRegistry, ScheduledJob, WorkSpec

__all__ = ["Anomaly", "Gates", "detect", "register"]

REVIEWER_KIND = WorkKind.REVIEWER


@dataclass(frozen=True)
class Gates:
    recent_hours: int = 6
    baseline_hours: int = 7 * 24
    min_baseline_impressions: int = 5_000
    min_baseline_clicks: int = 50
    min_baseline_conversions: int = 20
    min_recent_impressions: int = 1_000
    min_expected_spend_micros: int = 1_000_000
    min_expected_conversions: float = 10.0
    cpa_spike_ratio: float = 2.5
    cpa_spike_min_spend_cpas: float = 3.0
    ctr_collapse_ratio: float = 0.5


@dataclass(frozen=True)
class Anomaly:
    kind: str
    severity: str
    message: str
    details: dict[str, float]


def detect(recent: WindowTotals, baseline: WindowTotals, gates: Gates, *, active: bool, budget_micros: int) -> list[
        Anomaly]:
    """Pure rules over two windows of sums. ``baseline`` is scaled to the recent window's length."""
    if baseline.hours == 0:
        return []
    scale = gates.recent_hours / max(baseline.hours, 1)
    found: list[Anomaly] = []
    expected_spend = baseline.spend_micros * scale
    if (active and budget_micros > 0 and recent.spend_micros == 0
            and baseline.impressions >= gates.min_baseline_impressions
            and expected_spend >= gates.min_expected_spend_micros):
        found.append(Anomaly("zero_spend", "critical", "no spend in the recent window although the campaign is active",
                             {"expected_spend_micros": expected_spend}))
    if baseline.conversions >= gates.min_baseline_conversions and baseline.spend_micros > 0:
        base_cpa = baseline.spend_micros / baseline.conversions
        recent_cpa = recent.spend_micros / recent.conversions if recent.conversions else float("inf")
        if (recent.spend_micros >= gates.cpa_spike_min_spend_cpas * base_cpa
                and recent_cpa > gates.cpa_spike_ratio * base_cpa):
            found.append(Anomaly("cpa_spike", "warning", "recent CPA far above the baseline CPA",
                                 {"baseline_cpa_micros": base_cpa, "recent_cpa_micros": min(recent_cpa, 1e18)}))
    if (baseline.impressions >= gates.min_baseline_impressions and baseline.clicks >= gates.min_baseline_clicks
            and recent.impressions >= gates.min_recent_impressions):
        base_ctr, recent_ctr = baseline.clicks / baseline.impressions, recent.clicks / recent.impressions
        if recent_ctr < gates.ctr_collapse_ratio * base_ctr:
            found.append(Anomaly("ctr_collapse", "warning", "recent CTR collapsed against the baseline",
                                 {"baseline_ctr": base_ctr, "recent_ctr": recent_ctr}))
    if baseline.conversions >= gates.min_baseline_conversions and baseline.clicks > 0:
        expected_conversions = recent.clicks * baseline.conversions / baseline.clicks
        if recent.conversions == 0 and expected_conversions >= gates.min_expected_conversions:
            found.append(Anomaly("tracking_break", "critical", "clicks but no conversions: conversion tracking broken?",
                                 {"expected_conversions": expected_conversions}))
    return found


def _plan(ctx: JobContext, session: Session, period: datetime) -> list[WorkSpec]:
    gates: Gates = ctx.options.get("anomaly_gates") or Gates()
    repo, alerts = SyncRepository(session), AlertRepository(session)
    recent_start = period - timedelta(hours=gates.recent_hours)
    baseline_start = recent_start - timedelta(hours=gates.baseline_hours)
    specs: list[WorkSpec] = []
    for campaign in repo.campaigns(active_only=True):
        recent = repo.window_totals(campaign.id, recent_start, period)
        baseline = repo.window_totals(campaign.id, baseline_start, recent_start)
        for anomaly in detect(recent, baseline, gates, active=True, budget_micros=campaign.daily_budget_micros):
            alert_id = alerts.open_once(kind=anomaly.kind, severity=anomaly.severity, campaign_id=campaign.id,
                                        message=anomaly.message, details={**anomaly.details,
                                                                          "period": period.isoformat()})
            if alert_id is None:
                continue
            specs.append(WorkSpec(
                REVIEWER_KIND, dedupe_key=f"anomaly:{alert_id}", campaign_id=campaign.id,
                account_id=campaign.account_id, trigger="anomaly",
                payload={"alert_id": alert_id, "anomaly": anomaly.kind, "reason": anomaly.message},
            ))
            ctx.log.warning("anomaly", campaign=campaign.id, kind=anomaly.kind, alert=alert_id)
    return specs


def register(registry: JobRegistry) -> None:
    registry.schedule(ScheduledJob("anomaly_checks", timedelta(hours=1), plan=_plan,
                                   description="zero spend / CPA spike / CTR collapse / tracking break → alert"))
