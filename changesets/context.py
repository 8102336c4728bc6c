"""Build the guardrail engine's context from the store: campaign controls, evidence over the policy's window,
today's starting values (for per-day limits) and the last edit of each control (for cooldowns)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.changesets import ChangeSetRepository
from db.enums import ChangeAction
from db.kill_switch import KillSwitchRepository
from db.schema import AdAccount, Campaign, Creative, PerformanceHour
from guardrails.engine import CONTROL_OF, CampaignState, GuardrailContext
from guardrails.policy import GuardrailPolicy

__all__ = ["build_context"]


def _day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _campaign_state(session: Session, campaign: Campaign, now: datetime, policy: GuardrailPolicy) -> CampaignState:
    since = now - timedelta(days=policy.evidence.window_days)
    facts = (
        select(PerformanceHour)
        .where(PerformanceHour.campaign_id == campaign.id, PerformanceHour.hour_start >= since)
        .subquery()
    )
    conversions = session.scalar(select(func.coalesce(func.sum(facts.c.conversions), 0))) or 0
    by_segment = dict(
        session.execute(select(facts.c.segment_id, func.sum(facts.c.impressions)).group_by(facts.c.segment_id)).all()
    )
    by_creative = dict(
        session.execute(select(facts.c.creative_id, func.sum(facts.c.clicks)).group_by(facts.c.creative_id)).all()
    )
    active = session.scalars(
        select(Creative.id).where(Creative.campaign_id == campaign.id, Creative.status == "active")
    ).all()

    recent = ChangeSetRepository(session).applied_items_since(
        campaign.id, min(_day_start(now), now - timedelta(hours=policy.cooldown_hours))
    )
    last_edit: dict[str, datetime] = {}
    first_today: dict[str, dict[str, Any]] = {}
    for item in recent:
        control = CONTROL_OF.get(ChangeAction(item.action))
        if control is None or item.applied_at is None:
            continue
        last_edit[control] = max(last_edit.get(control, item.applied_at), item.applied_at)
        if item.applied_at >= _day_start(now):
            first_today.setdefault(item.action, item.before)

    def day_start(action: ChangeAction, key: str, current: Any) -> Any:
        before = first_today.get(action.value)
        return before.get(key, current) if before else current

    multiplier = float(campaign.bid_multiplier)
    return CampaignState(
        campaign_id=campaign.id,
        account_id=campaign.account_id,
        external_id=campaign.external_id,
        status=campaign.status,
        protected=campaign.protected,
        daily_budget_micros=campaign.daily_budget_micros,
        target_cpa_micros=campaign.target_cpa_micros,
        bid_multiplier=multiplier,
        budget_at_day_start_micros=int(
            day_start(ChangeAction.SET_BUDGET, "daily_budget_micros", campaign.daily_budget_micros)
        ),
        target_cpa_at_day_start_micros=day_start(
            ChangeAction.SET_TARGET_CPA, "target_cpa_micros", campaign.target_cpa_micros
        ),
        bid_multiplier_at_day_start=float(day_start(ChangeAction.SET_BID_MULTIPLIER, "bid_multiplier", multiplier)),
        conversions_in_window=int(conversions),
        impressions_by_segment={str(k): int(v) for k, v in by_segment.items()},
        clicks_by_creative={str(k): int(v) for k, v in by_creative.items()},
        active_creatives=frozenset(str(c) for c in active),
        last_edit_at=last_edit,
    )


def build_context(
    session: Session,
    *,
    account_id: int,
    campaign_ids: Iterable[int],
    now: datetime,
    policy: GuardrailPolicy,
    read_only: bool,
    undo: bool = False,
    origin: str = "",
) -> GuardrailContext:
    account = session.get(AdAccount, account_id)
    campaigns = session.scalars(select(Campaign).where(Campaign.id.in_(set(campaign_ids)))).all()
    total = session.scalar(
        select(func.coalesce(func.sum(Campaign.daily_budget_micros), 0)).where(
            Campaign.account_id == account_id, Campaign.status == "active"
        )
    )
    return GuardrailContext(
        now=now,
        kill_switch=KillSwitchRepository(session).engaged(),
        read_only=read_only,
        campaigns={c.id: _campaign_state(session, c, now, policy) for c in campaigns if c.account_id == account_id},
        account_budget_total_micros=int(total or 0),
        account_daily_ceiling_micros=account.daily_ceiling_micros if account else None,
        undo=undo,
        origin=origin,
    )
