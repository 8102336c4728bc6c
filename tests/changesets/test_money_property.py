"""Issue 11, "Done when": a hypothesis property over random sequences of proposals, applies, undos and pacer
ticks — mixed campaigns, change-set scopes (own campaign, another one, none) and origins (agents, the pacer, a person
at the CLI, an undo) — on real Postgres and the real sandbox platform. Whatever the sequence:

* no campaign's daily budget moves more than the policy's per-day limit from its value at the start of the day,
  nor more than the per-step limit in one change;
* no bid multiplier leaves the pacer's absolute range or moves more than the looser of the bid and pacing per-day
  limits (agents and the pacer share one day-start value);
* a protected campaign (named in the policy file) never moves at all.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adpilot.errors import AdpilotError
from changesets import ChangeSetProposal, ItemProposal, apply_change_set, approve, propose, undo_change_set
from db.database import Database
from db.enums import ChangeAction
from guardrails.policy import GuardrailPolicy
from tests.changesets.conftest import Mirror, build_mirror
from tests.conftest import empty

POLICY = GuardrailPolicy(protected_campaigns=("cmp_2",), cooldown_hours=0)
CAMPAIGNS = ("cmp_1", "cmp_2")

propose_op = st.tuples(
    st.just("propose"),
    st.sampled_from(("budget", "bid")),
    st.sampled_from(CAMPAIGNS),
    st.sampled_from(("own", "other", "none")),
    st.sampled_from(("agents", "pacer", "cli", "test-agent")),
    st.floats(0.2, 4.0),
)
undo_op = st.tuples(st.just("undo"), st.integers(0, 50))
wait_op = st.tuples(st.just("wait"), st.integers(1, 900))
operations = st.lists(st.one_of(propose_op, propose_op, undo_op, wait_op), min_size=4, max_size=16)


class Tape:
    """Every value each campaign's budget and bid took, with the time it took it, read from the platform."""

    def __init__(self, m: Mirror, now: datetime) -> None:
        self.m, self.history = m, defaultdict(list)
        self.record(now)

    def record(self, now: datetime) -> None:
        for ext in CAMPAIGNS:
            controls = self.m.platform.get_controls(ext)
            for lever, value in (("budget", controls.daily_budget_micros), ("bid", controls.bid_multiplier)):
                series = self.history[(ext, lever)]
                if not series or series[-1][1] != value:
                    series.append((now, value))

    def check(self) -> None:
        for (ext, lever), series in self.history.items():
            if ext == "cmp_2":
                assert len(series) == 1, f"protected campaign {ext} moved its {lever}: {series}"
                continue
            day_pct = (
                POLICY.budget.max_change_pct_per_day
                if lever == "budget"
                else max(POLICY.bid.max_change_pct_per_day, POLICY.pacing.max_change_pct_per_day)
            )
            step_pct = (
                POLICY.budget.max_change_pct_per_step
                if lever == "budget"
                else max(POLICY.bid.max_change_pct_per_step, POLICY.pacing.max_step_pct)
            )
            start_of_day: dict[object, float] = {}
            previous = series[0][1]
            for when, value in series:
                day_start = start_of_day.setdefault(when.date(), previous)
                assert abs(value - day_start) <= day_start * day_pct / 100 + 1e-4, (ext, lever, series)
                assert abs(value - previous) <= previous * step_pct / 100 + 1e-4, (ext, lever, series)
                if lever == "bid":
                    assert POLICY.pacing.min_multiplier - 1e-9 <= value <= POLICY.pacing.max_multiplier + 1e-9
                previous = value


def _proposal(m: Mirror, lever: str, ext: str, scope: str, origin: str, factor: float) -> ChangeSetProposal:
    cid = m.campaigns[ext]
    controls = m.platform.get_controls(ext)
    if lever == "budget":
        item = ItemProposal(
            action=ChangeAction.SET_BUDGET,
            campaign_id=cid,
            target_id=str(cid),
            after={"daily_budget_micros": int(controls.daily_budget_micros * factor)},
        )
    else:
        item = ItemProposal(
            action=ChangeAction.SET_BID_MULTIPLIER,
            campaign_id=cid,
            target_id=str(cid),
            after={"bid_multiplier": round(controls.bid_multiplier * factor, 4)},
        )
    other = m.campaigns[CAMPAIGNS[1 - CAMPAIGNS.index(ext)]]
    scoped = {"own": cid, "other": other, "none": None}[scope]
    return ChangeSetProposal(account_id=m.account_id, campaign_id=scoped, origin=origin, items=[item])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_no_sequence_moves_money_past_the_policy(session_database: Database, ops: list[tuple]) -> None:
    database = empty(session_database)
    m = build_mirror(database)
    now = m.platform.now()
    tape, applied = Tape(m, now), []
    for op in ops:
        if op[0] == "wait":
            now += timedelta(minutes=op[1])
            continue
        try:
            if op[0] == "propose":
                cs = propose(database, _proposal(m, *op[1:]), policy=POLICY, now=now, read_only=False)
                if cs.status == "pending_approval":
                    approve(database, cs.id, actor="alice")
                if cs.status in ("pending_approval", "approved"):
                    outcome = apply_change_set(database, m.platform, cs.id, policy=POLICY, now=now, actor="prop")
                    if outcome.applied:
                        applied.append(cs.id)
            elif applied:
                undo_change_set(
                    database, m.platform, applied[op[1] % len(applied)], actor="bob", policy=POLICY, now=now
                )
        except AdpilotError:
            pass  # refused (blocked, nothing to undo, already undone …): refusing is always allowed
        tape.record(now)
    tape.check()
