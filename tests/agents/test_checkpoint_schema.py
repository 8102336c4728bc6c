"""The checkpointer's tables belong to migration 0003: workers that start together on a fresh database neither run
DDL nor race (issue 10: ``UniqueViolation … checkpoint_migrations_pkey`` when each ran ``setup()``)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from adpilot.errors import SchemaOutOfDate
from agents.checkpoints import open_checkpointer
from db import migrate
from db.database import Database, make_engine

REPO = Path(__file__).resolve().parents[2]

# A worker: migrate (as every process on the embedded database does), then checkpoint a tiny graph under its own
# thread id. Each waits for a common start time so that all three hit the fresh database together.
WORKER = """
import sys, time
from typing import TypedDict
from langgraph.graph import END, START, StateGraph
from agents.checkpoints import open_checkpointer
from db import migrate
from db.database import Database, make_engine

url, name, start_at = sys.argv[1], sys.argv[2], float(sys.argv[3])
class S(TypedDict):
    n: int
builder = StateGraph(S)
builder.add_node("inc", lambda s: {"n": s["n"] + 1})
builder.add_edge(START, "inc")
builder.add_edge("inc", END)
database = Database(make_engine(url), embedded=False)
time.sleep(max(0.0, start_at - time.time()))
migrate.upgrade(database)
with open_checkpointer(database) as saver:
    out = builder.compile(checkpointer=saver).invoke({"n": 1}, {"configurable": {"thread_id": name}})
assert out["n"] == 2, out
database.dispose()
"""


def test_three_workers_start_together_on_a_fresh_database(fresh_databases) -> None:
    url = fresh_databases.create("adpilot_ckpt")
    start_at = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, f"worker-{i}", str(start_at)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(3)
    ]
    outputs = [proc.communicate(timeout=180)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], "\n---\n".join(outputs)

    database = Database(make_engine(url), embedded=False)
    try:
        with database.engine.connect() as conn:
            threads = (
                conn.exec_driver_sql("SELECT DISTINCT thread_id FROM agent_checkpoints.checkpoints ORDER BY thread_id")
                .scalars()
                .all()
            )
            versions = conn.exec_driver_sql("SELECT v FROM agent_checkpoints.checkpoint_migrations ORDER BY v")
            assert list(versions.scalars()) == list(range(10))
        assert threads == ["worker-0", "worker-1", "worker-2"]
    finally:
        database.dispose()


def test_a_database_without_the_checkpoint_tables_is_refused_with_the_remedy(fresh_databases) -> None:
    database = Database(make_engine(fresh_databases.create("adpilot_ckpt_old")), embedded=False)
    try:
        migrate.upgrade(database, "0002")
        with pytest.raises(SchemaOutOfDate) as caught, open_checkpointer(database):
            pass
        assert "adpilot db upgrade" in caught.value.remedy
        migrate.upgrade(database)
        with open_checkpointer(database) as saver:
            assert saver is not None
    finally:
        database.dispose()
