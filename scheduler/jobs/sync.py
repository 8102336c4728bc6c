"""Stats sync: pull accounts, campaigns, segments, creatives, hourly stats and impression logs from a platform into
the store (the SQL is ``db.sync``).

Scheduled hourly as a *work item* (``plan``), so a replica killed mid-sync leaves an item that is rescued and re-run;
re-running is harmless because every write is an upsert by natural key. Each run re-reads a trailing window
(``STATS_LOOKBACK``) because conversions are attributed to the impression's hour and arrive late.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from db.database import Database
from db.sync import SyncRepository
from db.work_kinds import WorkKind
from db.work_queue import ClaimedItem, WorkQueue
from platforms.base import AdPlatform, CreativeStatus
from scheduler.registry import JobContext, JobRegistry, ScheduledJob, WorkSpec

__all__ = ["IMPRESSION_LOOKBACK", "KIND", "STATS_LOOKBACK", "register", "sync_platform"]

KIND = WorkKind.STATS_SYNC
STATS_LOOKBACK = timedelta(hours=6)
IMPRESSION_LOOKBACK = timedelta(hours=2)
IMPRESSION_LIMIT = 50_000


def sync_platform(
    database: Database, platform: AdPlatform, platform_name: str, *, end: datetime,
    stats_lookback: timedelta = STATS_LOOKBACK, impression_lookback: timedelta = IMPRESSION_LOOKBACK,
) -> dict[str, int]:
    """Sync everything for ``[end - lookback, end)``; one transaction for entities, one per campaign for facts.
    A zero ``stats_lookback`` syncs the entities only (a state re-read)."""
    counts = {"campaigns": 0, "hours": 0, "impressions": 0}
    for account in platform.list_accounts():
        campaigns = platform.list_campaigns(account.id)
        segments = platform.list_segments(account.id)
        with database.transaction() as session:
            repo = SyncRepository(session)
            account_id = repo.upsert_account(platform=platform_name, external_id=account.id, name=account.name,
                                             currency=account.currency, time_zone=account.timezone)
            store_ids = {c.id: _upsert_campaign(repo, platform, account_id, c, segments) for c in campaigns}
        counts["campaigns"] += len(store_ids)
        if stats_lookback <= timedelta(0):
            continue
        stats = platform.hourly_stats(account.id, end - stats_lookback, end)
        for external_id, campaign_id in store_ids.items():
            logs = platform.impression_logs(external_id, end - impression_lookback, end, limit=IMPRESSION_LIMIT)
            with database.transaction() as session:
                hours, imps = _store_facts(session, campaign_id, [s for s in stats if s.campaign_id == external_id],
                                           logs)
            counts["hours"] += hours
            counts["impressions"] += imps
    return counts


def _upsert_campaign(repo: SyncRepository, platform: AdPlatform, account_id: int, campaign: Any,
                     segments: list[Any]) -> int:
    controls = platform.get_controls(campaign.id)
    campaign_id = repo.upsert_campaign(
        account_id=account_id, external_id=campaign.id, name=campaign.name, objective=campaign.objective.value,
        status=campaign.status.value, daily_budget_micros=campaign.daily_budget_micros,
        target_cpa_micros=campaign.target_cpa_micros, bid_multiplier=controls.bid_multiplier,
        frequency_cap_per_day=controls.frequency_cap_per_day,
    )
    repo.upsert_segments(campaign_id, [
        {"external_id": segment.id, "name": segment.name, "definition": dict(segment.attributes),
         "bid_modifier": float(controls.segment_modifiers.get(segment.id, 1.0)),
         "excluded": segment.id in controls.excluded_segments}
        for segment in segments
    ])
    for creative in platform.list_creatives(campaign.id):
        disapproved = creative.status is CreativeStatus.DISAPPROVED
        repo.upsert_creative(
            campaign_id=campaign_id, external_id=creative.id, headline=creative.headline or "(empty)",
            description=creative.description, status=creative.status.value,
            policy_verdict="disapproved" if disapproved else "approved",
            policy_reasons=list(creative.disapproval_reasons),
        )
    return campaign_id


def _store_facts(session: Session, campaign_id: int, stats: list[Any], logs: list[Any]) -> tuple[int, int]:
    repo = SyncRepository(session)
    segments, creatives = repo.id_maps(campaign_id)
    hours = [
        {"campaign_id": campaign_id, "segment_id": segments[s.segment_id], "creative_id": creatives[s.creative_id],
         "hour_start": s.hour_start, "impressions": s.impressions, "clicks": s.clicks,
         "conversions": s.conversions, "spend_micros": s.cost_micros, "revenue_micros": 0}
        for s in stats if s.segment_id in segments and s.creative_id in creatives
    ]
    impressions = [
        {"campaign_id": campaign_id, "segment_id": segments.get(r.segment_id),
         "creative_id": creatives.get(r.creative_id), "external_id": r.impression_id, "occurred_at": r.timestamp,
         "features": dict(r.features), "clicked": r.clicked, "converted_at": r.converted_at,
         "cost_micros": r.cost_micros}
        for r in logs
    ]
    return repo.upsert_performance(hours), repo.upsert_impressions(impressions)


def _plan(ctx: JobContext, session: Session, period: datetime) -> list[WorkSpec]:
    return [WorkSpec(KIND, dedupe_key=f"{KIND}:{period.isoformat()}", payload={"end": period.isoformat()})]


MAX_CATCH_UP = timedelta(days=3)


def _handle(ctx: JobContext, item: ClaimedItem) -> dict[str, Any]:
    """Sync up to the item's period end. When a later sync is already waiting this one is superseded (the later
    one re-reads from the last synced hour, so nothing is skipped); behind schedule, the lookback widens to reach
    back to the last synced hour instead of leaving a hole."""
    end = datetime.fromisoformat(item.payload["end"])
    with ctx.database.transaction() as session:
        if WorkQueue(session).newer_pending(KIND, "end", item.payload["end"]):
            return {"superseded": True}
        last = SyncRepository(session).latest_hour()
    lookback, impressions = STATS_LOOKBACK, timedelta(hours=12)
    if last is not None:
        gap = end - last + timedelta(hours=1)  # 2 h when the previous hourly sync ran on time
        lookback = min(max(STATS_LOOKBACK, gap), MAX_CATCH_UP)
        # impression logs widen only when behind: re-reading 6-12 h of logs every hour made each sync cost 5-25 s
        impressions = max(IMPRESSION_LOOKBACK, min(gap, timedelta(hours=12)))
    name = str(ctx.options.get("platform_name", "sandbox"))
    return {"synced": sync_platform(ctx.database, ctx.require_platform(), name, end=end, stats_lookback=lookback,
                                    impression_lookback=impressions)}


def register(registry: JobRegistry) -> None:
    registry.schedule(ScheduledJob("stats_sync", timedelta(hours=1), plan=_plan, catch_up=2,
                                   description="hourly stats sync from the platform into the store"))
    registry.handle(KIND, _handle)
