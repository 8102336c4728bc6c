"""The ``rules`` baseline as a daemon plugin: ``adpilot daemon run --plugin rules.job:register``.

Every hour (the daemon clock's time), per active campaign of the store on the daemon's platform: read the facts from
the store (``rules.facts``), evaluate the rule set (``rules.ruleset``) and propose one change-set per fired rule
(origin ``rules``, flagged ``rule:<name>``) through ``changesets.propose``, so the guardrails judge it like any
other proposal. A set the guardrails auto-approved is queued for the one apply job (``WorkQueue.enqueue_apply``);
one that waits for approval waits for a person, as an agent's would.

Why ``run`` (inline) and not ``plan`` (a work item): the job is cheap and its effect is idempotent per day, so a lost
period costs nothing. A crash mid-run is made up by the next hour: it re-reads the same settled facts, skips rules
whose change-sets are already in the store, and re-queues the apply of any approved rule set whose queueing was
lost (``enqueue_apply`` is deduplicated per change-set). A work item would also need a new work kind in the
closed ``db.work_kinds`` vocabulary for no gain.

Deterministic: campaigns by store id, rules in precedence order, everything judged on settled days read from the
store, and the period (never wall time) as "now". The same store gives the same proposals in the same order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from changesets import ChangeSetProposal, ItemProposal, propose
from db.database import Database
from db.enums import ChangeSetStatus
from db.rule_facts import RULE_FLAG_PREFIX, RuleFactsRepository
from db.sync import SyncRepository
from db.work_queue import WorkQueue
from guardrails.policy import GuardrailPolicy, load_policy
from levers import lever_for
from rules.facts import DAY, read_facts
from rules.ruleset import RuleAction, Thresholds, evaluate
from scheduler.clock import floor_period
from scheduler.registry import JobContext, JobRegistry, ScheduledJob

__all__ = ["JOB_NAME", "ORIGIN", "PERIOD", "register", "run_rules"]

JOB_NAME = "rules"
ORIGIN = "rules"
PERIOD = timedelta(hours=1)


def _proposal(account_id: int, campaign_id: int, action: RuleAction) -> ChangeSetProposal:
    return ChangeSetProposal(
        account_id=account_id,
        campaign_id=campaign_id,
        origin=ORIGIN,
        summary=f"rule {action.rule}: {lever_for(action.action).describe(action.after)}",
        rationale=action.rationale,
        flags=[f"{RULE_FLAG_PREFIX}{action.rule}"],
        items=[
            ItemProposal(
                action=action.action,
                campaign_id=campaign_id,
                target_id=action.target_id,
                after=action.after,
                rationale=action.rationale,
            )
        ],
    )


def _queue_apply(database: Database, change_set_id: int, campaign_id: int, account_id: int) -> bool:
    with database.transaction() as session:
        queued = WorkQueue(session).enqueue_apply(
            change_set_id, campaign_id=campaign_id, account_id=account_id, trigger=ORIGIN
        )
    return queued is not None


def _campaign(
    ctx: JobContext, campaign_id: int, account_id: int, period: datetime, policy: GuardrailPolicy, read_only: bool
) -> tuple[int, int]:
    """Evaluate one campaign; returns (change-sets proposed, applies queued)."""
    since = min(floor_period(period, DAY), period - timedelta(hours=policy.changeset_ttl_hours))
    with ctx.database.transaction() as session:
        firings = RuleFactsRepository(session).firings(campaign_id, origin=ORIGIN, since=since, until=period + DAY)
        facts = read_facts(session, campaign_id, period, firings, Thresholds())
    queued = sum(  # approved earlier but its queueing was lost (a crash between propose and enqueue)
        _queue_apply(ctx.database, f.change_set_id, campaign_id, account_id)
        for f in firings
        if f.status == ChangeSetStatus.APPROVED.value
    )
    actions = evaluate(facts)
    for action in actions:
        cs = propose(
            ctx.database, _proposal(account_id, campaign_id, action), policy=policy, now=period, read_only=read_only
        )
        if cs.status == ChangeSetStatus.APPROVED.value:
            queued += _queue_apply(ctx.database, cs.id, campaign_id, account_id)
    return len(actions), queued


def run_rules(ctx: JobContext, period: datetime) -> str:
    """One hourly evaluation of every active campaign on the daemon's platform."""
    if ctx.platform is None:
        return "no platform: no rules to run"
    settings = ctx.settings
    policy = load_policy(settings.guardrail_policy_path if settings else None)
    read_only = bool(settings and settings.read_only)
    served = {a.id for a in ctx.platform.list_accounts()}  # a store may hold accounts of other platforms
    with ctx.database.transaction() as session:
        campaigns = [c for c in SyncRepository(session).campaigns(active_only=True) if c.account_external_id in served]
    proposed = queued = 0
    for c in campaigns:
        p, q = _campaign(ctx, c.id, c.account_id, period, policy, read_only)
        proposed, queued = proposed + p, queued + q
    return f"rules: {len(campaigns)} campaigns, {proposed} change-sets proposed, {queued} applies queued"


def register(registry: JobRegistry) -> None:
    registry.schedule(
        ScheduledJob(
            JOB_NAME,
            PERIOD,
            run=run_rules,
            catch_up=1,
            description="the `rules` baseline: documented if-then rules proposing change-sets hourly",
        )
    )
