"""Change-sets end to end against the real sandbox platform and real Postgres: propose → verdict → approve → dry
run → apply → undo; expiry; kill switch; read-only; crash recovery without duplicate platform mutations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from adpilot.errors import InvalidInput, KillSwitchEngaged
from changesets import (
    ChangeSetProposal,
    ItemProposal,
    apply_change_set,
    approve,
    expire_stale,
    propose,
    reject,
    undo_change_set,
)
from db.changesets import ChangeSetRepository
from db.enums import ChangeAction
from db.kill_switch import KillSwitchRepository
from db.schema import AuditLog, Campaign
from guardrails.policy import GuardrailPolicy

POLICY = GuardrailPolicy()


def _proposal(m, *items: ItemProposal) -> ChangeSetProposal:
    return ChangeSetProposal(
        account_id=m.account_id,
        campaign_id=items[0].campaign_id,
        origin="test-agent",
        summary="test",
        items=list(items),
    )


def _budget(m, micros: int) -> ItemProposal:
    cid = m.campaigns["cmp_1"]
    return ItemProposal(
        action=ChangeAction.SET_BUDGET,
        campaign_id=cid,
        target_id=str(cid),
        after={"daily_budget_micros": micros},
        rationale="more budget",
    )


def _multiplier(m, value: float) -> ItemProposal:
    cid = m.campaigns["cmp_1"]
    return ItemProposal(
        action=ChangeAction.SET_BID_MULTIPLIER, campaign_id=cid, target_id=str(cid), after={"bid_multiplier": value}
    )


def _run(database, m, proposal, **kw):
    return propose(database, proposal, policy=POLICY, now=m.platform.now(), read_only=False, **kw)


def _apply(database, m, cs_id, **kw):
    return apply_change_set(database, m.platform, cs_id, policy=POLICY, now=m.platform.now(), actor="tester", **kw)


def test_auto_apply_within_the_autonomy_tier(database, mirror) -> None:
    m = mirror
    cs = _run(database, m, _proposal(m, _multiplier(m, 1.05)))
    assert cs.status == "approved"
    outcome = _apply(database, m, cs.id)
    assert outcome.status == "applied" and len(outcome.applied) == 1
    assert m.platform.get_controls("cmp_1").bid_multiplier == pytest.approx(1.05)
    with database.transaction() as s:
        assert float(s.get(Campaign, m.campaigns["cmp_1"]).bid_multiplier) == pytest.approx(1.05)
        (item,) = ChangeSetRepository(s).get(cs.id).items
        assert item.status == "applied" and item.inverse == {
            "action": "set_bid_multiplier",
            "target_id": str(m.campaigns["cmp_1"]),
            "after": {"bid_multiplier": 1.0},
        }
        events = [a.event for a in s.scalars(select(AuditLog).order_by(AuditLog.id))]
    assert events == ["proposed", "verdict", "dry_run", "applied"]


def test_budget_change_is_clamped_waits_for_a_human_then_applies(database, mirror) -> None:
    m = mirror
    before = m.platform.get_controls("cmp_1").daily_budget_micros
    cs = _run(database, m, _proposal(m, _budget(m, before * 3)))
    assert cs.status == "pending_approval"
    assert cs.items[0].after["daily_budget_micros"] == before * 12 // 10
    with pytest.raises(Exception, match="only approved"):
        _apply(database, m, cs.id)
    approve(database, cs.id, actor="alice", comment="ok")
    assert _apply(database, m, cs.id).status == "applied"
    assert m.platform.get_controls("cmp_1").daily_budget_micros == before * 12 // 10
    with database.transaction() as s:
        (approval,) = ChangeSetRepository(s).approvals(cs.id)
        assert approval.actor == "alice" and approval.decision == "approved"


def test_reject_and_expiry(database, mirror) -> None:
    m = mirror
    cs = _run(database, m, _proposal(m, _budget(m, 999_000_000)))
    reject(database, cs.id, actor="bob")
    with pytest.raises(InvalidInput, match="cannot become"):
        approve(database, cs.id, actor="bob")
    stale = _run(database, m, _proposal(m, _budget(m, 999_000_000)))
    assert expire_stale(database, now=m.platform.now() + timedelta(hours=1)) == []
    assert expire_stale(database, now=m.platform.now() + timedelta(hours=25)) == [stale.id]
    with database.transaction() as s:
        assert ChangeSetRepository(s).get(stale.id).status == "expired"
    before = m.platform.get_controls("cmp_1")
    assert _apply(database, m, stale.id).status == "expired"  # a late apply job settles quietly, changes nothing
    assert m.platform.get_controls("cmp_1") == before


def test_kill_switch_blocks_proposals_and_apply(database, mirror) -> None:
    m = mirror
    cs = _run(database, m, _proposal(m, _multiplier(m, 1.05)))
    with database.transaction() as s:
        KillSwitchRepository(s).set(True, actor="ops", reason="incident")
    before = m.platform.get_controls("cmp_1")
    with pytest.raises(KillSwitchEngaged):
        _apply(database, m, cs.id)
    assert m.platform.get_controls("cmp_1") == before
    assert _run(database, m, _proposal(m, _multiplier(m, 1.05))).status == "blocked"
    with database.transaction() as s:
        KillSwitchRepository(s).set(False, actor="ops", reason=None)
    assert _apply(database, m, cs.id).status == "applied"


def test_read_only_mode_stops_every_mutation(database, mirror) -> None:
    m = mirror
    cs = _run(database, m, _proposal(m, _multiplier(m, 1.05)))
    before = m.platform.get_controls("cmp_1")
    with pytest.raises(KillSwitchEngaged, match="read-only"):
        _apply(database, m, cs.id, read_only=True)
    assert m.platform.get_controls("cmp_1") == before
    ro = propose(database, _proposal(m, _multiplier(m, 1.05)), policy=POLICY, now=m.platform.now(), read_only=True)
    assert ro.status == "blocked"


def test_undo_restores_the_platform_and_the_store(database, mirror) -> None:
    m = mirror
    before = m.platform.get_controls("cmp_1").daily_budget_micros
    cs = _run(database, m, _proposal(m, _budget(m, before + 10_000_000), _multiplier(m, 1.1)))
    approve(database, cs.id, actor="alice")
    assert _apply(database, m, cs.id).status == "applied"
    assert m.platform.get_controls("cmp_1").daily_budget_micros == before + 10_000_000
    outcome = undo_change_set(database, m.platform, cs.id, actor="alice", policy=POLICY, now=m.platform.now())
    assert outcome.status == "applied"
    controls = m.platform.get_controls("cmp_1")
    assert controls.daily_budget_micros == before and controls.bid_multiplier == pytest.approx(1.0)
    with database.transaction() as s:
        assert ChangeSetRepository(s).get(cs.id).status == "rolled_back"
        assert s.get(Campaign, m.campaigns["cmp_1"]).daily_budget_micros == before
    with pytest.raises(InvalidInput):
        undo_change_set(database, m.platform, cs.id, actor="alice", policy=POLICY, now=m.platform.now())


class Crash(Exception):
    pass


def test_crash_after_platform_write_does_not_mutate_twice(database, mirror) -> None:
    m = mirror
    cs = _run(database, m, _proposal(m, _multiplier(m, 1.08)))

    def crash(stage, item):
        if stage == "after_platform_write":
            raise Crash(stage)

    with pytest.raises(Crash):
        _apply(database, m, cs.id, crash_hook=crash)
    with database.transaction() as s:
        assert ChangeSetRepository(s).get(cs.id).items[0].status == "pending"
    writes_before = len(m.platform.snapshot()["writes"]["records"])
    outcome = _apply(database, m, cs.id)
    assert outcome.status == "applied" and outcome.duplicates == [cs.items[0].id] and outcome.applied == []
    assert len(m.platform.snapshot()["writes"]["records"]) == writes_before  # no second platform mutation
    assert m.platform.get_controls("cmp_1").bid_multiplier == pytest.approx(1.08)


def test_apply_time_recheck_blocks_a_value_that_moved(database, mirror) -> None:
    m = mirror
    before = m.platform.get_controls("cmp_1").daily_budget_micros
    first = _run(database, m, _proposal(m, _budget(m, before + 5_000_000)))
    second = _run(database, m, _proposal(m, _budget(m, before + 5_000_000)))
    for cs in (first, second):
        approve(database, cs.id, actor="alice")
    assert _apply(database, m, first.id).status == "applied"
    outcome = _apply(database, m, second.id)  # cooldown now applies to the budget control
    assert outcome.status == "blocked" and outcome.blocked
    assert m.platform.get_controls("cmp_1").daily_budget_micros == before + 5_000_000


def test_outcome_evaluation_writes_the_realised_effect_next_to_the_prediction(database, mirror) -> None:
    from changesets import evaluate_outcomes
    from db.schema import AudienceSegment, Creative, PerformanceHour

    m = mirror
    now = m.platform.now()
    cs = _run(database, m, _proposal(m, _multiplier(m, 1.05)))
    assert _apply(database, m, cs.id).status == "applied"
    cid = m.campaigns["cmp_1"]
    with database.transaction() as s:
        seg = s.scalars(select(AudienceSegment.id).where(AudienceSegment.campaign_id == cid)).first()
        cre = s.scalars(select(Creative.id).where(Creative.campaign_id == cid)).first()
        s.execute(delete(PerformanceHour).where(PerformanceHour.campaign_id == cid))  # only the rows below count
        for day, conv in ((-1, 4), (1, 10)):
            s.add(PerformanceHour(campaign_id=cid, segment_id=seg, creative_id=cre, impressions=1000, clicks=50,
                                  conversions=conv, spend_micros=20_000_000,
                                  hour_start=now + timedelta(days=day, hours=1)))
        s.get(type(cs), cs.id).predicted_effect = {"delta_conversions_per_day": 2.0}
    assert evaluate_outcomes(database, now=now + timedelta(days=1)) == {"evaluated": 0}  # window still open
    assert evaluate_outcomes(database, now=now + timedelta(days=3)) == {"evaluated": 1}
    with database.transaction() as s:
        realised = ChangeSetRepository(s).get(cs.id).realised_effect
        outcome_rows = s.scalars(select(AuditLog).where(AuditLog.event == "outcome")).all()
    assert realised["delta_conversions_per_day"] == 3.0  # (10 - 4) / 2 days
    assert realised["delta_spend_micros_per_day"] == 0
    assert realised["forecast_error_conversions_per_day"] == 1.0 and len(outcome_rows) == 1
    assert evaluate_outcomes(database, now=now + timedelta(days=4)) == {"evaluated": 0}  # written once


def test_after_a_crash_the_apply_job_reads_the_platform_back_instead_of_writing_again(database, mirror) -> None:
    """Issue 11 item 8: the apply job's own exactly-once copy had no read-back. On a platform whose idempotency
    keys have expired (Google Ads keeps them for hours; Meta has none) a retry after a crash between the platform
    write and the ledger wrote a second creative. The apply job now runs on ``perform_once`` and reads back first."""
    from platforms.sandbox.write_log import WriteLog

    m = mirror
    cid = m.campaigns["cmp_1"]
    item = ItemProposal(action=ChangeAction.CREATE_CREATIVE, campaign_id=cid, target_id=str(cid),
                        after={"headline": "Trail shoes, light", "description": "Made for long runs."})
    cs = _run(database, m, _proposal(m, item))
    approve(database, cs.id, actor="alice")

    def crash(stage, _item):
        if stage == "after_platform_write":
            raise Crash(stage)

    with pytest.raises(Crash):
        _apply(database, m, cs.id, crash_hook=crash)
    m.platform._writes = WriteLog(m.platform.config.max_writes_per_tick)  # the key window has passed
    outcome = _apply(database, m, cs.id)
    assert outcome.status == "applied" and outcome.applied == [] and len(outcome.duplicates) == 1
    same = [c for c in m.platform.list_creatives("cmp_1") if c.headline == "Trail shoes, light"]
    assert len(same) == 1, "a second creative: the retry wrote again instead of reading back"
    from db.schema import Creative

    with database.transaction() as s:  # the store mirrors the live creative, with its platform id
        rows = s.query(Creative).filter(Creative.headline == "Trail shoes, light").all()
        assert [r.external_id for r in rows] == [same[0].id]


def test_no_database_transaction_is_open_during_a_platform_call(database, mirror, database_url) -> None:
    """Issue 11 item 8: the apply job held a database transaction open across the platform call."""
    import psycopg

    m = mirror
    seen: list[int] = []
    real = m.platform.set_bid_multiplier
    admin = database_url.replace("+psycopg", "")

    def watching(*args, **kwargs):
        with psycopg.connect(admin, autocommit=True) as conn:
            seen.append(conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%'"
            ).fetchone()[0])
        return real(*args, **kwargs)

    m.platform.set_bid_multiplier = watching  # type: ignore[method-assign]
    cs = _run(database, m, _proposal(m, _multiplier(m, 1.05)))
    assert _apply(database, m, cs.id).status == "applied"
    assert seen and max(seen) == 0, f"transactions open during platform calls: {seen}"


@pytest.mark.parametrize("allowed", [0, 1], ids=["dry_run_limited", "write_limited"])
def test_a_rate_limited_apply_is_retried_not_failed(database, mirror, allowed: int) -> None:
    """Issue 12: 33 pacer change-sets failed for good with "dry run: more than 60 writes in one sandbox tick"."""
    from platforms.base import RateLimited
    from platforms.sandbox.write_log import WriteLog

    m = mirror
    cs = _run(database, m, _proposal(m, _multiplier(m, 1.05)))
    m.platform._writes = WriteLog(allowed)  # this tick's write budget is spent (after the dry run, with 1)
    with pytest.raises(RateLimited):
        _apply(database, m, cs.id)
    with database.transaction() as s:
        assert ChangeSetRepository(s).get(cs.id).status in ("approved", "validated")
    m.platform._writes = WriteLog(m.platform.config.max_writes_per_tick)  # the next tick
    outcome = _apply(database, m, cs.id)
    assert outcome.status == "applied", outcome
    assert m.platform.get_controls("cmp_1").bid_multiplier == pytest.approx(1.05)
