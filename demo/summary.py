"""The demo's summary: per campaign spend, conversions and CPA from the store, the score as a share of LP* from the
sandbox's evaluation scoreboard, change-set counts and LLM tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rich.table import Table

from adpilot.money import format_micros
from bench.bidding.lp import lp_star, score
from db.database import Database
from db.performance import PerformanceRepository
from db.reporting import ReportRepository, change_set_counts, llm_tokens
from platforms.sandbox.scoreboard import Scoreboard
from reports import DailyScore

__all__ = ["daily_scores", "summarise", "summary_table"]


def daily_scores(
    board: Scoreboard, campaign_ids: dict[int, int], targets: dict[int, int], budgets: dict[int, int], start: datetime
) -> list[DailyScore]:
    """Score and LP* per campaign-day. ``campaign_ids`` maps sandbox campaign index → store id."""
    out = []
    for day in board.days():
        store_id = campaign_ids.get(day.campaign_index)
        if store_id is None or not targets.get(store_id) or day.p.size == 0:
            continue
        target, budget = float(targets[store_id]), float(budgets[store_id])
        upper = lp_star(day.p, day.m.astype(float).clip(min=1.0), budget, target)
        out.append(
            DailyScore(
                store_id,
                start + timedelta(days=day.day),
                score(day.expected_conversions, day.spend_micros, target),
                upper,
            )
        )
    return out


def summarise(
    database: Database,
    *,
    account_id: int,
    start: datetime,
    end: datetime,
    days: int,
    scores: list[DailyScore],
    seconds: float,
) -> dict[str, Any]:
    with database.transaction() as session:
        repo = ReportRepository(session)
        perf = PerformanceRepository(session)
        campaigns = []
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
        return {
            "days": days,
            "campaigns": campaigns,
            "score": round(total_score, 3),
            "lp_star": round(total_upper, 3),
            "pct_of_lp": round(100 * total_score / total_upper, 1) if total_upper > 0 else None,
            "changesets": change_set_counts(session, account_id),
            "llm_tokens": llm_tokens(session, account_id),
            "seconds": round(seconds, 1),
        }


def summary_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"adpilot demo — {summary['days']} simulated days")
    for col in ("campaign", "spend", "conversions", "CPA", "target CPA", "% of LP*"):
        table.add_column(col, justify="right" if col != "campaign" else "left")
    for c in summary["campaigns"]:
        table.add_row(
            c["name"],
            format_micros(c["spend_micros"]),
            str(c["conversions"]),
            format_micros(c["cpa_micros"]),
            format_micros(c["target_cpa_micros"]),
            "-" if c["pct_of_lp"] is None else f"{c['pct_of_lp']}%",
        )
    cs = summary["changesets"]
    table.caption = (
        f"change-sets: {cs['proposed']} proposed, {cs['applied']} applied, {cs['blocked']} blocked, "
        f"{cs['rolled_back']} rolled back · LLM tokens {summary['llm_tokens']} · {summary['seconds']} s"
    )
    return table
