"""The demo's summary: per campaign spend, conversions and CPA from the store, the score as a share of LP* from the
sandbox's evaluation scoreboard, change-set counts (agents and people on one line, the pacer's and rules' on their
own, blocked items, why sets expired) and LLM tokens; optionally the same week under other policies
(``summary["comparison"]``) and jobs that never finished (``summary["stuck_jobs"]``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from adpilot.money import format_micros
from db.database import Database
from db.performance import PerformanceRepository
from db.reporting import ReportRepository, change_set_counts, llm_tokens
from platforms.sandbox import SandboxPlatform
from platforms.sandbox.scoreboard import scoreboard_of
from reports import LP_SENTENCE, DailyScore, ReportData, comparison_rows, count_line, policy_results, stuck_job_line

__all__ = ["daily_scores", "report_extras", "stuck_job_lines", "summarise", "summary_table"]


def daily_scores(platform: SandboxPlatform, store_ids: dict[str, int], start: datetime) -> list[DailyScore]:
    """Score and LP* per campaign-day from the sandbox's evaluation scoreboard (LP* over every opportunity the
    campaign was eligible for, launch budget and target: the same divisor for every policy). ``store_ids`` maps
    the sandbox's campaign id → store id."""
    campaigns = platform.list_campaigns(platform.list_accounts()[0].id)
    out = []
    for day in scoreboard_of(platform).day_scores():
        store_id = store_ids.get(campaigns[day.campaign_index].id)
        if store_id is None or day.lp_star <= 0:
            continue
        out.append(DailyScore(store_id, start + timedelta(days=day.day), day.score, day.lp_star))
    return out


def summarise(
    database: Database,
    *,
    account_id: int,
    start: datetime,
    end: datetime,
    days: int,
    scores: list[DailyScore],
    seconds: float | None = None,
) -> dict[str, Any]:
    """The summary as JSON-ready data. Change-set counts and tokens cover the demo's account, whole: each run starts
    a fresh account, so they are exactly what the store holds for this week. ``seconds`` (wall time) is left out
    when not given, so a stepped run's summary can be byte-identical."""
    with database.transaction() as session:
        repo = ReportRepository(session)
        perf = PerformanceRepository(session)
        campaigns: list[dict[str, Any]] = []
        for c in repo.campaigns(account_id):
            t = perf.campaign_totals(c.id, start, end)
            mine = [s for s in scores if s.campaign_id == c.id]
            upper = sum(s.upper_bound for s in mine)
            campaigns.append(
                {
                    "campaign_id": c.id,
                    "name": c.name,
                    "spend_micros": t.spend_micros,
                    "conversions": t.conversions,
                    "cpa_micros": t.spend_micros // t.conversions if t.conversions else None,
                    "target_cpa_micros": c.target_cpa_micros,
                    "pct_of_lp": round(100 * sum(s.score for s in mine) / upper, 1) if upper > 0 else None,
                }
            )
        total_score, total_upper = sum(s.score for s in scores), sum(s.upper_bound for s in scores)
        spend, conversions = sum(c["spend_micros"] for c in campaigns), sum(c["conversions"] for c in campaigns)
        currency = next((a.currency for a in repo.accounts() if a.id == account_id), "")
        summary = {
            "days": days,
            "currency": currency,
            "campaigns": campaigns,
            "totals": {
                "spend_micros": spend,
                "conversions": conversions,
                "cpa_micros": spend // conversions if conversions else None,
            },
            "score": round(total_score, 3),
            "lp_star": round(total_upper, 3),
            "pct_of_lp": round(100 * total_score / total_upper, 1) if total_upper > 0 else None,
            "changesets": change_set_counts(session, account_id).as_dict(),
            "llm_tokens": llm_tokens(session, account_id),
        }
    if seconds is not None:
        summary["seconds"] = round(seconds, 1)
    return summary


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} %"


def _unit(summary: dict[str, Any]) -> str:
    return f" ({summary['currency']})" if summary.get("currency") else ""


def _campaign_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"adpilot demo — {summary['days']} simulated days")
    unit = _unit(summary)
    for col in ("campaign", f"spend{unit}", "conversions", f"CPA{unit}", f"target CPA{unit}", "% of LP*"):
        table.add_column(col, justify="right" if col != "campaign" else "left")
    campaigns = summary["campaigns"]
    for c in campaigns:
        table.add_row(
            Text(str(c["name"])),  # platform text: never read as Rich markup
            format_micros(c["spend_micros"]),
            str(c["conversions"]),
            format_micros(c["cpa_micros"]),
            format_micros(c["target_cpa_micros"]),
            _pct(c["pct_of_lp"]),
        )
    spend, conversions = sum(c["spend_micros"] for c in campaigns), sum(c["conversions"] for c in campaigns)
    targets = {c["target_cpa_micros"] for c in campaigns}
    table.add_section()
    table.add_row(
        Text(f"total ({len(campaigns)} campaigns)", style="bold"),
        format_micros(spend),
        str(conversions),
        format_micros(spend // conversions if conversions else None),
        format_micros(targets.pop()) if len(targets) == 1 else "varies",
        _pct(summary.get("pct_of_lp")),
        style="bold",
    )
    return table


def _comparison_table(rows: list[dict[str, Any]], unit: str) -> Table:
    table = Table(title="adpilot vs what you would have had (the same week, same market, same seed)")
    for col in ("policy", "% of LP*", "conversions", f"spend{unit}", f"CPA{unit}", "CPA vs target"):
        table.add_column(col, justify="left" if col in ("policy", "CPA vs target") else "right")
    for r in comparison_rows(policy_results(rows)):
        style = "bold green" if r["policy"] == "adpilot" else None
        table.add_row(*(Text(v) for v in r.values()), style=style)
    return table


def stuck_job_lines(stuck: list[dict[str, Any]] | None) -> list[str]:
    """One warning per job whose claim never finished (``daemon status``'s ``stuck`` entries)."""
    return [stuck_job_line(job) for job in stuck or []]


def summary_table(summary: dict[str, Any]) -> RenderableType:
    """The campaigns with a totals row, the change-set and token lines, stuck jobs as warnings, and — when the
    summary carries ``comparison`` — the second table "adpilot vs what you would have had"."""
    cs = summary["changesets"]
    lines = [Text(f"change-sets, agents and people: {count_line(cs)}")]
    for origin, counts in (cs.get("by_origin") or {}).items():
        lines.append(Text(f"change-sets, {origin} (automated, counted on its own): {count_line(counts)}"))
    wall = f" · {summary['seconds']} s" if summary.get("seconds") is not None else ""
    lines.append(Text(f"LLM tokens {summary['llm_tokens']:,}{wall}"))
    if any(c.get("pct_of_lp") is not None for c in summary["campaigns"]):
        lines.append(Text(LP_SENTENCE, style="dim"))
    parts: list[RenderableType] = [_campaign_table(summary), *lines]
    parts += [Text(f"⚠ {line}", style="bold yellow") for line in stuck_job_lines(summary.get("stuck_jobs"))]
    if summary.get("comparison"):
        parts.append(_comparison_table(summary["comparison"], _unit(summary)))
    return Group(*parts)


def report_extras(data: ReportData, summary: dict[str, Any], *, llm_backend: str | None) -> ReportData:
    """Carry what the summary knows and the store does not into the report: the other policies' week, stuck jobs
    and the LLM backend the demo chose (``fake`` on purpose: no "model unavailable" flags)."""
    data.comparison = policy_results(summary.get("comparison"))
    data.warnings = [*data.warnings, *stuck_job_lines(summary.get("stuck_jobs"))]
    data.llm_backend = llm_backend
    return data
