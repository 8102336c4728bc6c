"""Pacing tick: once per sandbox tick (30 simulated minutes), per active campaign, compare spend so far today with
the budget's even pace and log what the pacing controller is working with.

Compute-and-log only, on purpose: ``pacing.LandscapePacer`` needs per-auction feedback (``AuctionLandscape``, the
minimum bid to win) that the ``AdPlatform`` protocol does not expose, and bid multipliers may only reach the
platform through the change-set apply path. Once both exist this job proposes a ``set_bid_multiplier`` change-set
per campaign instead of logging. It runs inline (``run``): a lost tick is made up by the next one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from db.sync import SyncRepository
from pacing.interface import PacingGoal
from scheduler.clock import SANDBOX_TICK, SANDBOX_TICKS_PER_DAY, floor_period
from scheduler.registry import JobContext, JobRegistry, ScheduledJob

__all__ = ["pace_ratio", "register"]


def pace_ratio(spend_micros: int, goal: PacingGoal, ticks_elapsed: int) -> float | None:
    """Spend so far over the even-pace spend (1.0 = on pace); ``None`` before the first tick of the day."""
    if ticks_elapsed <= 0 or goal.budget_micros <= 0:
        return None
    return spend_micros / (goal.budget_micros * ticks_elapsed / goal.ticks)


def _run(ctx: JobContext, period: datetime) -> str:
    day_start = floor_period(period, timedelta(days=1))
    elapsed = int((period - day_start) / SANDBOX_TICK)
    with ctx.database.transaction() as session:
        repo = SyncRepository(session)
        campaigns = repo.campaigns(active_only=True)
        spends = {c.id: repo.window_totals(c.id, day_start, period).spend_micros for c in campaigns}
    for campaign in campaigns:
        goal = PacingGoal(budget_micros=campaign.daily_budget_micros, target_cpa_micros=None,
                          ticks=SANDBOX_TICKS_PER_DAY)
        ctx.log.debug("pacing tick", campaign=campaign.id, tick=elapsed, spend_micros=spends[campaign.id],
                      pace=pace_ratio(spends[campaign.id], goal, elapsed))
    return f"paced {len(campaigns)} campaigns (log only)"


def register(registry: JobRegistry) -> None:
    registry.schedule(ScheduledJob("pacing_tick", SANDBOX_TICK, run=_run, catch_up=0,
                                   description="per-tick pacing (compute and log until change-set writes land)"))
