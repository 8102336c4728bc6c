"""Issue 11 item 10: the pacing job applied its change-sets inline, outside the work queue's one-run-per-campaign
lock. Now it proposes and queues; the apply job writes under the lock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from db.schema import AgentRun, ChangeSet
from db.work_kinds import WorkKind
from scheduler.jobs import pacing
from scheduler.jobs.sync import sync_platform
from tests.scheduler.test_effects_and_periods import HandClock, _ctx


def test_the_pacer_queues_its_applies_for_the_apply_job(database, mirror) -> None:
    m = mirror
    m.platform.run_until(m.platform.now() + timedelta(hours=8))  # spend some of the day: a pace to react to
    sync_platform(database, m.platform, "sandbox", end=m.platform.now())
    writes_before = len(m.platform.snapshot()["writes"]["records"])
    controls_before = {ext: m.platform.get_controls(ext).bid_multiplier for ext in m.campaigns}
    ctx = _ctx(database, HandClock(m.platform.now()), platform=m.platform)
    summary = pacing._run(ctx, m.platform.now())
    assert "queued" in summary
    assert len(m.platform.snapshot()["writes"]["records"]) == writes_before  # nothing written inline
    assert {ext: m.platform.get_controls(ext).bid_multiplier for ext in m.campaigns} == controls_before
    with database.transaction() as session:
        sets = session.scalars(select(ChangeSet).where(ChangeSet.origin == "pacer")).all()
        runs = session.scalars(select(AgentRun).where(AgentRun.kind == WorkKind.APPLY_CHANGE_SET)).all()
        assert sets and {r.payload["change_set_id"] for r in runs} == {cs.id for cs in sets if cs.status == "approved"}
        assert all(r.campaign_id is not None and r.status == "queued" for r in runs)  # under the campaign lock
