"""The zero-setup path end to end: no ADPILOT_DATABASE_URL → an embedded PostgreSQL under the data directory,
migrated on first use, reused by the next process, stopped when the last process exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _adpilot(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADPILOT_")}
    env["ADPILOT_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=env,
        cwd=data_dir.parent,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_embedded_postgres_is_started_migrated_reused_and_stopped(tmp_path: Path) -> None:
    data_dir = tmp_path / "adpilot-data"
    first = _adpilot(data_dir, "doctor", "--json", "--skip-llm")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["database_mode"] == "embedded"
    assert report["reachable"] is True and report["migrated"] is True and report["findings"] == []
    assert str(data_dir / "postgres") in report["database"].replace("%2F", "/")
    pgdata = data_dir / "postgres"
    assert (pgdata / "PG_VERSION").exists()
    assert not (pgdata / "postmaster.pid").exists(), "server left running after the last process exited"

    added = _adpilot(data_dir, "accounts", "add", "--name", "Embedded Co", "--external-id", "emb-1", "--json")
    assert added.returncode == 0, added.stderr
    listed = _adpilot(data_dir, "accounts", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["external_id"] for a in json.loads(listed.stdout)] == ["emb-1"]  # data survived the restart
    assert not (pgdata / "postmaster.pid").exists()


def test_the_server_stops_after_its_last_user_is_killed(tmp_path: Path) -> None:
    """A process killed by a signal runs no atexit hook; the reaper still stops the server (issue 10)."""
    import signal
    import time

    data_dir = tmp_path / "adpilot-data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADPILOT_")}
    env["ADPILOT_DATA_DIR"] = str(data_dir)
    script = (
        "import os, signal\n"
        "from adpilot.settings import load_settings\n"
        "from db.database import open_database\n"
        "db = open_database(load_settings())\n"
        "with db.engine.connect() as c: c.exec_driver_sql('SELECT 1')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    crashed = subprocess.run([sys.executable, "-c", script], env=env, cwd=Path(__file__).resolve().parents[2],
                             capture_output=True, text=True, timeout=180)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    pgdata = data_dir / "postgres"
    deadline = time.monotonic() + 30
    while (pgdata / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not (pgdata / "postmaster.pid").exists(), "the embedded server outlived its last (killed) user"
