"""The built-in jobs end to end: a daemon on simulated time against the shared sandbox server syncs the market into
the store, advances the sandbox clock, runs daily agent cycles, dead-letters a work item of a kind nobody handles
with a clear error, and ``daemon status`` reports it."""

from __future__ import annotations

import json
import time

from sqlalchemy import text
from typer.testing import CliRunner

from cli.daemon import daemon_app
from db.database import Database
from db.work_queue import WorkQueue
from tests.scheduler.conftest import ForkServer, SandboxServer


def _count(database: Database, sql: str) -> int:
    with database.transaction() as session:
        return int(session.execute(text(sql)).scalar_one())


def test_builtin_jobs_sync_the_sandbox_and_fail_unknown_kinds_clearly(
    forkserver: ForkServer, sandbox_server: SandboxServer, database: Database, cli_env: str
) -> None:
    args = ["run", "--clock", "simulated", "--speed", "7200", "--platform-url", sandbox_server.url,
            "--replica-id", "builtin", "--poll-seconds", "0.1", "--retry-base-seconds", "0.05",
            "--heartbeat-seconds", "0.5"]
    with database.transaction() as session:
        WorkQueue(session).enqueue("no_such_kind", max_attempts=2, dedupe_key="unknown-kind")
    pid = forkserver.start(args, name="builtin")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if (_count(database, "SELECT count(*) FROM performance_hours") > 0
                    and _count(database, "SELECT count(*) FROM agent_runs WHERE kind = 'agent_cycle' "
                                         "AND status = 'succeeded'") > 1
                    and _count(database, "SELECT count(*) FROM agent_runs WHERE status = 'dead'") > 0):
                break
            time.sleep(0.5)
    finally:
        status = forkserver.stop(pid, timeout=90)  # graceful: the current work item finishes first
    assert status["code"] == 0, status
    assert _count(database, "SELECT count(*) FROM campaigns") == 2
    assert _count(database, "SELECT count(*) FROM audience_segments") > 0
    assert _count(database, "SELECT count(*) FROM creatives") > 0
    assert _count(database, "SELECT count(*) FROM performance_hours") > 0
    assert _count(database, "SELECT count(*) FROM impression_logs") > 0
    assert sandbox_server.client.now() > sandbox_server.client.now().replace(year=2025, month=1, day=6, hour=0)
    with database.transaction() as session:
        error = session.execute(text(
            "SELECT last_error FROM agent_runs WHERE kind = 'no_such_kind' AND status = 'dead' LIMIT 1"
        )).scalar_one()
    assert "no handler for work items of kind 'no_such_kind'" in error
    assert _count(database, "SELECT count(*) FROM agent_runs WHERE kind = 'agent_cycle' AND status = 'dead'") == 0

    result = CliRunner().invoke(daemon_app, ["status", "--json"])
    assert result.exit_code == 2, result.output
    report = json.loads(result.output)
    assert report["dead"] > 0 and report["healthy"] is False
    assert {"stats_sync", "agent_cycles", "sandbox_clock"} <= {r["job"] for r in report["last_runs"]}
    assert report["replicas"][0]["id"] == "builtin" and report["replicas"][0]["stopped_at"] is not None
