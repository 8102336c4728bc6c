"""Matplotlib figures rendered to base64 PNG (Agg backend: no display needed), so the report is one file."""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from datetime import datetime, timedelta

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from db.reporting import CampaignSeries

__all__ = ["cpa_vs_target", "score_vs_lp", "spend_vs_plan"]


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def spend_vs_plan(series: CampaignSeries) -> str:
    """Cumulative spend within each day against the even-pacing plan (budget × share of the day elapsed)."""
    fig, ax = plt.subplots(figsize=(9, 2.8))
    by_day: dict[datetime, list[tuple[datetime, int]]] = defaultdict(list)
    for hour, spend in zip(series.hours, series.spend_micros, strict=True):
        by_day[hour.replace(hour=0)].append((hour, spend))
    budget = series.daily_budget_micros / 1e6
    for i, (day, rows) in enumerate(sorted(by_day.items())):
        cum, xs, ys = 0.0, [], []
        for hour, spend in rows:
            cum += spend / 1e6
            xs.append(hour + timedelta(hours=1))
            ys.append(cum)
        ax.plot(mdates.date2num(xs), ys, color="tab:blue", label="spend (cumulative, per day)" if i == 0 else None)
        ax.plot(
            mdates.date2num([day, day + timedelta(days=1)]),
            [0, budget],
            color="tab:gray",
            linestyle="--",
            label="even pacing plan" if i == 0 else None,
        )
    ax.set_ylabel("spend")
    ax.set_title(f"{series.name}: spend vs pacing plan")
    ax.legend(loc="upper left", fontsize=8)
    ax.xaxis_date()
    fig.autofmt_xdate()
    return _png(fig)


def cpa_vs_target(series: CampaignSeries) -> str:
    fig, ax = plt.subplots(figsize=(9, 2.6))
    spend: dict[datetime, int] = defaultdict(int)
    conv: dict[datetime, int] = defaultdict(int)
    for hour, s, c in zip(series.hours, series.spend_micros, series.conversions, strict=True):
        spend[hour.replace(hour=0)] += s
        conv[hour.replace(hour=0)] += c
    days = sorted(spend)
    cpa = [spend[d] / conv[d] / 1e6 if conv[d] else float("nan") for d in days]
    ax.plot(mdates.date2num(days), cpa, marker="o", label="CPA")
    if series.target_cpa_micros:
        ax.axhline(series.target_cpa_micros / 1e6, color="tab:red", linestyle="--", label="target CPA")
    ax.set_title(f"{series.name}: CPA vs target (per day)")
    ax.legend(fontsize=8)
    ax.xaxis_date()
    fig.autofmt_xdate()
    return _png(fig)


def score_vs_lp(name: str, days: list[datetime], score: list[float], upper: list[float]) -> str:
    fig, ax = plt.subplots(figsize=(9, 2.6))
    ax.bar(mdates.date2num(days), upper, width=0.6, color="tab:gray", alpha=0.4, label="LP* (hindsight optimum)")
    ax.bar(mdates.date2num(days), score, width=0.35, color="tab:green", label="score")
    ax.set_title(f"{name}: score vs LP* per day")
    ax.legend(fontsize=8)
    ax.xaxis_date()
    fig.autofmt_xdate()
    return _png(fig)
