"""The HTML report: self-contained (embedded PNGs), the timeline in words, units, a totals row, change-set and token
lines, the policy comparison, escaped platform and model text, one window for header and totals; and the page
rendered by headless Chromium."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from db.schema import Creative
from reports import (
    LP_SENTENCE,
    DailyScore,
    PolicyResult,
    build_report,
    collect_report,
    policy_days_png,
    policy_results,
)
from tests.agents.conftest import build_world
from tests.reports.store import SHARED_RATIONALE, START, seed

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PNG = b"\x89PNG\r\n\x1a\n"
COMPARISON = [
    PolicyResult("adpilot", 61.4, 310.0, 2_400_000_000, 7_741_935, 12_500_000, [40.0, 55.0, 70.0]),
    {"name": "static", "pct_of_lp": 44.2, "conversions": 250.5, "spend_micros": 2_500_000_000,
     "cpa_over_target": 0.7984, "per_day_pct_of_lp": [45.0, 44.0, 43.5]},  # the JSON shape the demo writes
    PolicyResult("<i>rules</i>", 52.0, 280.0, 3_920_000_000, 14_000_000, 12_500_000, [42.0, 52.0, 60.0]),
]


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(i) for i in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def _text(html: str) -> str:
    """The visible text, tags dropped and whitespace folded (entities kept: escaping is checked on them)."""
    body = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_report_embeds_plots_and_escapes_platform_text(fresh_databases, tmp_path) -> None:
    world = build_world(fresh_databases.create("adpilot_report"), days=2)
    with world.database.transaction() as s:
        s.get(Creative, 1).headline = "<script>alert('x')</script>"
    data = collect_report(world.database, start=world.now - timedelta(days=2), end=world.now)
    data.scores = [DailyScore(world.campaign_ids[0], world.now - timedelta(days=1), 3.0, 4.0)]
    html = build_report(data, tmp_path / "r.html").read_text()
    images = _images(html)
    assert len(images) == 2 * len(world.campaign_ids) + 1  # spend & CPA per campaign, one score plot
    assert all(i[:8] == PNG for i in images)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "Creative leaderboard" in html and "Change-set timeline" in html
    assert "spend (USD)" in html and LP_SENTENCE in _text(html).replace("&#39;", "'")
    world.database.dispose()


def test_report_in_words_with_units_totals_and_lines(database, tmp_path) -> None:
    seeded = seed(database)
    data = collect_report(database, start=START, end=START + timedelta(hours=48), llm_backend="fake")
    html = build_report(data, tmp_path / "r.html").read_text()
    text = _text(html)
    # header window = the window of the totals: 48 h of 2.00 + 1.00 EUR an hour, 48 + 12 conversions
    assert "2027-03-01 00:00 → 2027-03-03 00:00 UTC (2 days)" in text
    assert "total (2 campaigns) 144.00 60 2.40 12.50" in text
    assert "spend (EUR)" in text and "CPA (EUR)" in text and "amounts in EUR" in text
    # the timeline in words; target names looked up and escaped; no raw dicts
    assert "budget 50.00 → 70.00 EUR/day clamped by the guardrails' step limits (asked for 80.00 EUR)" in text.replace(
        "&#39;", "'")
    assert "bid multiplier 1.00 → 0.92" in text
    assert "pause creative &#34;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; [bold]Spring[/] $x^$&#34;" in text
    assert 'bid modifier for audience &#34;Returning visitors&#34; 1.00 → 1.20' in text
    assert "target CPA 12.50 → 11.00 EUR" in text and "blocked: daily_limit" in text
    assert "frequency cap none → 3 per user per day" in text and "platform said: quota exhausted" in text
    assert "new creative &#34;Spring &lt;b&gt;sale&lt;/b&gt;&#34;" in text
    assert "daily_budget_micros" not in text and "{" not in text
    # each rationale once: the second set that gives it points back to the first
    expired = seeded.change_set_ids["agents:expired"]
    assert f"{expired[0]} expired nobody approved it before expires_at" in text
    assert f"{expired[1]} expired approved, but not applied before expires_at" in text
    assert "awaiting approval expires 03-02 09:00" in text and "rolled back" in text
    first = seeded.change_set_ids["agents:applied"][0]
    assert html.count(SHARED_RATIONALE) == 1 and f"(same reasoning as #{first})" in text
    # counts: agents and people, then pacer and rules on their own lines; tokens
    assert ("Change-sets, agents and people: 9 proposed · 4 applied · 1 blocked (3 items blocked) · "
            "1 awaiting approval · 1 failed (1: platform said: quota exhausted) · 2 expired (") in text
    assert ("Change-sets, pacer (automated, counted on its own): 6 proposed · 3 applied · 2 failed "
            "(2: dry run: more than 60 writes in one sandbox tick) · 1 expired (1: approved, but not applied before "
            "expires_at) · 0 rolled back") in text
    assert "Change-sets, rules (automated, counted on its own): 1 proposed · 1 applied · 0 rolled back" in text
    assert "LLM tokens: 0 — the fake backend was chosen (--llm fake)" in text
    # --llm fake on purpose: the fallback flag is not news; any other backend: it is
    assert "model unavailable" not in html
    data.llm_backend = "embedded"
    assert "model unavailable" in build_report(data, tmp_path / "r2.html").read_text()
    # no LP* without scores (real platforms), no comparison section without other policies
    assert "LP*" not in text and "what you would have had" not in text
    assert "<script>" not in html and "<b>sale" not in html


def test_comparison_section_and_per_policy_plot(database, tmp_path) -> None:
    seed(database)
    data = collect_report(database, start=START, end=START + timedelta(hours=48))
    data.comparison = COMPARISON
    html = build_report(data, tmp_path / "r.html").read_text()
    text = _text(html)
    assert "adpilot vs what you would have had" in text
    assert "spend (EUR) CPA (EUR) CPA vs target" in text
    assert "adpilot 61.4 % 310 2,400.00 7.74 0.62× (38 % under target)" in text
    assert "static 44.2 % 250.5 2,500.00 9.98 0.80× (20 % under target)" in text
    assert "&lt;i&gt;rules&lt;/i&gt; 52.0 % 280 3,920.00 14.00 1.12× (12 % over target)" in text
    assert "<i>rules" not in html
    assert len(_images(html)) == 2 * 2 + 2  # spend & CPA per campaign, the bars and the per-day lines

    per_day = {r.name: r.per_day_pct_of_lp for r in policy_results(COMPARISON)}
    out = policy_days_png(per_day, tmp_path / "plots" / "days.png")
    assert out.read_bytes()[:8] == PNG and Image.open(out).size[0] == 1200


def test_plots_put_units_on_axes_and_legends_outside_the_data(database, monkeypatch) -> None:
    from reports import plots

    figures = []
    monkeypatch.setattr(plots, "_b64", lambda fig: figures.append(fig) or "")
    seed(database)
    data = collect_report(database, start=START, end=START + timedelta(hours=48))
    series = data.series[0]
    plots.spend_vs_plan(series, "EUR")
    plots.cpa_vs_target(series, "EUR")
    plots.score_vs_lp("x", [START], [1.0], [2.0])
    plots.policy_days({"adpilot": [50.0, 60.0], "static": [40.0, 41.0]})
    for fig, unit in zip(figures, ["spend (EUR)", "CPA (EUR)", "expected conversions", "% of LP*"], strict=True):
        fig.canvas.draw()
        (ax,) = fig.axes
        assert ax.get_ylabel() == unit
        (legend,) = fig.legends
        assert not legend.get_window_extent().overlaps(ax.get_window_extent()), unit
        assert fig.get_size_inches()[0] == 12.0


def _screenshot(report: Path, out: Path) -> np.ndarray:
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is required for this test (apt-get install chromium)")
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={out.parent / 'chrome-profile'}",
         "--hide-scrollbars", "--window-size=1280,2400", f"--screenshot={out}", report.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    return np.asarray(Image.open(out).convert("RGB")).astype(int)


def test_the_report_renders_in_chromium_at_page_width(database, tmp_path) -> None:
    seed(database)
    data = collect_report(database, start=START, end=START + timedelta(hours=48))
    data.comparison = COMPARISON
    pixels = _screenshot(build_report(data, tmp_path / "r.html"), tmp_path / "shot.png")

    def near(colour: tuple[int, int, int]) -> np.ndarray:
        return np.all(np.abs(pixels - colour) < 25, axis=2)

    green, grey = near((44, 160, 44)), near((127, 127, 127))  # adpilot's bar; static's bar
    assert green.sum() > 2000 and grey.sum() > 1000, (green.sum(), grey.sum())
    # the bar chart spans the page: adpilot's 61 % bar alone is wider than a third of the 1280 px window
    columns = np.flatnonzero(green.any(axis=0))
    assert columns.max() - columns.min() > 1280 / 3, (columns.min(), columns.max())
    blue = near((31, 119, 180))  # the spend lines further down
    assert blue.sum() > 500, blue.sum()


def test_a_budget_used_up_early_is_said_in_words() -> None:
    from db.reporting import CampaignSeries
    from reports.build import budget_note

    hours = [START + timedelta(hours=h) for h in range(48)]
    spend = [1_000_000] * 24 + [500_000] * 24  # day 1: 10.00 gone by 10:00; day 2: by 20:00
    series = CampaignSeries(1, "x", 10_000_000, None, hours, spend, [0] * 48, [0] * 48, [0] * 48)
    assert budget_note(series) == "Budget used up before 18:00 on 1 of 2 days (03-01 10:00 UTC)."
    assert budget_note(series, before_hour=21) == (
        "Budget used up before 21:00 on 2 of 2 days (03-01 10:00, 03-02 20:00 UTC)."
    )
    assert budget_note(CampaignSeries(1, "x", 10_000_000, None, hours, [100_000] * 48, *[[0] * 48] * 3)) == ""
