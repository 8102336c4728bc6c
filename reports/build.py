"""Collect an account's report data from the store and render it as one self-contained HTML file.

Platform-sourced text (campaign names, creative copy, rationales that quote it) is HTML-escaped by Jinja's
autoescape: the report is opened in a browser, and an ad's text must not become markup there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from adpilot.errors import NotFound
from adpilot.money import format_micros
from db.database import Database
from db.reporting import CampaignSeries, ReportRepository
from reports import plots
from reports.template import TEMPLATE

__all__ = ["DailyScore", "ReportData", "build_report", "collect_report"]


@dataclass(frozen=True)
class DailyScore:
    """A campaign-day's score and its hindsight upper bound (sandbox only: real platforms have no LP*)."""

    campaign_id: int
    day: datetime
    score: float
    upper_bound: float


@dataclass
class ReportData:
    account_name: str
    start: datetime
    end: datetime
    series: list[CampaignSeries]
    creatives: list[dict[str, Any]]
    change_sets: list[dict[str, Any]]
    scores: list[DailyScore] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)
    title: str = "adpilot report"


def collect_report(database: Database, *, start: datetime, end: datetime, account_id: int | None = None) -> ReportData:
    with database.transaction() as session:
        repo = ReportRepository(session)
        account_id = account_id or repo.latest_account_id()
        account = next((a for a in repo.accounts() if a.id == account_id), None)
        if account is None:
            raise NotFound("no ad account to report on", remedy="run `adpilot demo` or add an account first")
        series = [repo.hourly(c, start, end) for c in repo.campaigns(account.id)]
        change_sets = [
            {
                "id": cs.id,
                "created_at": cs.created_at,
                "status": cs.status,
                "origin": cs.origin,
                "campaign_id": cs.campaign_id,
                "summary": cs.summary,
                "rationale": cs.rationale,
                "flags": cs.flags,
                "predicted": cs.predicted_effect,
                "realised": cs.realised_effect,
                "items": [
                    f"{i.action} {i.target_type} {i.target_id}: {i.before} → {i.after} [{i.status}]" for i in cs.items
                ],
            }
            for cs in repo.change_sets(account.id, start, end)
        ]
        return ReportData(
            account.name, start, end, series, repo.creative_leaderboard(account.id, start, end), change_sets
        )


def _summary_rows(data: ReportData) -> list[dict[str, Any]]:
    if data.summary:
        return data.summary
    rows = []
    for s in data.series:
        spend, conv = sum(s.spend_micros), sum(s.conversions)
        rows.append(
            {
                "campaign": s.name,
                "spend": format_micros(spend),
                "conversions": conv,
                "cpa": format_micros(spend // conv) if conv else "-",
                "target_cpa": format_micros(s.target_cpa_micros),
                "pct_of_lp": "-",
            }
        )
    return rows


def build_report(data: ReportData, out: Path) -> Path:
    """Render ``data`` to ``out`` (an .html file) and return the path."""
    sections = []
    for s in data.series:
        if not s.hours:
            continue
        figures = [("spend vs pacing plan", plots.spend_vs_plan(s)), ("CPA vs target", plots.cpa_vs_target(s))]
        days = [d for d in data.scores if d.campaign_id == s.campaign_id]
        if days:
            figures.append(
                (
                    "score vs LP*",
                    plots.score_vs_lp(
                        s.name, [d.day for d in days], [d.score for d in days], [d.upper_bound for d in days]
                    ),
                )
            )
        sections.append({"name": s.name, "figures": figures})
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    html = env.from_string(TEMPLATE).render(
        title=data.title,
        account=data.account_name,
        start=data.start,
        end=data.end,
        summary=_summary_rows(data),
        sections=sections,
        creatives=data.creatives[:40],
        change_sets=data.change_sets,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
