"""Matplotlib figures for the report, rendered to base64 PNG (Agg backend: no display needed) so the report stays
one file that works offline and as an attachment; and the bench's "% of LP* per day per policy" as a PNG file.

Every figure is drawn 12 in × 100 dpi = 1200 px wide and shown at the page's width; legends sit outside the axes
(constrained layout's ``outside`` placement) so they never cover data; value axes carry their unit."""

from __future__ import annotations

import base64
import io
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from db.reporting import CampaignSeries

__all__ = ["cpa_vs_target", "policy_bars", "policy_days", "policy_days_png", "score_vs_lp", "spend_vs_plan"]

WIDTH_IN, DPI = 12.0, 100
NOON = timedelta(hours=12)
POLICY_COLOURS = {"adpilot": "tab:green", "adpilot_no_llm": "tab:olive", "static": "tab:gray", "rules": "tab:orange",
                  "platform_only": "tab:purple"}


def _plain(text: str) -> str:
    """Platform text for matplotlib: ``$`` would start mathtext, and a name like ``Deal $x^$`` fails to draw."""
    return str(text).replace("$", r"\$")


def _figure(height: float) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(WIDTH_IN, height), layout="constrained", dpi=DPI)
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _legend(fig: Figure, ax: Axes) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="outside upper right", ncols=len(handles), frameon=False, fontsize=9)


def _money_axis(ax: Axes, what: str, currency: str) -> None:
    """Label with the currency; ticks with cents only when the axis is small enough to need them."""
    ax.set_ylabel(f"{what} ({currency})" if currency else what)
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _pos: f"{v:,.2f}" if ax.get_ylim()[1] < 10 else f"{v:,.0f}")
    )


def _dates(ax: Axes) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("time (UTC)")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def _b64(fig: Figure) -> str:
    return base64.b64encode(_png(fig)).decode()


def _days(series: CampaignSeries) -> dict[datetime, list[tuple[datetime, int, int]]]:
    by_day: dict[datetime, list[tuple[datetime, int, int]]] = defaultdict(list)
    for hour, spend, conv in zip(series.hours, series.spend_micros, series.conversions, strict=True):
        by_day[hour.replace(hour=0, minute=0, second=0, microsecond=0)].append((hour, spend, conv))
    return dict(sorted(by_day.items()))


def spend_vs_plan(series: CampaignSeries, currency: str = "") -> str:
    """Cumulative spend within each day against the even-pacing plan (budget × share of the day elapsed)."""
    fig, ax = _figure(3.2)
    budget = series.daily_budget_micros / 1e6
    for i, (day, rows) in enumerate(_days(series).items()):
        xs, ys, cum = [day], [0.0], 0.0
        for hour, spend, _conv in rows:
            cum += spend / 1e6
            xs.append(hour + timedelta(hours=1))
            ys.append(cum)
        ax.plot(mdates.date2num(xs), ys, color="tab:blue", lw=2, label="spend so far today" if i == 0 else None)
        ax.plot(
            mdates.date2num([day, day + timedelta(days=1)]),
            [0, budget],
            color="tab:gray",
            linestyle="--",
            label="even pacing plan (reaches the daily budget at midnight)" if i == 0 else None,
        )
    _money_axis(ax, "spend", currency)
    ax.set_title(f"{_plain(series.name)}: spend vs pacing plan", loc="left", fontsize=11)
    _dates(ax)
    _legend(fig, ax)
    return _b64(fig)


def cpa_vs_target(series: CampaignSeries, currency: str = "") -> str:
    """CPA per day (spend ÷ conversions); days without a conversion are marked at the bottom."""
    fig, ax = _figure(2.8)
    days = _days(series)
    xs = [d + NOON for d in days]  # a day's value sits in the middle of its day
    cpa = [
        sum(r[1] for r in rows) / c / 1e6 if (c := sum(r[2] for r in rows)) else math.nan for rows in days.values()
    ]
    ax.plot(mdates.date2num(xs), cpa, marker="o", color="tab:blue", label="CPA per day")
    if xs:
        ax.set_xlim(mdates.date2num(xs[0] - NOON), mdates.date2num(xs[-1] + NOON))
    none = [x for x, v in zip(xs, cpa, strict=True) if math.isnan(v)]
    if none:
        ax.plot(mdates.date2num(none), [0] * len(none), "x", color="tab:red", label="no conversion that day")
    if series.target_cpa_micros:
        ax.axhline(series.target_cpa_micros / 1e6, color="tab:red", linestyle="--", label="target CPA")
    ax.set_ylim(bottom=0)
    _money_axis(ax, "CPA", currency)
    ax.set_title(f"{_plain(series.name)}: CPA vs target (per day)", loc="left", fontsize=11)
    _dates(ax)
    _legend(fig, ax)
    return _b64(fig)


def score_vs_lp(name: str, days: list[datetime], score: list[float], upper: list[float]) -> str:
    fig, ax = _figure(2.8)
    xs = mdates.date2num([d + NOON for d in days])
    ax.bar(xs, upper, width=0.8, color="tab:gray", alpha=0.4, label="LP* (hindsight optimum)")
    ax.bar(xs, score, width=0.45, color="tab:green", label="score (adpilot)")
    if days:  # whole days, like the other plots of the campaign
        ax.set_xlim(mdates.date2num(min(days)), mdates.date2num(max(days) + timedelta(days=1)))
    ax.set_ylabel("expected conversions")
    ax.set_title(f"{_plain(name)}: score vs LP* per day", loc="left", fontsize=11)
    _dates(ax)
    _legend(fig, ax)
    return _b64(fig)


def policy_bars(names: Sequence[str], pct: Sequence[float | None]) -> str:
    """% of LP* over the week, one horizontal bar per policy, the value written at its end."""
    fig, ax = _figure(0.5 + 0.45 * max(len(names), 1))
    values = [p if p is not None else 0.0 for p in pct]
    ax.barh([_plain(n) for n in names], values, color=[POLICY_COLOURS.get(n, "tab:blue") for n in names])
    for y, (p, v) in enumerate(zip(pct, values, strict=True)):
        ax.text(v + 0.5, y, "-" if p is None else f"{p:.1f} %", va="center", fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max([100.0, *values]) * 1.08)
    ax.set_xlabel("% of LP* over the week")
    ax.grid(axis="y", alpha=0)
    ax.grid(axis="x", alpha=0.3)
    return _b64(fig)


def _policy_days_figure(per_policy: Mapping[str, Sequence[float]]) -> Figure:
    fig, ax = _figure(3.2)
    for name, values in per_policy.items():
        days = range(1, len(values) + 1)
        ax.plot(days, list(values), marker="o", lw=2, color=POLICY_COLOURS.get(name), label=_plain(name))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("simulated day")
    ax.set_ylabel("% of LP*")
    ax.set_ylim(0, max([100.0, *(v for vs in per_policy.values() for v in vs)]) * 1.05)
    ax.set_title("% of LP* per day, per policy (same market, same seed)", loc="left", fontsize=11)
    _legend(fig, ax)
    return fig


def policy_days(per_policy: Mapping[str, Sequence[float]]) -> str:
    return _b64(_policy_days_figure(per_policy))


def policy_days_png(per_policy: Mapping[str, Sequence[float]], path: Path) -> Path:
    """Write "% of LP* per day per policy" to ``path`` (PNG) and return it: ``adpilot bench system --plot``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_png(_policy_days_figure(per_policy)))
    return path
