"""An agent world: a sandbox account that ran a few simulated days, synced into its own fresh database (module
scoped, so the cycles of one test module share it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from db import migrate
from db.campaigns import CampaignRepository
from db.database import Database, make_engine
from platforms.sandbox import SandboxConfig, SandboxPlatform
from scheduler.jobs.sync import sync_platform


@dataclass
class World:
    database: Database
    platform: SandboxPlatform
    campaign_ids: list[int]
    now: datetime


def build_world(url: str, *, days: int = 3, n_campaigns: int = 2, seed: int = 5) -> World:
    database = Database(make_engine(url), embedded=False)
    migrate.upgrade(database)
    platform = SandboxPlatform(SandboxConfig(seed=seed, n_campaigns=n_campaigns, n_users=20_000))
    start = platform.now()
    platform.advance(48 * days)
    sync_platform(
        database,
        platform,
        "sandbox",
        end=platform.now(),
        stats_lookback=platform.now() - start,
        impression_lookback=timedelta(hours=1),
    )
    with database.transaction() as session:
        ids = [c.id for c in CampaignRepository(session).list_campaigns()]
    return World(database, platform, ids, platform.now())


@pytest.fixture(scope="module")
def world(fresh_databases) -> World:
    w = build_world(fresh_databases.create("adpilot_agents"))
    yield w
    w.database.dispose()
