"""``adpilot report``: one window (ending at the account's data clock) for the header, the totals and the counts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from cli.main import app
from db.database import Database
from db.schema import PeriodClaim
from tests.reports.store import seed

runner = CliRunner(env={"COLUMNS": "200"})


def _text(html: str) -> str:
    body = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_since_sets_the_header_and_the_totals(cli_env: str, database: Database, tmp_path) -> None:
    seed(database)  # 48 synced hours from 2027-03-01 00:00: the data clock is 2027-03-03 00:00
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--since", "1d", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2027-03-02 00:00 → 2027-03-03 00:00 UTC" in result.stdout
    text = _text(out.read_text())
    assert "2027-03-02 00:00 → 2027-03-03 00:00 UTC (24 hours)" in text
    assert "total (2 campaigns) 72.00 30 2.40 12.50" in text  # 24 h × (2.00 + 1.00), 24 + 6 conversions
    # every seeded change-set was made on the first day: none in this window, none counted
    assert "Change-sets, agents and people: 0 proposed · 0 applied · 0 rolled back" in text
    assert "no change-sets in this period" in text

    week = runner.invoke(app, ["report", "--since", "7d", "--out", str(out)])
    assert week.exit_code == 0, week.output
    text = _text(out.read_text())
    assert "2027-02-24 00:00 → 2027-03-03 00:00 UTC (7 days)" in text and "total (2 campaigns) 144.00 60" in text
    assert "Change-sets, agents and people: 9 proposed · 4 applied" in text  # the 10-day-old one is outside


def test_a_stuck_job_is_a_warning_at_the_top(cli_env: str, database: Database, tmp_path) -> None:
    seed(database)
    with database.transaction() as s:
        s.add(PeriodClaim(job_name="pacing_tick", period_start=datetime(2027, 3, 1, 16, 30, tzinfo=UTC),
                          claimed_by="daemon-0", claimed_at=datetime.now(UTC) - timedelta(hours=1)))
        s.add(PeriodClaim(job_name="sync", period_start=datetime(2027, 3, 1, 16, tzinfo=UTC), claimed_by="daemon-0",
                          claimed_at=datetime.now(UTC) - timedelta(hours=1), finished_at=datetime.now(UTC)))
    out = tmp_path / "report.html"
    assert runner.invoke(app, ["report", "--out", str(out)]).exit_code == 0
    text = _text(out.read_text())
    assert "⚠ stuck job: pacing_tick (period 2027-03-01 16:30 UTC, claimed by daemon-0 at " in text
    assert text.count("stuck job") == 1  # the finished sync is not


def test_since_errors_say_what_to_write(cli_env: str, database: Database) -> None:
    seed(database)
    bad = runner.invoke(app, ["report", "--since", "last tuesday"])
    assert bad.exit_code == 1 and "cannot read --since" in bad.stderr
    late = runner.invoke(app, ["report", "--since", "2030-01-01"])
    assert late.exit_code == 1 and "not before the data's end" in late.stderr and "--since 7d" in late.stderr
