"""``adpilot demo`` end to end through the CLI, as a user runs it: real subprocesses (receiver, daemon), real
Postgres, the sandbox; then the report opened in headless Chromium with its plots rendered."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.embedded_llm import require_embedded_llm

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _env(tmp_path: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADPILOT_")}
    env.update({"ADPILOT_DATABASE_URL": url, "ADPILOT_DATA_DIR": str(tmp_path / "data")})
    return env


def _demo(tmp_path: Path, url: str, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "demo", *args],
        env=_env(tmp_path, url),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _check_summary(summary: dict, days: int, campaigns: int) -> None:
    assert set(summary) >= {"days", "campaigns", "changesets", "llm_tokens", "week"}
    assert "seconds" not in summary  # wall time stays out: a stepped week's summary is reproducible
    assert summary["days"] == days and len(summary["campaigns"]) == campaigns
    for c in summary["campaigns"]:
        assert {"spend_micros", "conversions", "cpa_micros", "target_cpa_micros", "pct_of_lp"} <= set(c)
        assert isinstance(c["spend_micros"], int) and c["spend_micros"] > 0  # the market really ran
        assert c["pct_of_lp"] is not None and 0 < c["pct_of_lp"] <= 100.0
    assert set(summary["changesets"]) >= {"proposed", "applied", "blocked", "rolled_back"}
    assert summary["changesets"]["pacer_adjustments"] > 0  # the pacer moved bids through change-sets
    assert summary["changesets"]["expired"] == 0  # the stepped clock applies what was approved before moving on


def _screenshot(report: Path, out: Path) -> Image.Image:
    assert CHROMIUM, "Debian's chromium is required for this test (apt-get install chromium)"
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={out.parent / 'chrome-profile'}",
            "--hide-scrollbars",
            "--window-size=1200,2600",
            f"--screenshot={out}",
            report.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return Image.open(out).convert("RGB")


def test_demo_two_days_with_the_fake_llm(fresh_databases, tmp_path: Path) -> None:
    url = fresh_databases.create("adpilot_demo")
    report = tmp_path / "demo.html"
    run = _demo(
        tmp_path,
        url,
        "--days",
        "2",
        "--campaigns",
        "2",
        "--llm",
        "fake",
        "--json",
        "--report",
        str(report),
    )
    assert run.returncode == 0, run.stderr[-3000:]
    summary = json.loads(run.stdout)
    _check_summary(summary, days=2, campaigns=2)
    # "adpilot vs what you would have had": the same week replayed under the baselines, on the same LP*
    assert [row["name"] for row in summary["comparison"]] == ["adpilot_no_llm", "static", "rules"]
    assert all(len(row["per_day_pct_of_lp"]) == 2 for row in summary["comparison"])
    status = subprocess.run([sys.executable, "-m", "cli", "daemon", "status", "--json"], env=_env(tmp_path, url),
                            capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stdout[-2000:]  # a clean demo leaves a healthy daemon status
    assert json.loads(status.stdout)["queue"].get("queued", 0) == 0
    html = report.read_text()
    assert html.count("data:image/png;base64,") >= 6 and "score vs LP*" in html

    # the plots render in a real browser: matplotlib's blue lines and green bars are on the screenshot
    pixels = np.asarray(_screenshot(report, tmp_path / "shot.png")).reshape(-1, 3).astype(int)
    blue = np.all(np.abs(pixels - (31, 119, 180)) < 25, axis=1).sum()
    green = np.all(np.abs(pixels - (44, 160, 44)) < 25, axis=1).sum()
    assert blue > 500 and green > 200, (blue, green)

    again = _demo(
        tmp_path,
        url,
        "--days",
        "1",
        "--campaigns",
        "2",
        "--llm",
        "fake",
        "--json",
        "--report",
        str(tmp_path / "again.html"),
        "--no-compare",
    )
    assert again.returncode == 0, again.stderr[-3000:]  # a second run starts a fresh account, no stale state
    _check_summary(json.loads(again.stdout), days=1, campaigns=2)


@pytest.mark.embedded_llm
def test_demo_with_the_embedded_llm(fresh_databases, tmp_path: Path) -> None:
    require_embedded_llm()
    url = fresh_databases.create("adpilot_demo_llm")
    run = _demo(
        tmp_path,
        url,
        "--days",
        "2",
        "--campaigns",
        "1",
        "--llm",
        "embedded",
        "--json",
        "--report",
        str(tmp_path / "r.html"),
        "--no-compare",
    )
    assert run.returncode == 0, run.stderr[-3000:]
    _check_summary(json.loads(run.stdout), days=2, campaigns=1)


def test_a_child_killed_by_a_signal_stops_the_demo_cleanly(fresh_databases, tmp_path: Path) -> None:
    """Issue 10: the daemon child died with SIGILL and the demo printed a traceback. Now: the signal's name, the
    child's role and its log's tail, the other children stopped, exit 1 with a remedy, no traceback."""
    import signal
    import time

    import psutil

    url = fresh_databases.create("adpilot_demo_crash")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADPILOT_")}
    env.update({"ADPILOT_DATABASE_URL": url, "ADPILOT_DATA_DIR": str(tmp_path / "data")})
    demo = subprocess.Popen(
        [sys.executable, "-m", "cli", "demo", "--llm", "fake", "--days", "3", "--campaigns", "1", "--json"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline, daemon = time.monotonic() + 240, None
        while daemon is None and time.monotonic() < deadline and demo.poll() is None:
            kids = psutil.Process(demo.pid).children()
            daemon = next((k for k in kids if "daemon" in k.cmdline() and "run" in k.cmdline()), None)
            time.sleep(0.5)
        assert daemon is not None, "the demo never started its daemon"
        time.sleep(3)
        others = [k for k in psutil.Process(demo.pid).children() if k.pid != daemon.pid]
        daemon.send_signal(signal.SIGILL)
        _out, err = demo.communicate(timeout=180)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 1, err[-3000:]
    assert "daemon was killed by SIGILL" in err and "Last " in err and "remedy:" in err
    assert "--llm fake" in err and "Traceback" not in err
    assert all(not k.is_running() or k.status() == psutil.STATUS_ZOMBIE for k in others)
