"""A small, exactly known store for the report, count and listing tests: one account (EUR), two campaigns with
hourly performance, creatives and a segment, and change-sets of several origins and outcomes written through the
repository (statuses then set as the lifecycle would leave them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from db.changesets import ChangeSetRepository
from db.database import Database
from db.schema import AdAccount, AudienceSegment, Campaign, ChangeSet, Creative, PerformanceHour

START = datetime(2027, 3, 1, tzinfo=UTC)
HOSTILE = "<script>alert('x')</script> [bold]Spring[/] $x^$"  # HTML, Rich markup, matplotlib mathtext
SHARED_RATIONALE = "CPA ran 30 % under target for three days while the budget ran out by 15:00."


@dataclass
class Seeded:
    account_id: int
    campaign_ids: list[int]
    creative_ids: list[int]
    segment_id: int
    change_set_ids: dict[str, list[int]] = field(default_factory=dict)


def _item(campaign_id: int, action: str, target_type: str, target_id: Any, before: dict, after: dict, **extra: Any):
    return {
        "campaign_id": campaign_id,
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id),
        "before": before,
        "after": after,
        "idempotency_key": f"k-{campaign_id}-{action}-{target_id}-{after}-{extra.get('tag', '')}",
        "status": extra.get("status", "proposed"),
        "rationale": extra.get("rationale", ""),
        "error": extra.get("error"),
        "guardrail_verdict": extra.get("verdict"),
    }


def seed(database: Database, *, hours: int = 48) -> Seeded:
    """Campaign 1 spends 2.00 EUR and converts once every hour; campaign 2 spends 1.00 EUR an hour, one conversion
    every 4 hours. Change-sets (created inside the first 48 h unless said otherwise):

    agents: applied ×2 (one rolled back), blocked ×1 (2 items blocked), applied with 1 of 2 items blocked,
    expired ×2 (one never approved, one approved but not applied), failed ×1, pending ×1; cli: applied ×1;
    pacer: applied ×3, failed ×2 (the sandbox's write limit), expired ×1; rules: applied ×1;
    and one agents' change-set 10 days before START (outside every window the tests use).
    """
    with database.transaction() as s:
        account = AdAccount(platform="sandbox", external_id="acme", name="Acme & Co", currency="EUR", time_zone="UTC")
        s.add(account)
        s.flush()
        campaigns = [
            Campaign(account_id=account.id, external_id=f"c{i}", name=name, objective="conversions",
                     daily_budget_micros=budget, target_cpa_micros=target)
            for i, (name, budget, target) in enumerate(
                [(HOSTILE, 50_000_000, 12_500_000), ("Evergreen", 30_000_000, 12_500_000)]
            )
        ]
        s.add_all(campaigns)
        s.flush()
        segment = AudienceSegment(campaign_id=campaigns[0].id, external_id="s1", name="Returning visitors")
        creatives = [Creative(campaign_id=c.id, external_id=f"cr{c.id}", headline=h)
                     for c, h in zip(campaigns, [HOSTILE, "Evergreen offer"], strict=True)]
        s.add(segment)
        s.add_all(creatives)
        s.flush()
        for h in range(hours):
            at = START + timedelta(hours=h)
            s.add(PerformanceHour(campaign_id=campaigns[0].id, segment_id=segment.id, creative_id=creatives[0].id,
                                  hour_start=at, impressions=100, clicks=5, conversions=1, spend_micros=2_000_000))
            s.add(PerformanceHour(campaign_id=campaigns[1].id, segment_id=segment.id, creative_id=creatives[1].id,
                                  hour_start=at, impressions=50, clicks=1, conversions=1 if h % 4 == 0 else 0,
                                  spend_micros=1_000_000))
        seeded = Seeded(account.id, [c.id for c in campaigns], [c.id for c in creatives], segment.id)
        c1, c2 = seeded.campaign_ids
        repo = ChangeSetRepository(s)

        def cs(origin: str, status: str, items: list[dict], *, hour: float, decided: bool = False,
               rationale: str = "", summary: str = "", flags: list[str] | None = None, campaign: int = c1) -> int:
            created = START + timedelta(hours=hour)
            row = repo.create(account_id=account.id, campaign_id=campaign, origin=origin,
                              expires_at=created + timedelta(hours=24), items=items, summary=summary,
                              rationale=rationale, created_at=created)
            row.status, row.flags = status, flags or []
            row.decided_at = created + timedelta(minutes=30) if decided else None
            seeded.change_set_ids.setdefault(f"{origin}:{status}", []).append(row.id)
            return row.id

        budget = _item(c1, "set_budget", "campaign", c1, {"daily_budget_micros": 50_000_000},
                       {"daily_budget_micros": 70_000_000}, status="applied", rationale=SHARED_RATIONALE,
                       verdict={"decision": "allow", "clamped": True, "rules": ["autonomy_tier"],
                                "requested": {"daily_budget_micros": 80_000_000}})
        cs("agents", "applied", [budget], hour=2, decided=True, rationale=SHARED_RATIONALE, summary="more budget",
           flags=["bid_optimiser: model unavailable or invalid, deterministic choice kept"])
        bid = _item(c1, "set_bid_multiplier", "campaign", c1, {"bid_multiplier": 1.0}, {"bid_multiplier": 0.92},
                    status="rolled_back")
        cs("agents", "rolled_back", [bid], hour=3, decided=True, rationale=SHARED_RATIONALE, summary="lower bids")
        blocked = [
            _item(c1, "pause_creative", "creative", seeded.creative_ids[0], {"status": "active"},
                  {"status": "paused"}, status="blocked", verdict={"decision": "block", "rules": ["protected"]}),
            _item(c1, "set_segment_modifier", "segment", segment.id, {"modifier": 1.0}, {"modifier": 1.2},
                  status="blocked", verdict={"decision": "block", "rules": ["kill_switch"]}),
        ]
        cs("agents", "blocked", blocked, hour=4, rationale="Pause the weak creative.", summary="pause weak creative")
        partly = [
            _item(c2, "set_budget", "campaign", c2, {"daily_budget_micros": 30_000_000},
                  {"daily_budget_micros": 33_000_000}, status="applied", tag="p"),
            _item(c2, "set_target_cpa", "campaign", c2, {"target_cpa_micros": 12_500_000},
                  {"target_cpa_micros": 11_000_000}, status="blocked", verdict={"decision": "block",
                                                                               "rules": ["daily_limit"]}),
        ]
        cs("agents", "applied", partly, hour=5, decided=True, summary="budget up, target down", campaign=c2)
        cs("agents", "expired", [_item(c1, "resume_creative", "creative", seeded.creative_ids[0],
                                       {"status": "paused"}, {"status": "active"}, status="proposed")],
           hour=6, summary="resume creative")
        cs("agents", "expired", [_item(c2, "set_bid_multiplier", "campaign", c2, {"bid_multiplier": 1.0},
                                       {"bid_multiplier": 1.05}, status="skipped", tag="e")],
           hour=7, decided=True, summary="raise bids")
        cs("agents", "failed", [_item(c2, "set_frequency_cap", "campaign", c2, {"per_day": None}, {"per_day": 3},
                                      status="failed", error="platform said: quota exhausted")],
           hour=8, decided=True, summary="cap frequency")
        cs("agents", "pending_approval", [_item(c1, "create_creative", "campaign", c1, {},
                                                {"headline": "Spring <b>sale</b>", "description": "Now 20 % off"})],
           hour=9, summary="new creative")
        cs("cli", "applied", [_item(c1, "pause_campaign", "campaign", c1, {"status": "active"}, {"status": "paused"},
                                    status="applied")], hour=10, decided=True, summary="manual pause")
        for h in range(3):
            cs("pacer", "applied", [_item(c1, "set_bid_multiplier", "campaign", c1, {"bid_multiplier": 1.0},
                                          {"bid_multiplier": 1.0 + 0.01 * (h + 1)}, status="applied", tag=f"a{h}")],
               hour=11 + h, decided=True, summary="pacing")
        for h in range(2):
            cs("pacer", "failed", [_item(c1, "set_bid_multiplier", "campaign", c1, {"bid_multiplier": 1.0},
                                         {"bid_multiplier": 0.9}, status="failed", tag=f"f{h}",
                                         error="dry run: more than 60 writes in one sandbox tick")],
               hour=15 + h, decided=True, summary="pacing")
        cs("pacer", "expired", [_item(c1, "set_bid_multiplier", "campaign", c1, {"bid_multiplier": 1.0},
                                      {"bid_multiplier": 0.95}, status="skipped", tag="x")],
           hour=18, decided=True, summary="pacing")
        cs("rules", "applied", [_item(c2, "set_bid_multiplier", "campaign", c2, {"bid_multiplier": 1.0},
                                      {"bid_multiplier": 0.9}, status="applied", tag="r")],
           hour=20, decided=True, summary="rule: CPA over target", campaign=c2)
        cs("agents", "applied", [_item(c1, "set_budget", "campaign", c1, {"daily_budget_micros": 40_000_000},
                                       {"daily_budget_micros": 50_000_000}, status="applied", tag="old")],
           hour=-240, decided=True, summary="old change")
        s.flush()
        assert s.query(ChangeSet).count() == 17
    return seeded
