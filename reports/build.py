"""Collect an account's report data from the store and render it as one self-contained HTML file.

One window governs everything the report shows: the header, the hourly series and the totals row (the hours that
started in ``[start, end)``), the change-set counts and timeline and the token count (decisions in ``[start, end]``:
``end`` is the data clock, and a decision taken at that instant belongs to the period it closes).

Platform- and model-written text (campaign names, creative copy, rationales) is HTML-escaped by Jinja's autoescape:
the report opens in a browser, and an ad's text must not become markup there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from adpilot.errors import NotFound
from adpilot.money import format_micros
from db.database import Database
from db.reporting import CampaignSeries, ReportRepository, change_set_counts, llm_tokens
from reports import plots
from reports.comparison import PolicyResult, comparison_rows, policy_results
from reports.template import LP_SENTENCE, TEMPLATE
from reports.timeline import FALLBACK_FLAG, TimelineEntry, timeline
from reports.wording import count_line, effect_words

__all__ = ["DailyScore", "ReportData", "budget_note", "build_report", "collect_report"]


@dataclass(frozen=True)
class DailyScore:
    """A campaign-day's score and its hindsight upper bound (sandbox only: real platforms have no LP*)."""

    campaign_id: int
    day: datetime
    score: float
    upper_bound: float


@dataclass
class ReportData:
    """What the report shows. ``counts``: ``db.reporting.ChangeSetCounts.as_dict()``; ``llm_backend``: the backend
    the agents ran on (``fake`` chosen on purpose hides the "model unavailable" flags); ``comparison``: other
    policies on the same week (``PolicyResult`` or its JSON shape; the section is omitted when empty);
    ``warnings``: shown at the top (a stuck job). The summary table is computed from ``series`` and ``scores``."""

    account_name: str
    start: datetime
    end: datetime
    series: list[CampaignSeries]
    creatives: list[dict[str, Any]]
    change_sets: list[TimelineEntry]
    scores: list[DailyScore] = field(default_factory=list)
    title: str = "adpilot report"
    currency: str = ""
    counts: dict[str, Any] | None = None
    llm_tokens: int | None = None
    llm_backend: str | None = None
    comparison: Sequence[PolicyResult | Mapping[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def collect_report(
    database: Database,
    *,
    start: datetime,
    end: datetime,
    account_id: int | None = None,
    llm_backend: str | None = None,
) -> ReportData:
    with database.transaction() as session:
        repo = ReportRepository(session)
        account_id = account_id or repo.latest_account_id()
        account = next((a for a in repo.accounts() if a.id == account_id), None)
        if account is None:
            raise NotFound("no ad account to report on", remedy="run `adpilot demo` or add an account first")
        series = [repo.hourly(c, start, end) for c in repo.campaigns(account.id)]
        entries = timeline(
            repo.change_sets(account.id, start, end), currency=account.currency, names=repo.target_names(account.id)
        )
        return ReportData(
            account.name,
            start,
            end,
            series,
            repo.creative_leaderboard(account.id, start, end),
            entries,
            currency=account.currency,
            counts=change_set_counts(session, account.id, start=start, end=end).as_dict(),
            llm_tokens=llm_tokens(session, account.id, start=start, end=end),
            llm_backend=llm_backend,
        )


def _pct(score: float, upper: float) -> str:
    return f"{100 * score / upper:.1f} %" if upper > 0 else "-"


def _summary_rows(data: ReportData) -> list[dict[str, Any]]:
    """Per campaign from the window's hourly series and daily scores, then the totals row."""
    rows: list[dict[str, Any]] = []
    total_spend = total_conv = 0
    for s in data.series:
        spend, conv = sum(s.spend_micros), sum(s.conversions)
        total_spend, total_conv = total_spend + spend, total_conv + conv
        mine = [d for d in data.scores if d.campaign_id == s.campaign_id]
        rows.append(
            {
                "campaign": s.name,
                "spend": format_micros(spend),
                "conversions": f"{conv:,}",
                "cpa": format_micros(spend // conv) if conv else "-",
                "target_cpa": format_micros(s.target_cpa_micros),
                "pct_of_lp": _pct(sum(d.score for d in mine), sum(d.upper_bound for d in mine)),
            }
        )
    targets = {s.target_cpa_micros for s in data.series}
    rows.append(
        {
            "campaign": f"total ({len(data.series)} campaigns)",
            "spend": format_micros(total_spend),
            "conversions": f"{total_conv:,}",
            "cpa": format_micros(total_spend // total_conv) if total_conv else "-",
            "target_cpa": format_micros(targets.pop()) if len(targets) == 1 else "varies",
            "pct_of_lp": _pct(sum(d.score for d in data.scores), sum(d.upper_bound for d in data.scores)),
            "total": True,
        }
    )
    return rows


def _count_lines(counts: dict[str, Any] | None) -> list[tuple[str, str]]:
    if counts is None:
        return []
    lines = [("agents and people", count_line(counts))]
    for origin, c in (counts.get("by_origin") or {}).items():
        lines.append((f"{origin} (automated, counted on its own)", count_line(c)))
    return lines


def _token_line(data: ReportData) -> str:
    tokens = "not counted" if data.llm_tokens is None else f"{data.llm_tokens:,}"
    if data.llm_backend == "fake":
        return f"LLM tokens: {tokens} — the fake backend was chosen (--llm fake): the agents ran their deterministic "\
            "analysis without a model"
    return f"LLM tokens: {tokens} in this period"


def _timeline_rows(data: ReportData) -> list[dict[str, Any]]:
    rows = []
    for cs in data.change_sets:
        flags = cs.flags if data.llm_backend != "fake" else [f for f in cs.flags if FALLBACK_FLAG not in f]
        rows.append(
            {
                **cs.__dict__,
                "flags": flags,
                "predicted_words": effect_words(cs.predicted, data.currency),
                "realised_words": effect_words(cs.realised, data.currency)
                if cs.realised
                else ("not measured yet" if cs.status == "applied" else "-"),
            }
        )
    return rows


def budget_note(series: CampaignSeries, *, before_hour: int = 18) -> str:
    """``Budget used up before 18:00 on 2 of 3 days (01-07 13:00, 01-08 11:00)``: spend that stops mid-day is lost
    reach, and the plot alone is easy to misread. Judged against the campaign's current daily budget."""
    days: dict[datetime, list[tuple[datetime, int]]] = {}
    for hour, spend in zip(series.hours, series.spend_micros, strict=True):
        days.setdefault(hour.replace(hour=0, minute=0, second=0, microsecond=0), []).append((hour, spend))
    early = []
    for rows in days.values():
        cum = 0
        for hour, spend in rows:
            cum += spend
            if series.daily_budget_micros and cum >= 0.98 * series.daily_budget_micros:
                if hour.hour + 1 <= before_hour:
                    early.append(hour + timedelta(hours=1))
                break
    if not early:
        return ""
    when = ", ".join(f"{t:%m-%d %H:%M}" for t in early)
    return f"Budget used up before {before_hour}:00 on {len(early)} of {len(days)} days ({when} UTC)."


def _sections(data: ReportData) -> list[dict[str, Any]]:
    sections = []
    for s in data.series:
        if not s.hours:
            continue
        figures = [
            ("spend vs pacing plan", plots.spend_vs_plan(s, data.currency)),
            ("CPA vs target", plots.cpa_vs_target(s, data.currency)),
        ]
        days = [d for d in data.scores if d.campaign_id == s.campaign_id]
        if days:
            scored = ([d.day for d in days], [d.score for d in days], [d.upper_bound for d in days])
            figures.append(("score vs LP*", plots.score_vs_lp(s.name, *scored)))
        sections.append({"name": s.name, "figures": figures, "note": budget_note(s)})
    return sections


def _comparison_figures(results: Sequence[PolicyResult]) -> list[tuple[str, str]]:
    if not results:
        return []
    figures = [("% of LP* per policy", plots.policy_bars([r.name for r in results], [r.pct_of_lp for r in results]))]
    per_day = {r.name: r.per_day_pct_of_lp for r in results if r.per_day_pct_of_lp}
    if per_day:
        figures.append(("% of LP* per day per policy", plots.policy_days(per_day)))
    return figures


def _period(data: ReportData) -> str:
    hours = (data.end - data.start).total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 48 else f"{hours:g} hours"


def build_report(data: ReportData, out: Path) -> Path:
    """Render ``data`` to ``out`` (an .html file) and return the path."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    comparison = policy_results(data.comparison)
    html = env.from_string(TEMPLATE).render(
        title=data.title,
        account=data.account_name,
        start=data.start,
        end=data.end,
        period=_period(data),
        currency=data.currency,
        backend_note="LLM backend: fake, chosen on purpose" if data.llm_backend == "fake" else "",
        warnings=data.warnings,
        summary=_summary_rows(data),
        show_lp=bool(data.scores),
        lp_sentence=LP_SENTENCE,
        count_lines=_count_lines(data.counts),
        token_line=_token_line(data),
        comparison=comparison_rows(comparison),
        comparison_figures=_comparison_figures(comparison),
        sections=_sections(data),
        creatives=data.creatives[:40],
        change_sets=_timeline_rows(data),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return out
