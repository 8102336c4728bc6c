"""The rules job against a store synced from an in-process sandbox (real Postgres): what it proposes, what the apply
queue gets, once a day, waiting for settled days, recovery of a lost enqueue, and the same store ⇒ the same
proposals."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adpilot.settings import Settings
from changesets import apply_change_set
from db.database import Database
from db.schema import AgentRun, AudienceSegment, Campaign, ChangeSet, Creative, PerformanceHour
from db.work_kinds import WorkKind
from guardrails.policy import load_policy
from platforms.sandbox import SandboxConfig, SandboxPlatform
from rules import job
from scheduler.daemon import load_plugin
from scheduler.jobs.sync import STATS_LOOKBACK, sync_platform
from scheduler.registry import JobContext, JobRegistry
from tests.conftest import empty
from tests.scheduler.test_effects_and_periods import HandClock, _ctx

PERMISSIVE = """\
evidence: {min_conversions_for_bid_or_budget: 0, min_clicks_for_creative_pause: 0}
autonomy: {auto_apply: [set_bid_multiplier, set_budget, pause_creative], max_auto_change_pct: 100}
min_daily_budget_micros: 0
"""


def _market() -> SandboxPlatform:
    """Two full simulated days, then 06:00 of the third (the sandbox starts at 00:00 UTC)."""
    platform = SandboxPlatform(SandboxConfig(seed=3, n_campaigns=2, n_users=20_000))
    platform.advance(2 * 48 + 12)
    return platform


def _write(platform: SandboxPlatform, name: str, campaign: str, value: int) -> None:
    getattr(platform, name)(campaign, value, idempotency_key=f"test-{name}-{campaign}")


def _seed_store(database: Database) -> SandboxPlatform:
    """A sandbox account's entities synced into the store, and hand-written hourly facts for the last 2 full days
    (the sandbox starts at 00:00, so those are the 2 days before it), so each rule's case is exact:

    - cmp_1 (target 40.00, budget 115.00): 110.00 spent for 2 conversions, CPA 55.00 > 1.2× target → bid cut;
    - cmp_2 (target 6.00, budget 55.00): 103.00 for 24 conversions, CPA 4.29 < 0.8× target, and 53.00 of 55.00
      spent yesterday (≥ 95 %) → budget raise; its second creative has 0.5 % CTR against the campaign's 1.7 %
      over 2,000 impressions → pause.
    """
    platform = SandboxPlatform(SandboxConfig(seed=3, n_campaigns=2, n_users=2_000))
    sync_platform(database, platform, "sandbox", end=platform.now(), stats_lookback=timedelta(0))  # entities only
    days = [platform.now() - timedelta(days=2) + timedelta(hours=12), platform.now() - timedelta(hours=1)]
    # (campaign, creative index, day, impressions, clicks, conversions, spend)
    rows = [
        (ext, i, d, 1_000, 20, 1 if i == 0 else 0, spend // 3)
        for ext, spends in [("cmp_1", (60, 50))]
        for d, spend in zip(days, (s * 1_000_000 for s in spends), strict=True)
        for i in range(3)
    ]
    for d, spend in zip(days, (50_000_000, 53_000_000), strict=True):
        rows += [("cmp_2", 0, d, 4_000, 80, 12, spend - 1_000_000), ("cmp_2", 1, d, 1_000, 5, 0, 1_000_000)]
    with database.transaction() as session:
        for ext, index, hour, imps, clicks, conversions, spend in rows:
            campaign = session.scalars(select(Campaign).where(Campaign.external_id == ext)).one()
            segment = session.scalars(
                select(AudienceSegment.id)
                .where(AudienceSegment.campaign_id == campaign.id)
                .order_by(AudienceSegment.id)
            ).first()
            creative = session.scalars(
                select(Creative.id).where(Creative.campaign_id == campaign.id).order_by(Creative.id)
            ).all()[index]
            session.add(
                PerformanceHour(
                    campaign_id=campaign.id,
                    segment_id=segment,
                    creative_id=creative,
                    hour_start=hour,
                    impressions=imps,
                    clicks=clicks,
                    conversions=conversions,
                    spend_micros=spend,
                )
            )
    return platform


def _weakest_creatives(platform: SandboxPlatform) -> dict[str, str]:
    """An independent oracle for the creative rule, from the platform's own report (not the store): per campaign,
    the active creative with ≥ 1,000 impressions and the lowest CTR below half the campaign's, over the 2 days."""
    acc = platform.list_accounts()[0].id
    day = platform.now().replace(hour=0)
    totals: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for s in platform.hourly_stats(acc, day - timedelta(days=2), day):
        totals[s.campaign_id][s.creative_id][0] += s.impressions
        totals[s.campaign_id][s.creative_id][1] += s.clicks
    out = {}
    for campaign, by_creative in totals.items():
        imps, clicks = sum(v[0] for v in by_creative.values()), sum(v[1] for v in by_creative.values())
        weak = [(c / i, cr) for cr, (i, c) in by_creative.items() if i >= 1_000 and c / i < 0.5 * clicks / imps]
        if weak:
            out[campaign] = min(weak)[1]
    return out


def _context(database: Database, platform: SandboxPlatform, policy: Path | None) -> JobContext:
    ctx = _ctx(database, HandClock(platform.now()), platform=platform)
    ctx.settings = Settings(_env_file=None, guardrail_policy_path=policy)
    return ctx


def _tick(
    database: Database, platform: SandboxPlatform, ctx: JobContext, ticks: int = 0, lookback: timedelta = STATS_LOOKBACK
) -> str:
    platform.advance(ticks)
    sync_platform(database, platform, "sandbox", end=platform.now(), stats_lookback=lookback)
    return job.run_rules(ctx, platform.now())


def _sets(database: Database) -> list[dict[str, Any]]:
    with database.transaction() as session:
        rows = session.execute(
            select(ChangeSet, Campaign.external_id)
            .join(Campaign, Campaign.id == ChangeSet.campaign_id)
            .where(ChangeSet.origin == "rules")
            .order_by(ChangeSet.id)
        ).all()
        out = []
        for cs, campaign in rows:
            [item] = cs.items
            creative = session.get(Creative, int(item.target_id)) if item.target_type == "creative" else None
            target = creative.external_id if creative is not None else None
            out.append(
                {
                    "id": cs.id,
                    "campaign": campaign,
                    "flags": list(cs.flags),
                    "status": cs.status,
                    "action": item.action,
                    "after": dict(item.after),
                    "creative": target,
                    "created_at": cs.created_at,
                }
            )
        return out


def _queued(database: Database) -> set[int]:
    with database.transaction() as session:
        runs = session.scalars(select(AgentRun).where(AgentRun.kind == WorkKind.APPLY_CHANGE_SET)).all()
        assert all(r.campaign_id is not None for r in runs)  # under the queue's one-run-per-campaign lock
        return {int(r.payload["change_set_id"]) for r in runs}


@pytest.fixture()
def permissive(tmp_path: Path) -> Path:
    path = tmp_path / "guardrails.yaml"
    path.write_text(PERMISSIVE, encoding="utf-8")
    return path


def _apply_all(database: Database, platform: SandboxPlatform, sets: list[dict[str, Any]], policy: Path) -> None:
    for s in sets:  # the one apply job, as the daemon's handler runs it
        outcome = apply_change_set(
            database, platform, s["id"], policy=load_policy(policy), now=platform.now(), actor="test", read_only=False
        )
        assert outcome.status == "applied", outcome


def _rows(sets: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(s["campaign"], s["flags"], s["action"], s["after"], s["creative"], s["status"]) for s in sets]


def test_each_rule_proposes_through_the_change_set_path_and_the_approved_sets_are_queued(database, permissive) -> None:
    platform = _seed_store(database)
    ctx = _context(database, platform, permissive)
    six = platform.now() + timedelta(hours=6)
    assert "0 change-sets proposed" in job.run_rules(ctx, six - timedelta(hours=1))  # 05:00: not settled yet
    summary = job.run_rules(ctx, six)
    sets = _sets(database)
    assert _rows(sets) == [
        ("cmp_1", ["rule:cpa_high"], "set_bid_multiplier", {"bid_multiplier": 0.9}, None, "approved"),
        ("cmp_2", ["rule:cpa_low_budget_limited"], "set_budget", {"daily_budget_micros": 63_250_000}, None, "approved"),
        ("cmp_2", ["rule:creative_low_ctr"], "pause_creative", {"status": "paused"}, "cr_0005", "approved"),
    ]
    assert all(s["created_at"] == six for s in sets)  # the clock's time, not the wall's
    assert summary == "rules: 2 campaigns, 3 change-sets proposed, 3 applies queued"
    assert _queued(database) == {s["id"] for s in sets}

    _apply_all(database, platform, sets, permissive)
    assert platform.get_controls("cmp_1").bid_multiplier == pytest.approx(0.9)
    assert platform.get_controls("cmp_2").daily_budget_micros == 63_250_000
    assert {c.id: c.status.value for c in platform.list_creatives("cmp_2")} == {
        "cr_0004": "active",
        "cr_0005": "paused",
    }
    assert "0 change-sets proposed" in job.run_rules(ctx, six + timedelta(hours=1))  # once a day
    assert len(_sets(database)) == 3


def test_with_the_default_guardrails_nothing_unsafe_is_queued_and_refused_rules_do_not_repeat(database) -> None:
    platform = _seed_store(database)
    ctx = _context(database, platform, None)
    six = platform.now() + timedelta(hours=6)
    job.run_rules(ctx, six)
    # 2 conversions are not the 10 the policy wants for a bid change; budgets wait for a person; 10 clicks are not
    # the 100 the policy wants before pausing a creative
    assert [(s["flags"], s["status"]) for s in _sets(database)] == [
        (["rule:cpa_high"], "blocked"),
        (["rule:cpa_low_budget_limited"], "pending_approval"),
        (["rule:creative_low_ctr"], "blocked"),
    ]
    assert _queued(database) == set()
    job.run_rules(ctx, six + timedelta(hours=1))
    assert len(_sets(database)) == 3  # not re-proposed every hour


def test_a_lost_enqueue_is_made_up_by_the_next_hour(database, permissive, monkeypatch) -> None:
    platform = _seed_store(database)
    ctx = _context(database, platform, permissive)
    six = platform.now() + timedelta(hours=6)

    def crash(*args: object) -> bool:
        raise RuntimeError("replica killed between propose and enqueue")

    with monkeypatch.context() as m:
        m.setattr(job, "_queue_apply", crash)
        with pytest.raises(RuntimeError):
            job.run_rules(ctx, six)
    [first] = _sets(database)
    assert first["status"] == "approved" and _queued(database) == set()
    summary = job.run_rules(ctx, six + timedelta(hours=1))
    sets = _sets(database)
    assert [s["flags"] for s in sets].count(first["flags"]) == 1  # not proposed twice
    assert _queued(database) == {s["id"] for s in sets}
    assert summary == f"rules: 2 campaigns, {len(sets) - 1} change-sets proposed, {len(sets)} applies queued"


def test_the_same_store_gives_the_same_proposals_in_the_same_order(database, permissive) -> None:
    def once() -> list[tuple[Any, ...]]:
        empty(database)
        platform = _seed_store(database)
        job.run_rules(_context(database, platform, permissive), platform.now() + timedelta(hours=6))
        return _rows(_sets(database))

    first = once()
    assert len(first) == 3 and once() == first


def test_rules_on_a_store_synced_from_the_sandbox_market(database, permissive) -> None:
    """The whole path on a simulated market: 2 days of delivery synced into the store. The first campaign's target
    CPA is then set far below what it achieved (an advertiser tightening it), so the bid cut must fire there; the
    creative rule must pause exactly what the platform's own report says is weakest (an oracle outside the store)."""
    platform = _market()
    first = platform.list_campaigns(platform.list_accounts()[0].id)[0].id
    _write(platform, "set_target_cpa", first, 1_000_000)
    ctx = _context(database, platform, permissive)
    summary = _tick(database, platform, ctx, lookback=timedelta(days=3))  # 06:00: everything so far
    sets = _sets(database)
    assert (first, ["rule:cpa_high"], {"bid_multiplier": 0.9}) in [
        (s["campaign"], s["flags"], s["after"]) for s in sets
    ]
    weakest = _weakest_creatives(platform)
    assert {s["campaign"]: s["creative"] for s in sets if s["flags"] == ["rule:creative_low_ctr"]} == weakest
    assert all(s["status"] == "approved" for s in sets) and _queued(database) == {s["id"] for s in sets}
    assert f"{len(sets)} change-sets proposed, {len(sets)} applies queued" in summary
    _apply_all(database, platform, sets, permissive)
    assert platform.get_controls(first).bid_multiplier == pytest.approx(0.9)
    assert "0 change-sets proposed" in _tick(database, platform, ctx, ticks=2)  # 07:00: once a day


def test_the_plugin_registers_an_hourly_run_job() -> None:
    registry = JobRegistry()
    load_plugin("rules.job:register", registry)
    [scheduled] = registry.scheduled()
    assert (scheduled.name, scheduled.period, scheduled.run) == ("rules", timedelta(hours=1), job.run_rules)
