"""Read one campaign's :class:`rules.ruleset.CampaignFacts` from the store — what the advertiser sees after the
sync, never the sandbox's hidden truth — and decide which of today's rule firings count.

Days are UTC days (``scheduler.clock.floor_period``), like every other daily period of the daemon. The last full
days are *settled* once the sync's re-read window (``STATS_LOOKBACK``) has passed midnight and the store holds
data through the end of yesterday; see ``rules.ruleset`` for why the rules wait for that.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from db.campaigns import CampaignRepository
from db.enums import ChangeSetStatus
from db.performance import PerformanceRepository
from db.rule_facts import RuleFiring
from db.sync import SyncRepository
from rules.ruleset import CampaignFacts, CreativeFacts, Thresholds
from scheduler.clock import floor_period
from scheduler.jobs.sync import STATS_LOOKBACK

__all__ = ["DAY", "counts_as_fired", "read_facts", "settled"]

DAY = timedelta(days=1)


def settled(session: Session, now: datetime) -> bool:
    """Whether yesterday's figures in the store are final (no later sync will re-read them)."""
    today = floor_period(now, DAY)
    latest = SyncRepository(session).latest_hour()
    return now >= today + STATS_LOOKBACK and latest is not None and latest + timedelta(hours=1) >= today


def counts_as_fired(firing: RuleFiring) -> bool:
    """A firing counts for the day unless the guardrails refused it only for a cooldown: that ends within the day,
    so the rule tries again next hour. Applied, waiting for approval, or blocked for evidence or limits: fired."""
    return not (firing.status == ChangeSetStatus.BLOCKED.value and firing.blocked_by == {"cooldown"})


def read_facts(
    session: Session, campaign_id: int, now: datetime, firings: list[RuleFiring], thresholds: Thresholds
) -> CampaignFacts:
    """The facts the rule set judges, as of ``now`` (``firings``: the campaign's rule change-sets of today)."""
    today = floor_period(now, DAY)
    campaign = CampaignRepository(session).get(campaign_id)
    perf = PerformanceRepository(session)
    days = perf.daily(campaign_id, today - thresholds.cpa_days * DAY, today)
    yesterday = [d for d in days if d.day == today - DAY]
    window = today - thresholds.creative_days * DAY
    by_creative = {t.key: t for t in perf.by_creative(campaign_id, window, today)}
    creatives = tuple(
        CreativeFacts(
            creative_id=c.id,
            active=c.status == "active",
            impressions=by_creative[c.id].impressions if c.id in by_creative else 0,
            clicks=by_creative[c.id].clicks if c.id in by_creative else 0,
        )
        for c in perf.creatives(campaign_id)
    )
    return CampaignFacts(
        campaign_id=campaign_id,
        target_cpa_micros=campaign.target_cpa_micros,
        daily_budget_micros=campaign.daily_budget_micros,
        bid_multiplier=float(campaign.bid_multiplier),
        settled=settled(session, now),
        days_with_data=sum(1 for d in days if d.impressions > 0 or d.spend_micros > 0),
        spend_micros=sum(d.spend_micros for d in days),
        conversions=sum(d.conversions for d in days),
        spend_yesterday_micros=yesterday[0].spend_micros if yesterday else 0,
        creatives=creatives,
        campaign_impressions=sum(t.impressions for t in by_creative.values()),
        campaign_clicks=sum(t.clicks for t in by_creative.values()),
        fired_today=frozenset(f.rule for f in firings if f.created_at >= today and counts_as_fired(f)),
    )
