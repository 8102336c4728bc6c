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
    first = _adpilot(data_dir, "doctor", "--json")
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
