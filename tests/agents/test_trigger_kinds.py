"""Issue 11 item 19: each triggered kind does what ``webhooks.triggers`` says — a depleted budget wakes the bid
optimiser only, a conversion anomaly or tracking break opens an alert for a person and changes nothing."""

from __future__ import annotations

from sqlalchemy import select

from db.database import Database
from db.schema import Alert, ChangeSet
from db.work_queue import ClaimedItem, WorkQueue
from scheduler.jobs import agents as jobs
from tests.scheduler.test_effects_and_periods import HandClock, _ctx


def _claim(database: Database, kind: str, cid: int, reason: str) -> ClaimedItem:
    with database.transaction() as session:
        WorkQueue(session).enqueue(
            kind, campaign_id=cid, trigger="webhook", payload={"reason": reason}, dedupe_key=f"t:{kind}"
        )
        item = WorkQueue(session).claim("tester", lease_s=60, kinds=[kind])
    assert item is not None
    return item


def _change_sets(database: Database) -> int:
    with database.transaction() as session:
        return len(session.scalars(select(ChangeSet.id)).all())


def test_a_conversion_anomaly_opens_an_alert_and_changes_nothing(world) -> None:
    ctx = _ctx(world.database, HandClock(world.now))
    cid = world.campaign_ids[1]
    item = _claim(world.database, "reviewer", cid, "conversion_anomaly")
    before = _change_sets(world.database)
    review = jobs._review(ctx, item)
    assert review["automatic_fix"] is False and review["change_set_id"] is None
    assert _change_sets(world.database) == before
    with world.database.transaction() as session:
        alert = session.get(Alert, review["alert_id"])
        assert alert is not None and alert.campaign_id == cid and "conversion_anomaly" in alert.message


def test_a_depleted_budget_wakes_only_the_bid_optimiser(world) -> None:
    from agents.runner import run_cycle
    from guardrails.policy import GuardrailPolicy

    cid = world.campaign_ids[1]
    whole = run_cycle(world.database, cid, now=world.now, llm=None, policy=GuardrailPolicy(), dry_run=True, seed=1)
    paced = run_cycle(
        world.database,
        cid,
        now=world.now,
        llm=None,
        policy=GuardrailPolicy(),
        dry_run=True,
        seed=1,
        specialists=jobs.SPECIALISTS_OF_KIND["pacing_review"],
    )
    nodes = {call.split(":")[0] for call in paced.tool_calls}
    assert nodes <= {"bid_optimiser", "reviewer"} and "bid_optimiser" in nodes
    assert {call.split(":")[0] for call in whole.tool_calls} > nodes  # the daily cycle runs every specialist
    assert all(d["action"] != "create_creative" for d in paced.drafts)
