"""Change-set counts match the store: agents and people on one line, pacer and rules on their own, blocked items
counted (not only blocked sets), expiries explained, failures with their message; windowed like the report."""

from __future__ import annotations

from datetime import timedelta

from db.reporting import NOT_APPLIED, NOT_APPROVED, change_set_counts, llm_tokens
from tests.reports.store import START, seed

ZERO = {"proposed": 0, "applied": 0, "blocked": 0, "blocked_items": 0, "pending_approval": 0, "in_flight": 0,
        "rejected": 0, "failed": 0, "expired": 0, "rolled_back": 0, "expired_reasons": {}, "failure_reasons": {}}


def test_counts_per_line_with_blocked_items_and_reasons(database) -> None:
    seeded = seed(database)
    with database.transaction() as s:
        counts = change_set_counts(s, seeded.account_id).as_dict()
        week = change_set_counts(s, seeded.account_id, start=START, end=START + timedelta(hours=48)).as_dict()
    pacer = {**ZERO, "proposed": 6, "applied": 3, "failed": 2, "expired": 1,
             "expired_reasons": {NOT_APPLIED: 1},
             "failure_reasons": {"dry run: more than 60 writes in one sandbox tick": 2}}
    rules = {**ZERO, "proposed": 1, "applied": 1}
    assert counts == {
        **ZERO,
        "proposed": 10,  # 9 agents' (one 10 days old) + 1 from the CLI
        "applied": 5,  # the rolled-back one reached the platform too
        "blocked": 1,
        "blocked_items": 3,  # 2 in the blocked set + 1 in a set whose other item was applied
        "pending_approval": 1,
        "failed": 1,
        "failure_reasons": {"platform said: quota exhausted": 1},
        "expired": 2,
        "expired_reasons": {NOT_APPLIED: 1, NOT_APPROVED: 1},
        "rolled_back": 1,
        "pacer_adjustments": 3,
        "by_origin": {"pacer": pacer, "rules": rules},
    }
    assert week["proposed"] == 9 and week["applied"] == 4  # the old change-set is outside the window
    assert week["by_origin"] == counts["by_origin"]
    # the window's end is "now": the rules' change-set made at hour 20 belongs to a window ending at hour 20
    with database.transaction() as s:
        at_end = change_set_counts(s, seeded.account_id, start=START, end=START + timedelta(hours=20)).as_dict()
        before = change_set_counts(s, seeded.account_id, start=START, end=START + timedelta(hours=19)).as_dict()
    assert at_end["by_origin"]["rules"]["proposed"] == 1 and "rules" not in before["by_origin"]


def test_tokens_follow_the_account_clock(database) -> None:
    from db.schema import AgentRun

    seeded = seed(database)
    with database.transaction() as s:
        agents_cs = seeded.change_set_ids["agents:blocked"][0]
        runs = [
            AgentRun(kind="agent_cycle", account_id=seeded.account_id, campaign_id=seeded.campaign_ids[0],
                     run_after=START, prompt_tokens=100, completion_tokens=20, payload={"day": "2027-03-01"}),
            AgentRun(kind="agent_cycle", account_id=seeded.account_id, campaign_id=seeded.campaign_ids[0],
                     run_after=START, prompt_tokens=1000, completion_tokens=200, payload={"day": "2027-02-01"}),
            AgentRun(kind="anomaly_review", account_id=seeded.account_id, campaign_id=seeded.campaign_ids[1],
                     run_after=START - timedelta(days=400), prompt_tokens=7, completion_tokens=3),
        ]
        s.add_all(runs)
        s.flush()
        from db.schema import ChangeSet

        s.get(ChangeSet, agents_cs).agent_run_id = runs[2].id  # wrote a change-set inside the window
        s.flush()
        assert llm_tokens(s, seeded.account_id) == 1330
        assert llm_tokens(s, seeded.account_id, start=START, end=START + timedelta(days=2)) == 130
