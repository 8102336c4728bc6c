"""Issue 11, items 1–7: the repros of an adversarial review of the guardrails, each one a test that failed on the
landed main. Real Postgres and the real sandbox platform where the hole was in the store lookups."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from adpilot.errors import AdpilotError, ConfigError
from changesets import ChangeSetProposal, ItemProposal, apply_change_set, approve, propose, undo_change_set
from db.changesets import ChangeSetRepository
from db.enums import ChangeAction
from db.schema import Approval
from guardrails.creative import creative_violations
from guardrails.engine import Decision, ProposedItem, evaluate
from guardrails.policy import CreativeRules, GuardrailPolicy, load_policy
from tests.changesets.test_guardrail_engine import ctx, state

POLICY = GuardrailPolicy()


def _set(m, origin: str, items: list[ItemProposal], campaign_id: int | None) -> ChangeSetProposal:
    return ChangeSetProposal(account_id=m.account_id, campaign_id=campaign_id, origin=origin, summary="t", items=items)


def _item(cid: int, action: ChangeAction, after: dict) -> ItemProposal:
    return ItemProposal(action=action, campaign_id=cid, target_id=str(cid), after=after)


def _propose_approve_apply(database, m, proposal, now, policy=POLICY):
    cs = propose(database, proposal, policy=policy, now=now, read_only=False)
    if cs.status == "pending_approval":
        approve(database, cs.id, actor="alice")
    if cs.status in ("pending_approval", "approved"):
        return apply_change_set(database, m.platform, cs.id, policy=policy, now=now, actor="tester")
    return None


# 1 ------------------------------------------------------------------------------------------------------------
def test_pacer_items_respect_protected_campaigns_from_the_policy_file() -> None:
    policy = GuardrailPolicy(protected_campaigns=("cmp_1",))
    item = ProposedItem(ChangeAction.SET_BID_MULTIPLIER, 1, "1", {"bid_multiplier": 1.2})
    verdict = evaluate([item], ctx(state(), origin="pacer"), policy)
    assert verdict.items[0].decision is Decision.BLOCK and verdict.items[0].rules == ("protected_campaign",)


# 2 ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scope", ["other_campaign", "no_campaign"])
def test_daily_budget_limit_holds_whatever_the_change_set_is_scoped_to(database, mirror, scope) -> None:
    m = mirror
    cid, other = m.campaigns["cmp_1"], m.campaigns["cmp_2"]
    start = m.platform.get_controls("cmp_1").daily_budget_micros
    policy = GuardrailPolicy(cooldown_hours=0)
    now = m.platform.now()
    for step in range(4):
        current = m.platform.get_controls("cmp_1").daily_budget_micros
        item = _item(cid, ChangeAction.SET_BUDGET, {"daily_budget_micros": int(current * 1.2)})
        scoped = other if scope == "other_campaign" else None
        proposal = _set(m, "test-agent", [item], scoped)
        _propose_approve_apply(database, m, proposal, now + timedelta(minutes=step), policy)
    assert m.platform.get_controls("cmp_1").daily_budget_micros <= start * 1.30  # the day limit, not +107 %


# 3 ------------------------------------------------------------------------------------------------------------
def test_hand_made_pacer_sets_are_bounded_per_day(database, mirror) -> None:
    m = mirror
    cid = m.campaigns["cmp_1"]
    now = m.platform.now()
    for step in range(6):
        current = m.platform.get_controls("cmp_1").bid_multiplier
        item = _item(cid, ChangeAction.SET_BID_MULTIPLIER, {"bid_multiplier": round(current * 1.3, 4)})
        _propose_approve_apply(database, m, _set(m, "pacer", [item], cid), now + timedelta(minutes=30 * step))
    assert m.platform.get_controls("cmp_1").bid_multiplier <= 2.0 + 1e-9  # pacing.max_change_pct_per_day = 100


# 4 ------------------------------------------------------------------------------------------------------------
def test_undo_obeys_step_limits_and_the_approval_tier(database, mirror) -> None:
    m = mirror
    cid = m.campaigns["cmp_1"]
    start = m.platform.get_controls("cmp_1").daily_budget_micros
    now = m.platform.now()
    first = None
    for day in range(4):
        current = m.platform.get_controls("cmp_1").daily_budget_micros
        item = _item(cid, ChangeAction.SET_BUDGET, {"daily_budget_micros": int(current * 0.8)})
        cs = propose(
            database, _set(m, "test-agent", [item], cid), policy=POLICY, now=now + timedelta(days=day), read_only=False
        )
        approve(database, cs.id, actor="alice")
        apply_change_set(database, m.platform, cs.id, policy=POLICY, now=now + timedelta(days=day), actor="t")
        first = first or cs.id
    low = m.platform.get_controls("cmp_1").daily_budget_micros
    assert low < start * 0.45
    undo_change_set(database, m.platform, first, actor="bob", policy=POLICY, now=now + timedelta(days=4))
    after = m.platform.get_controls("cmp_1").daily_budget_micros
    assert after <= low * 1.20 + 1  # one step, not back to the day-1 value (+144 %)
    with database.transaction() as s:
        undo_sets = [c for c in ChangeSetRepository(s).list_change_sets(limit=50) if c.origin == "undo"]
        assert len(undo_sets) == 1
        approvals = s.query(Approval).filter(Approval.change_set_id == undo_sets[0].id).all()
        assert [a.actor for a in approvals] == ["bob"]  # a budget change is outside the autonomy tier: approved


# 5 ------------------------------------------------------------------------------------------------------------
def test_an_expired_change_set_is_never_applied_later(database, mirror, monkeypatch) -> None:
    from levers import lever_for

    m = mirror
    cid = m.campaigns["cmp_1"]
    now = m.platform.now()
    items = [
        _item(cid, ChangeAction.SET_BID_MULTIPLIER, {"bid_multiplier": 1.05}),
        _item(cid, ChangeAction.SET_BUDGET, {"daily_budget_micros": 60_000_000}),
    ]
    cs = propose(database, _set(m, "test-agent", items, cid), policy=POLICY, now=now, read_only=False)
    approve(database, cs.id, actor="alice")
    levers = [type(lever_for(ChangeAction.SET_BID_MULTIPLIER)), type(lever_for(ChangeAction.SET_BUDGET))]
    for lever in levers:
        real = lever.write

        def failing_dry_run(self, platform, call, *, key, validate_only, _real=real):
            if validate_only:
                raise AdpilotError("platform said no")
            return _real(self, platform, call, key=key, validate_only=validate_only)

        monkeypatch.setattr(lever, "write", failing_dry_run)
    assert apply_change_set(database, m.platform, cs.id, policy=POLICY, now=now, actor="t").status == "failed"
    monkeypatch.undo()
    writes = len(m.platform.snapshot()["writes"]["records"])
    late = apply_change_set(database, m.platform, cs.id, policy=POLICY, now=now + timedelta(hours=72), actor="t")
    assert late.status in ("failed", "expired") and not late.applied
    assert len(m.platform.snapshot()["writes"]["records"]) == writes
    with database.transaction() as s:
        assert {i.status for i in ChangeSetRepository(s).get(cs.id).items} <= {"failed", "skipped"}


# 6 ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("cooldown_hours: .inf\n", "cooldown_hours"),
        ("cooldown_hours: 1e12\n", "cooldown_hours"),
        ("changeset_ttl_hours: .inf\n", "changeset_ttl_hours"),
        ("overdelivery_factor: .inf\n", "overdelivery_factor"),
        ("cooldown_hours: true\n", "cooldown_hours"),
        ("budget: {max_change_pct_per_step: .nan}\n", "budget.max_change_pct_per_step"),
    ],
)
def test_bad_policy_values_are_refused_at_load_naming_the_key(tmp_path: Path, yaml_text: str, key: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    assert key in caught.value.message and "all mutations blocked" in caught.value.message


# 7 ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headline",
    [
        "ｇｕａｒａｎｔｅｅｄ results",  # fullwidth
        "Guarаnteed fit",  # Cyrillic а
        "Guar\u200banteed fit",  # zero-width space
        "Guar\u00adanteed fit",  # soft hyphen
        "Risk\u2011free trial",  # non-breaking hyphen
        "＃1 trail shoes",  # fullwidth number sign
        "Shoes \u202eeerf",  # right-to-left override
        "Great shoes！！！",  # fullwidth exclamation marks
    ],
)
def test_look_alike_unicode_does_not_pass_the_creative_policy(headline: str) -> None:
    assert creative_violations(headline, "Light trail shoes for long runs.", CreativeRules())


def test_plain_accented_copy_still_passes() -> None:
    rules = CreativeRules()
    assert creative_violations("Café crème, 20% off", "Fresh espresso machines for every kitchen.", rules) == []
