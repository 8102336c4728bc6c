"""Nightly retraining's training window and its child process (the daemon keeps no training memory)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.database import Database, make_engine
from models.errors import ModelError
from models.lifecycle import default_training_window_days, retrain_and_promote, within_window


def test_training_reads_only_the_window_before_the_newest_impression() -> None:
    newest = datetime(2031, 7, 15, 12, tzinfo=UTC)  # simulated time: the window hangs off the data, not the wall
    rows = [{"timestamp": newest - timedelta(hours=h)} for h in range(24 * 40, -1, -6)]
    kept = within_window(rows, 28)
    assert kept[0]["timestamp"] == newest - timedelta(days=28) and kept[-1]["timestamp"] == newest
    assert len(kept) == 28 * 4 + 1
    assert within_window([], 28) == []
    assert default_training_window_days() == 28


def test_retraining_runs_in_a_child_and_reports_its_failure_typed(database: Database) -> None:
    # an empty store: the child reads, finds too few impressions and says so, through the result line
    assert "skipped" in retrain_and_promote(database)
    unreachable = Database(make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nowhere"), embedded=False)
    with pytest.raises(ModelError) as err:
        retrain_and_promote(unreachable)
    assert "nightly retraining failed" in str(err.value) and "not reachable" in str(err.value)
    assert err.value.remedy  # the child's remedy travels back
