"""``adpilot bench soak``: does a 24/7 daemon stay flat? (issue 12 part 8)

The whole loop (``adpilot_no_llm``: sync, pacer, agents with the fake LLM, change-sets, applies, nightly retraining,
retention) runs for ``days`` simulated days on the stepped clock in a scratch database. At the end of every step the
queue is read (the stepped driver only moves on when it is empty, so a non-zero reading would be a bug), and at the
end of every simulated day the daemon's resident memory and the database's size by table are recorded.

Targets: RSS on the last day within 10 % of day 10's; the queue empty at every step; database growth per day bounded
by the impression-log retention (after ``retention`` days the logs stop growing).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from adpilot.settings import Settings
from db.database import open_database
from db.sim_clock import SimClockRepository
from db.table_sizes import database_bytes, table_sizes
from db.work_queue import WorkQueue
from platforms.sandbox.clock import TICKS_PER_DAY
from simulation import POLICIES, WeekSpec, run_week
from simulation.scratch import ScratchServer
from simulation.week import Progress, TickEnd

__all__ = ["run"]

_MB = 1024 * 1024


class _Recorder:
    def __init__(self) -> None:
        self.days: list[dict[str, Any]] = []
        self.max_queue_today = 0
        self.nonempty_ticks = 0

    def __call__(self, end: TickEnd) -> None:
        with end.database.transaction() as session:
            open_items, _ = SimClockRepository(session).open_items()
            self.max_queue_today = max(self.max_queue_today, open_items)
            self.nonempty_ticks += open_items > 0
            if end.tick % TICKS_PER_DAY:
                return
            dead = WorkQueue(session).depth_by_status().get("dead", 0)
            sizes = table_sizes(session)
            total = database_bytes(session)
        rss = psutil.Process(end.daemon_pid).memory_info().rss
        self.days.append({
            "day": end.tick // TICKS_PER_DAY,
            "daemon_rss_mb": round(rss / _MB, 1),
            "queue_depth_max_at_tick_end": self.max_queue_today,
            "dead_items": dead,
            "db_mb": round(total / _MB, 2),
            "tables_mb": {t.qualified: round(t.total_bytes / _MB, 2) for t in sizes[:8]},
        })
        self.max_queue_today = 0


def run(settings: Settings, *, days: int, campaigns: int, seed: int, retention_days: int, log_dir: Path,
        stall_s: float, on_week: Callable[[str], Progress]) -> dict[str, Any]:
    t0 = time.monotonic()
    base = open_database(settings)
    server = ScratchServer.beside(base)
    base.dispose()
    recorder = _Recorder()
    env = (("ADPILOT_MODEL_TRAINING_WINDOW_DAYS", str(retention_days)),
           ("ADPILOT_IMPRESSION_LOG_RETENTION_DAYS", str(retention_days)))
    spec = WeekSpec(POLICIES["adpilot_no_llm"], seed=seed, days=days, campaigns=campaigns, stall_s=stall_s, env=env)
    try:
        with server.database("soak") as database:
            run_week(settings, spec, database=database, log_dir=log_dir, progress=on_week(f"soak · {days} days"),
                     observer=recorder)
    finally:
        server.dispose()
    rows = recorder.days
    rss = [r["daemon_rss_mb"] for r in rows]
    reference = rss[min(9, len(rss) - 1)] if rss else None
    growth = [round(b["db_mb"] - a["db_mb"], 2) for a, b in itertools.pairwise(rows)]
    late = growth[retention_days + 1:]
    return {
        "benchmark": "soak",
        "days": days,
        "campaigns": campaigns,
        "retention_days": retention_days,
        "per_day": rows,
        "rss_last_over_day10": round(rss[-1] / reference, 3) if rss and reference else None,
        "queue_empty_at_every_tick": recorder.nonempty_ticks == 0,
        "db_growth_mb_per_day": growth,
        "db_growth_mb_per_day_after_retention": late,
        "targets": {
            "rss_within_10pct_of_day10": bool(rss and reference and rss[-1] <= 1.10 * reference),
            "queue_empty_at_every_tick": recorder.nonempty_ticks == 0,
        },
        "seconds": round(time.monotonic() - t0, 1),
    }
