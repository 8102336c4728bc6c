"""Queries behind the HTML report, the demo's summary and ``changesets list``: per-campaign hourly series, the
creative leaderboard, the change-set timeline, change-set counts by outcome and the listing agents-first.

Counts are what the store holds, per line: the agents and people on one, each automated policy (the per-tick pacer,
a rules engine) on its own, so a week with 120 pacer nudges does not hide whether the agents' six changes landed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Date, DateTime, case, cast, func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql import ColumnElement

from adpilot.errors import InvalidInput
from db.enums import ChangeItemStatus, ChangeSetStatus
from db.schema import AdAccount, AgentRun, AudienceSegment, Campaign, ChangeItem, ChangeSet, Creative, PerformanceHour
from db.work_kinds import WorkKind

__all__ = [
    "AUTOMATED_ORIGINS",
    "CampaignSeries",
    "ChangeSetCounts",
    "ChangeSetListing",
    "OutcomeCounts",
    "ReportRepository",
    "change_set_counts",
    "change_set_listing",
    "llm_tokens",
]

AUTOMATED_ORIGINS = ("pacer", "rules")
"""Origins of policies that change bids every tick or hour: counted on their own lines, listed after the agents'."""

NOT_APPROVED = "nobody approved it before expires_at"
NOT_APPLIED = "approved, but not applied before expires_at"


@dataclass
class CampaignSeries:
    campaign_id: int
    name: str
    daily_budget_micros: int
    target_cpa_micros: int | None
    hours: list[datetime]
    spend_micros: list[int]
    conversions: list[int]
    impressions: list[int]
    clicks: list[int]


@dataclass
class OutcomeCounts:
    """Change-sets of one line by what became of them. ``applied`` counts every set that reached the platform
    (those rolled back later too); ``blocked_items`` counts refused items in any set, whole or partly blocked."""

    proposed: int = 0
    applied: int = 0
    blocked: int = 0
    blocked_items: int = 0
    pending_approval: int = 0
    in_flight: int = 0  # approved or validated, the apply job has not finished yet
    rejected: int = 0
    failed: int = 0
    expired: int = 0
    rolled_back: int = 0
    expired_reasons: dict[str, int] = field(default_factory=dict)
    failure_reasons: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "proposed": self.proposed,
            "applied": self.applied,
            "blocked": self.blocked,
            "blocked_items": self.blocked_items,
            "pending_approval": self.pending_approval,
            "in_flight": self.in_flight,
            "rejected": self.rejected,
            "failed": self.failed,
            "expired": self.expired,
            "rolled_back": self.rolled_back,
            "expired_reasons": dict(sorted(self.expired_reasons.items())),
            "failure_reasons": dict(sorted(self.failure_reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        }


@dataclass
class ChangeSetCounts:
    """``agents``: the agents' and people's change-sets (agents, cli, undo …); ``automated``: one entry per
    automated origin present (pacer, rules)."""

    agents: OutcomeCounts
    automated: dict[str, OutcomeCounts]

    def as_dict(self) -> dict[str, Any]:
        """The agents' line at the top level (the keys the demo's JSON always had), each automated origin under
        ``by_origin``, and ``pacer_adjustments`` = pacer change-sets applied."""
        pacer = self.automated.get("pacer", OutcomeCounts())
        return {
            **self.agents.as_dict(),
            "pacer_adjustments": pacer.applied,
            "by_origin": {origin: c.as_dict() for origin, c in sorted(self.automated.items())},
        }


@dataclass
class ChangeSetListing:
    """One page of ``changesets list``: ``rows`` (agents' first, newest first); ``total``: change-sets matching the
    status/campaign filters, every origin; ``matching``: those the view selects (``rows`` is its first ``limit``);
    ``hidden_by_origin``: per automated origin, how many the default view leaves out."""

    rows: list[ChangeSet]
    total: int
    matching: int
    hidden_by_origin: dict[str, int]


class ReportRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def accounts(self) -> list[AdAccount]:
        return list(self.session.scalars(select(AdAccount).order_by(AdAccount.id)))

    def latest_account_id(self) -> int | None:
        return self.session.scalar(select(func.max(AdAccount.id)))

    def campaigns(self, account_id: int) -> list[Campaign]:
        return list(
            self.session.scalars(select(Campaign).where(Campaign.account_id == account_id).order_by(Campaign.id))
        )

    def hourly(self, campaign: Campaign, start: datetime, end: datetime) -> CampaignSeries:
        p = PerformanceHour
        rows = self.session.execute(
            select(
                p.hour_start,
                func.sum(p.spend_micros),
                func.sum(p.conversions),
                func.sum(p.impressions),
                func.sum(p.clicks),
            )
            .where(p.campaign_id == campaign.id, p.hour_start >= start, p.hour_start < end)
            .group_by(p.hour_start)
            .order_by(p.hour_start)
        ).all()
        return CampaignSeries(
            campaign.id,
            campaign.name,
            campaign.daily_budget_micros,
            campaign.target_cpa_micros,
            [r[0].astimezone(UTC) for r in rows],
            [int(r[1]) for r in rows],
            [int(r[2]) for r in rows],
            [int(r[3]) for r in rows],
            [int(r[4]) for r in rows],
        )

    def creative_leaderboard(self, account_id: int, start: datetime, end: datetime) -> list[dict[str, Any]]:
        p = PerformanceHour
        stmt = (
            select(
                Creative,
                Campaign.name,
                func.coalesce(func.sum(p.impressions), 0),
                func.coalesce(func.sum(p.clicks), 0),
                func.coalesce(func.sum(p.conversions), 0),
            )
            .join(Campaign, Campaign.id == Creative.campaign_id)
            .outerjoin(p, (p.creative_id == Creative.id) & (p.hour_start >= start) & (p.hour_start < end))
            .where(Campaign.account_id == account_id)
            .group_by(Creative.id, Campaign.name)
        )
        out = []
        for creative, campaign_name, imps, clicks, conv in self.session.execute(stmt):
            out.append(
                {
                    "creative_id": creative.id,
                    "campaign": campaign_name,
                    "headline": creative.headline,
                    "description": creative.description,
                    "status": creative.status,
                    "origin": creative.origin,
                    "impressions": int(imps),
                    "clicks": int(clicks),
                    "conversions": int(conv),
                    "ctr": int(clicks) / int(imps) if imps else 0.0,
                }
            )
        return sorted(out, key=lambda r: (-r["ctr"], -r["impressions"]))

    def change_sets(self, account_id: int, start: datetime, end: datetime) -> list[ChangeSet]:
        stmt = (
            select(ChangeSet)
            .options(selectinload(ChangeSet.items))
            .where(
                ChangeSet.account_id == account_id,
                *_window(ChangeSet.created_at, start, end),
                ChangeSet.origin.not_in(AUTOMATED_ORIGINS),
            )  # the pacer's and rules' adjustments are counted, not listed one by one
            .order_by(ChangeSet.created_at, ChangeSet.id)
        )
        return list(self.session.scalars(stmt))

    def target_names(self, account_id: int) -> dict[tuple[str, str], str]:
        """``(target_type, target_id) → name`` for the account's campaigns, creatives (headline) and segments: the
        timeline says ``pause creative "Spring sale"``, not ``creative 17``."""
        names: dict[tuple[str, str], str] = {}
        campaigns = select(Campaign.id, Campaign.name).where(Campaign.account_id == account_id)
        for cid, name in self.session.execute(campaigns):
            names[("campaign", str(cid))] = name
        creatives = select(Creative.id, Creative.headline).join(Campaign, Campaign.id == Creative.campaign_id)
        for cid, headline in self.session.execute(creatives.where(Campaign.account_id == account_id)):
            names[("creative", str(cid))] = headline
        segments = select(AudienceSegment.id, AudienceSegment.name).join(
            Campaign, Campaign.id == AudienceSegment.campaign_id
        )
        for sid, name in self.session.execute(segments.where(Campaign.account_id == account_id)):
            names[("segment", str(sid))] = name
        return names


def _window(column: Any, start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    """Events in ``[start, end]``: ``end`` is "now" (the data clock), and what an agent decided at that instant —
    after the last hour's sync — belongs to the period that ends there."""
    return [c for c in (column >= start if start else None, column <= end if end else None) if c is not None]


def change_set_counts(
    session: Session, account_id: int, *, start: datetime | None = None, end: datetime | None = None
) -> ChangeSetCounts:
    """Change-sets of an account created in ``[start, end]`` (default: all), by line and outcome."""
    where = [ChangeSet.account_id == account_id, *_window(ChangeSet.created_at, start, end)]
    lines: dict[str, OutcomeCounts] = defaultdict(OutcomeCounts)

    def line(origin: str) -> OutcomeCounts:
        return lines[origin if origin in AUTOMATED_ORIGINS else ""]

    S = ChangeSetStatus
    by_status = select(ChangeSet.origin, ChangeSet.status, func.count()).where(*where)
    for origin, status, n in session.execute(by_status.group_by(ChangeSet.origin, ChangeSet.status)):
        c = line(origin)
        c.proposed += n
        c.applied += n if status in (S.APPLIED, S.ROLLED_BACK) else 0
        c.blocked += n if status == S.BLOCKED else 0
        c.pending_approval += n if status == S.PENDING_APPROVAL else 0
        c.in_flight += n if status in (S.PROPOSED, S.APPROVED, S.VALIDATED) else 0
        c.rejected += n if status == S.REJECTED else 0
        c.failed += n if status == S.FAILED else 0
        c.expired += n if status == S.EXPIRED else 0
        c.rolled_back += n if status == S.ROLLED_BACK else 0
    item_rows = select(ChangeSet.origin, func.count()).join(ChangeItem, ChangeItem.change_set_id == ChangeSet.id)
    blocked = item_rows.where(*where, ChangeItem.status == ChangeItemStatus.BLOCKED.value).group_by(ChangeSet.origin)
    for origin, n in session.execute(blocked):
        line(origin).blocked_items += n
    # an expired set nobody decided on waited for a person; one with a decision waited for the apply job
    approved = ChangeSet.decided_at.is_not(None)
    expired = select(ChangeSet.origin, approved, func.count()).where(*where, ChangeSet.status == S.EXPIRED.value)
    for origin, was_approved, n in session.execute(expired.group_by(ChangeSet.origin, approved)):
        reasons = line(origin).expired_reasons
        key = NOT_APPLIED if was_approved else NOT_APPROVED
        reasons[key] = reasons.get(key, 0) + n
    error = func.left(func.coalesce(ChangeItem.error, "no error recorded"), 120)
    failed = (
        select(ChangeSet.origin, error, func.count(ChangeSet.id.distinct()))
        .join(ChangeItem, ChangeItem.change_set_id == ChangeSet.id)
        .where(*where, ChangeSet.status == S.FAILED.value, ChangeItem.status == ChangeItemStatus.FAILED.value)
        .group_by(ChangeSet.origin, error)
    )
    for origin, message, n in session.execute(failed):
        reasons = line(origin).failure_reasons
        reasons[message] = reasons.get(message, 0) + n
    agents = lines.pop("", OutcomeCounts())
    return ChangeSetCounts(agents, dict(sorted(lines.items())))


def change_set_listing(
    session: Session,
    *,
    status: str | None = None,
    campaign_id: int | None = None,
    origin: str | None = None,
    include_automated: bool = False,
    limit: int = 50,
) -> ChangeSetListing:
    """Change-sets for review, the agents' and people's first (newest first), then — with ``include_automated`` —
    the automated origins'. ``origin`` keeps that origin only. Without either, automated origins are left out and
    counted in ``hidden_by_origin``."""
    if status is not None and status not in {s.value for s in ChangeSetStatus}:
        raise InvalidInput(
            f"unknown status {status!r}", remedy=f"use one of: {', '.join(s.value for s in ChangeSetStatus)}"
        )
    where: list[ColumnElement[bool]] = []
    if status is not None:
        where.append(ChangeSet.status == status)
    if campaign_id is not None:
        where.append(ChangeSet.campaign_id == campaign_id)
    by_origin = dict(
        session.execute(select(ChangeSet.origin, func.count()).where(*where).group_by(ChangeSet.origin)).all()
    )
    shown = list(where)
    hidden: dict[str, int] = {}
    matching = int(sum(by_origin.values()))
    if origin is not None:
        shown.append(ChangeSet.origin == origin)
        matching = int(by_origin.get(origin, 0))
    elif not include_automated:
        shown.append(ChangeSet.origin.not_in(AUTOMATED_ORIGINS))
        hidden = {o: int(by_origin[o]) for o in AUTOMATED_ORIGINS if by_origin.get(o)}
        matching -= sum(hidden.values())
    automated_last = ChangeSet.origin.in_(AUTOMATED_ORIGINS)
    stmt = (
        select(ChangeSet)
        .options(selectinload(ChangeSet.items))
        .where(*shown)
        .order_by(automated_last, ChangeSet.id.desc())
        .limit(limit)
    )
    return ChangeSetListing(list(session.scalars(stmt)), int(sum(by_origin.values())), matching, hidden)


def llm_tokens(session: Session, account_id: int, *, start: datetime | None = None, end: datetime | None = None) -> int:
    """LLM tokens (prompt + completion) of the account's agent runs in ``[start, end]`` (default: all).

    A run's time is taken on the account's clock, which for a simulated platform is not the wall clock the run rows
    carry: the time of the change-set it wrote, else the day its daily cycle was planned for, else when it was due.
    """
    tokens = func.coalesce(func.sum(AgentRun.prompt_tokens + AgentRun.completion_tokens), 0)
    stmt = select(tokens).join(Campaign, Campaign.id == AgentRun.campaign_id).where(Campaign.account_id == account_id)
    if start is not None or end is not None:
        wrote = select(func.min(ChangeSet.created_at)).where(ChangeSet.agent_run_id == AgentRun.id).scalar_subquery()
        day = func.timezone("UTC", cast(cast(AgentRun.payload["day"].astext, Date), DateTime()))
        planned_day = case((AgentRun.kind == WorkKind.AGENT_CYCLE.value, day))  # only daily cycles carry a day
        stmt = stmt.where(*_window(func.coalesce(wrote, planned_day, AgentRun.run_after), start, end))
    return int(session.scalar(stmt) or 0)
