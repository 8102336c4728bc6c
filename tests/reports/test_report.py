"""The HTML report from the store: self-contained (embedded PNGs), escaped platform text, the change-set timeline."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

from typer.testing import CliRunner

from cli.main import app
from db.schema import Creative
from reports import DailyScore, build_report, collect_report
from tests.agents.conftest import build_world


def test_report_embeds_plots_and_escapes_platform_text(fresh_databases, tmp_path) -> None:
    world = build_world(fresh_databases.create("adpilot_report"), days=2)
    with world.database.transaction() as s:
        s.get(Creative, 1).headline = "<script>alert('x')</script>"
    data = collect_report(world.database, start=world.now - timedelta(days=2), end=world.now)
    data.scores = [DailyScore(world.campaign_ids[0], world.now - timedelta(days=1), 3.0, 4.0)]
    path = build_report(data, tmp_path / "r.html")
    html = path.read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 2 * len(world.campaign_ids) + 1  # spend & CPA per campaign, one score plot
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "Creative leaderboard" in html and "Change-set timeline" in html
    world.database.dispose()


def test_report_command(cli_env, fresh_databases, monkeypatch, tmp_path) -> None:
    url = fresh_databases.create("adpilot_report_cli")
    build_world(url, days=1).database.dispose()
    monkeypatch.setenv("ADPILOT_DATABASE_URL", url)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--since", "1d", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and out.read_text().count("data:image/png;base64,") >= 2
    bad = CliRunner().invoke(app, ["report", "--since", "last tuesday"])
    assert bad.exit_code == 1 and "cannot read --since" in bad.stderr
