"""A sandbox platform and its mirror in the store, for change-set tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from db.accounts import AccountRepository
from db.campaigns import CampaignRepository
from db.database import Database
from db.schema import AudienceSegment, Creative, PerformanceHour
from platforms.sandbox import SandboxConfig, SandboxPlatform


@dataclass
class Mirror:
    platform: SandboxPlatform
    account_id: int
    campaigns: dict[str, int]  # platform id -> store id
    segments: dict[tuple[int, str], int]
    creatives: dict[str, int]


@pytest.fixture()
def mirror(database: Database) -> Mirror:
    return build_mirror(database)


def build_mirror(database: Database) -> Mirror:
    """A fresh sandbox account (2 campaigns) and its mirror in the (emptied) store, with enough evidence rows."""
    platform = SandboxPlatform(SandboxConfig(seed=3, n_campaigns=2, n_users=5_000, traffic_scale=0.2))
    acc = platform.list_accounts()[0]
    campaigns, segments, creatives = {}, {}, {}
    with database.transaction() as s:
        account = AccountRepository(s).add(platform="sandbox", external_id=acc.id, name=acc.name)
        for c in platform.list_campaigns(acc.id):
            row = CampaignRepository(s).create(
                account_id=account.id,
                external_id=c.id,
                name=c.name,
                objective=c.objective.value,
                daily_budget_micros=c.daily_budget_micros,
                target_cpa_micros=c.target_cpa_micros,
            )
            campaigns[c.id] = row.id
            for seg in platform.list_segments(acc.id):
                srow = AudienceSegment(
                    campaign_id=row.id, external_id=seg.id, name=seg.name, definition=dict(seg.attributes)
                )
                s.add(srow)
                s.flush()
                segments[(row.id, seg.id)] = srow.id
            for cr in platform.list_creatives(c.id):
                crow = Creative(
                    campaign_id=row.id,
                    external_id=cr.id,
                    headline=cr.headline,
                    description=cr.description,
                    status=cr.status.value,
                )
                s.add(crow)
                s.flush()
                creatives[cr.id] = crow.id
            # evidence: enough conversions / impressions / clicks for the guardrails' minimum-evidence rules
            seg_id = next(v for (cid, _), v in segments.items() if cid == row.id)
            for cr_store in [v for k, v in creatives.items() if k in {x.id for x in platform.list_creatives(c.id)}]:
                s.add(
                    PerformanceHour(
                        campaign_id=row.id,
                        segment_id=seg_id,
                        creative_id=cr_store,
                        hour_start=platform.now() - timedelta(hours=3),
                        impressions=5000,
                        clicks=400,
                        conversions=30,
                        spend_micros=10_000_000,
                    )
                )
        account_id = account.id
    return Mirror(platform, account_id, campaigns, segments, creatives)
