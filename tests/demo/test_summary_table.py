"""The demo's summary: counts that match the store (pacer on its own line, blocked items, expiries explained), a
totals row, stuck jobs as a warning, "adpilot vs what you would have had" when the summary carries other policies."""

from __future__ import annotations

import json
from datetime import timedelta

from rich.console import Console

from demo.summary import report_extras, summarise, summary_table
from reports import DailyScore, collect_report
from tests.reports.store import START, seed

COMPARISON = [
    {"name": "adpilot", "pct_of_lp": 61.4, "conversions": 310, "spend_micros": 2_400_000_000,
     "cpa_micros": 7_741_935, "target_cpa_micros": 12_500_000, "per_day_pct_of_lp": [40.0, 55.0]},
    # the shape `adpilot demo` writes: CPA as a ratio to the target, the amount derived from spend / conversions
    {"name": "static", "pct_of_lp": 44.2, "conversions": 250.5, "spend_micros": 2_500_000_000,
     "cpa_over_target": 0.7984, "per_day_pct_of_lp": [45.0, 44.0]},
    {"name": "[red]rules[/]", "pct_of_lp": None, "conversions": 0, "spend_micros": 0,
     "cpa_micros": None, "target_cpa_micros": 12_500_000, "per_day_pct_of_lp": []},
]
STUCK = [{"job_name": "pacing_tick", "period_start": "2027-03-01T16:30:00+00:00",
          "claimed_at": "2027-03-01T16:30:05+00:00"}]


def _render(summary: dict) -> str:
    console = Console(record=True, width=220, color_system=None)
    console.print(summary_table(json.loads(json.dumps(summary))))  # what `adpilot demo --json` would carry
    return console.export_text()


def test_summary_counts_match_the_store_and_render(database) -> None:
    seeded = seed(database)
    c1, c2 = seeded.campaign_ids
    scores = [DailyScore(c1, START, 6.0, 10.0), DailyScore(c2, START, 1.0, 10.0)]
    summary = summarise(database, account_id=seeded.account_id, start=START, end=START + timedelta(hours=48),
                        days=2, scores=scores, seconds=12.3)
    assert summary["totals"] == {"spend_micros": 144_000_000, "conversions": 60, "cpa_micros": 2_400_000}
    cs = summary["changesets"]
    assert (cs["proposed"], cs["applied"], cs["blocked"], cs["blocked_items"], cs["expired"]) == (10, 5, 1, 3, 2)
    assert cs["pacer_adjustments"] == 3 and cs["by_origin"]["pacer"]["failed"] == 2
    assert [c["pct_of_lp"] for c in summary["campaigns"]] == [60.0, 10.0] and summary["pct_of_lp"] == 35.0

    text = _render(summary)
    assert "total (2 campaigns)" in text and "144.00" in text and "2.40" in text and "35.0 %" in text
    assert "spend (EUR)" in text and "target CPA (EUR)" in text
    assert "[bold]Spring[/] $x^$" in text  # a campaign name is data, never markup
    assert ("change-sets, agents and people: 10 proposed · 5 applied · 1 blocked (3 items blocked) · "
            "1 awaiting approval · 1 failed (1: platform said: quota exhausted) · 2 expired (1: approved, but not "
            "applied before expires_at; 1: nobody approved it before expires_at) · 1 rolled back") in " ".join(
        text.split())
    assert ("change-sets, pacer (automated, counted on its own): 6 proposed · 3 applied · 2 failed (2: dry run: "
            "more than 60 writes in one sandbox tick)") in " ".join(text.split())
    assert "LLM tokens 0 · 12.3 s" in text and "LP* is the most conversions" in text
    assert "stuck job" not in text and "what you would have had" not in text


def test_comparison_and_stuck_jobs(database, tmp_path) -> None:
    seeded = seed(database)
    summary = summarise(database, account_id=seeded.account_id, start=START, end=START + timedelta(hours=48),
                        days=2, scores=[])
    assert "seconds" not in summary  # wall time only when given: a stepped week's JSON stays byte-identical
    text = " ".join(_render({**summary, "comparison": COMPARISON, "stuck_jobs": STUCK}).split())
    assert "LLM tokens 0 ⚠" in text
    assert ("⚠ stuck job: pacing_tick (period 2027-03-01T16:30:00+00:00, claimed at 2027-03-01T16:30:05+00:00) "
            "never finished") in text
    assert "adpilot vs what you would have had" in text and "CPA (EUR) ┃ CPA vs target" in text
    assert "adpilot │ 61.4 % │ 310 │ 2,400.00 │ 7.74 │ 0.62× (38 % under target)" in text
    assert "static │ 44.2 % │ 250.5 │ 2,500.00 │ 9.98 │ 0.80× (20 % under target)" in text
    assert "[red]rules[/] │ - │ 0 │ 0.00 │ - │ -" in text
    assert "LP* is the most" not in text  # no % of LP* in the campaign table without scores

    data = report_extras(collect_report(database, start=START, end=START + timedelta(hours=48)),
                         {**summary, "comparison": COMPARISON, "stuck_jobs": STUCK}, llm_backend="fake")
    assert [p.name for p in data.comparison] == ["adpilot", "static", "[red]rules[/]"]
    assert data.warnings[0].startswith("stuck job: pacing_tick") and data.llm_backend == "fake"
