"""Pacing tick: once per sandbox tick (30 simulated minutes), per active campaign, move the bid multiplier toward
the budget's even pace with ``pacing.spend_pacer`` — through a change-set (origin ``pacer``) that the guardrail
policy's ``pacing`` section bounds, then queued for the one apply job (validate_only first, idempotency key), which
runs under the work queue's one-run-per-campaign lock like every other change (issue 11: it used to apply inline,
beside an agent's apply on the same campaign). Spend and conversions so far today are read from the platform
itself: the store lags by up to a sync period.

``pacing.LandscapePacer`` (the bench's best policy) needs per-auction feedback (the minimum bid to win) that ad
platforms do not expose, so the live job uses the spend-feedback pacer. It runs inline (``run``): a lost tick is
made up by the next one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from changesets import ChangeSetProposal, ItemProposal, propose
from db.enums import ChangeAction
from db.sync import SyncRepository
from db.work_queue import WorkQueue
from guardrails.policy import load_policy
from pacing.interface import PacingGoal
from pacing.spend_pacer import PaceInput, next_multiplier
from scheduler.clock import SANDBOX_TICK, floor_period
from scheduler.registry import JobContext, JobRegistry, ScheduledJob

__all__ = ["MIN_RELATIVE_CHANGE", "pace_ratio", "register"]

MIN_RELATIVE_CHANGE = 0.03  # smaller moves are noise and only add change-sets


def pace_ratio(spend_micros: int, goal: PacingGoal, ticks_elapsed: int) -> float | None:
    """Spend so far over the even-pace spend (1.0 = on pace); ``None`` before the first tick of the day."""
    if ticks_elapsed <= 0 or goal.budget_micros <= 0:
        return None
    return spend_micros / (goal.budget_micros * ticks_elapsed / goal.ticks)


def _run(ctx: JobContext, period: datetime) -> str:
    if ctx.platform is None:
        return "no platform: nothing to pace"
    platform, settings = ctx.platform, ctx.settings
    if settings is not None and not settings.pacing_enabled:
        return "pacing disabled (ADPILOT_PACING_ENABLED=false)"
    policy = load_policy(settings.guardrail_policy_path if settings else None)
    read_only = bool(settings and settings.read_only)
    day_start = floor_period(period, timedelta(days=1))
    share = (period - day_start) / timedelta(days=1)
    served = {a.id for a in platform.list_accounts()}  # a store may hold accounts of other platforms
    with ctx.database.transaction() as session:
        campaigns = [c for c in SyncRepository(session).campaigns(active_only=True) if c.account_external_id in served]
    moved = 0
    for c in campaigns:
        stats = platform.hourly_stats(c.account_external_id, day_start, period, campaign_id=c.external_id)
        controls = platform.get_controls(c.external_id)
        current = controls.bid_multiplier
        new = next_multiplier(
            PaceInput(
                multiplier=current,
                spend_today_micros=sum(s.cost_micros for s in stats),
                budget_micros=controls.daily_budget_micros,
                share_of_day_elapsed=share,
                conversions_today=sum(s.conversions for s in stats),
                target_cpa_micros=controls.target_cpa_micros,
            )
        )
        if abs(new / current - 1) < MIN_RELATIVE_CHANGE:
            continue
        proposal = ChangeSetProposal(
            account_id=c.account_id,
            campaign_id=c.id,
            origin="pacer",
            summary=f"pacing: multiplier → {new:.3f}",
            items=[
                ItemProposal(
                    action=ChangeAction.SET_BID_MULTIPLIER,
                    campaign_id=c.id,
                    target_id=str(c.id),
                    after={"bid_multiplier": round(new, 4)},
                    rationale="spend vs even pace",
                )
            ],
        )
        cs = propose(ctx.database, proposal, policy=policy, now=period, read_only=read_only)
        if cs.status == "approved":
            with ctx.database.transaction() as session:
                WorkQueue(session).enqueue_apply(cs.id, campaign_id=c.id, account_id=c.account_id, trigger="pacer")
            moved += 1
    return f"paced {len(campaigns)} campaigns, queued {moved} applies"


def register(registry: JobRegistry) -> None:
    registry.schedule(
        ScheduledJob(
            "pacing_tick",
            SANDBOX_TICK,
            run=_run,
            catch_up=0,
            latest_only=True,
            description="per-tick pacing of bid multipliers through pacer change-sets",
        )
    )
