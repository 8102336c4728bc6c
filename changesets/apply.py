"""Apply an approved change-set to the platform — the only path by which adpilot mutates an ad account.

Protocol (exactly-once at the effect, ARCHITECTURE.md decision 3):

1. In one transaction: lock the change-set, refuse if the kill switch or read-only mode is on, evaluate the
   guardrail policy again on fresh state (an item whose allowed number moved since approval is blocked, not
   silently changed), dry-run every live item with ``validate_only`` → ``validated``.
2. Per item: commit an *intent* (item ``pending``), then call the platform with the item's idempotency key, then in
   a second transaction mirror the result into the store, store the inverse and mark the item ``applied``.
3. A crash between the platform write and the ledger commit leaves the item ``pending``; the next apply re-issues
   the same write with the same key, which the platform answers as a duplicate (no second mutation) with the
   original before/after — and the ledger is completed from that.

The kill switch is re-read before every platform write, so engaging it stops an apply between items.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from adpilot.errors import AdpilotError, GuardrailViolation, KillSwitchEngaged
from changesets.actions import inverse_of, write_to_platform, write_to_store
from changesets.context import build_context
from db.audit import AuditRepository
from db.changesets import ALLOWED_TRANSITIONS, ChangeSetRepository
from db.database import Database
from db.enums import AuditEvent, ChangeAction, ChangeItemStatus, ChangeSetStatus
from db.kill_switch import KillSwitchRepository
from db.schema import Campaign, ChangeItem, ChangeSet
from guardrails.engine import Decision, ProposedItem, evaluate
from guardrails.policy import GuardrailPolicy
from platforms.base import AdPlatform, WriteResult

__all__ = ["ApplyOutcome", "apply_change_set"]

FINAL = {
    ChangeSetStatus.EXPIRED,
    ChangeSetStatus.REJECTED,
    ChangeSetStatus.BLOCKED,
    ChangeSetStatus.APPLIED,
    ChangeSetStatus.ROLLED_BACK,
}
LIVE = {ChangeItemStatus.PROPOSED.value, ChangeItemStatus.VALIDATED.value, ChangeItemStatus.PENDING.value}


@dataclass
class ApplyOutcome:
    change_set_id: int
    status: str
    applied: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    blocked: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


# Test hook: called with a stage name ("after_intent", "after_platform_write") so crash tests can kill the
# process at exact points. Production code leaves it None.
CrashHook = Callable[[str, ChangeItem], None]


def _refuse_if_stopped(database: Database, read_only: bool) -> None:
    if read_only:
        raise KillSwitchEngaged("read-only mode is on: no change is applied", remedy="unset ADPILOT_READ_ONLY")
    with database.transaction() as session:
        if KillSwitchRepository(session).engaged():
            raise KillSwitchEngaged("the kill switch is engaged: no change is applied")


def _prepare(
    database: Database,
    platform: AdPlatform,
    cs_id: int,
    *,
    policy: GuardrailPolicy,
    now: datetime,
    actor: str,
    outcome: ApplyOutcome,
    undo: bool,
) -> list[int]:
    """Step 1: re-check the policy, dry-run, mark validated. Returns the ids of the items to write."""
    with database.transaction() as session:
        repo, audit = ChangeSetRepository(session), AuditRepository(session)
        cs = repo.get(cs_id, for_update=True)
        status = ChangeSetStatus(cs.status)
        if status in FINAL:  # settled meanwhile (expired, rejected, blocked, applied …): nothing to do, not an error
            outcome.status = status.value
            return []
        if status not in (ChangeSetStatus.APPROVED, ChangeSetStatus.VALIDATED, ChangeSetStatus.FAILED):
            raise GuardrailViolation(
                f"change-set {cs_id} is {status.value}; only approved change-sets are applied",
                remedy="approve it first with `adpilot changesets approve ID --actor NAME`",
            )
        live = [i for i in cs.items if i.status in LIVE]
        pending = [i for i in live if i.status == ChangeItemStatus.PENDING.value]
        fresh = [i for i in live if i.status != ChangeItemStatus.PENDING.value]
        if now >= cs.expires_at:
            # Past its TTL nothing new is written, whatever the status (issue 11: a failed set was re-applied 72 h
            # later). Intents already sent to the platform (pending) are still completed: they may have happened.
            for item in fresh:
                repo.set_item_status(item, ChangeItemStatus.SKIPPED, error=f"expired at {cs.expires_at.isoformat()}")
            audit.append(AuditEvent.EXPIRED, actor=actor, change_set_id=cs.id, campaign_id=cs.campaign_id,
                         details={"skipped": [i.id for i in fresh], "completing": [i.id for i in pending]})
            if not pending:
                # a partly applied set stays undoable (failed); an untouched one is expired
                partly = any(i.status == ChangeItemStatus.APPLIED.value for i in cs.items)
                final = ChangeSetStatus.FAILED if partly else ChangeSetStatus.EXPIRED
                if final is not status and final in ALLOWED_TRANSITIONS[status]:
                    repo.transition(cs, final)
                outcome.status = ChangeSetStatus(cs.status).value
                return []
            fresh = []
        context = build_context(
            session,
            account_id=cs.account_id,
            campaign_ids={i.campaign_id for i in live},
            now=now,
            policy=policy,
            read_only=False,
            undo=undo,
            origin=cs.origin,
        )
        verdict = evaluate(
            [ProposedItem(ChangeAction(i.action), i.campaign_id, i.target_id, i.after) for i in fresh], context, policy
        )
        to_write = [i.id for i in pending]  # intents from a crashed run are completed, not re-judged
        for item, v in zip(fresh, verdict.items, strict=True):
            if v.decision is Decision.BLOCK or dict(v.after) != dict(item.after):
                reason = "; ".join(v.reasons) or "the allowed value changed since approval"
                repo.set_item_status(item, ChangeItemStatus.BLOCKED, error=f"at apply time: {reason}")
                outcome.blocked.append(item.id)
                continue
            try:
                result = write_to_platform(session, platform, item, _campaign(session, item), validate_only=True)
            except AdpilotError as exc:
                repo.set_item_status(item, ChangeItemStatus.FAILED, error=f"dry run: {exc.message}")
                outcome.failed[item.id] = exc.message
                continue
            repo.set_item_status(item, ChangeItemStatus.VALIDATED)
            audit.append(
                AuditEvent.DRY_RUN,
                actor=actor,
                change_set_id=cs.id,
                change_item_id=item.id,
                campaign_id=item.campaign_id,
                details={"before": result.before, "after": result.after},
            )
            to_write.append(item.id)
        if outcome.failed or not to_write:
            final = ChangeSetStatus.FAILED if outcome.failed else ChangeSetStatus.BLOCKED
            repo.transition(cs, final)
            audit.append(
                AuditEvent.FAILED if outcome.failed else AuditEvent.VERDICT,
                actor=actor,
                change_set_id=cs.id,
                campaign_id=cs.campaign_id,
                message="nothing applied",
                details={"failed": outcome.failed, "blocked": outcome.blocked},
            )
            outcome.status = final.value
            return []
        if status is not ChangeSetStatus.VALIDATED:
            repo.transition(cs, ChangeSetStatus.VALIDATED)
        return to_write


def _campaign(session: Session, item: ChangeItem) -> Campaign:
    campaign = session.get(Campaign, item.campaign_id)
    assert campaign is not None
    return campaign


def _write_one(
    database: Database,
    platform: AdPlatform,
    item_id: int,
    *,
    actor: str,
    outcome: ApplyOutcome,
    crash_hook: CrashHook | None,
    now: datetime,
) -> bool:
    with database.transaction() as session:  # intent
        item = session.get(ChangeItem, item_id)
        assert item is not None
        if item.status == ChangeItemStatus.APPLIED.value:
            return True
        if KillSwitchRepository(session).engaged():
            raise KillSwitchEngaged(f"the kill switch was engaged during apply; item {item_id} not written")
        ChangeSetRepository(session).set_item_status(item, ChangeItemStatus.PENDING)
    if crash_hook:
        crash_hook("after_intent", item)
    try:
        with database.transaction() as session:
            item = session.get(ChangeItem, item_id)
            assert item is not None
            result: WriteResult = write_to_platform(
                session, platform, item, _campaign(session, item), validate_only=False
            )
    except AdpilotError as exc:
        with database.transaction() as session:
            item = session.get(ChangeItem, item_id)
            assert item is not None
            ChangeSetRepository(session).set_item_status(item, ChangeItemStatus.FAILED, error=exc.message)
            AuditRepository(session).append(
                AuditEvent.FAILED,
                actor=actor,
                change_set_id=item.change_set_id,
                change_item_id=item.id,
                campaign_id=item.campaign_id,
                message=exc.message,
            )
        outcome.failed[item_id] = exc.message
        return False
    if crash_hook:
        crash_hook("after_platform_write", item)
    with database.transaction() as session:  # ledger
        item = session.get(ChangeItem, item_id)
        assert item is not None
        facts = write_to_store(session, item, _campaign(session, item), result)
        item.inverse = inverse_of(item, facts)
        ChangeSetRepository(session).set_item_status(item, ChangeItemStatus.APPLIED, at=now)
        AuditRepository(session).append(
            AuditEvent.APPLIED,
            actor=actor,
            change_set_id=item.change_set_id,
            change_item_id=item.id,
            campaign_id=item.campaign_id,
            message=f"{item.action} {item.target_type} {item.target_id}",
            details={
                "platform_status": result.status.value,
                "before": item.before,
                "after": item.after,
                "platform_before": result.before,
                "platform_after": result.after,
                **facts,
            },
        )
    (outcome.duplicates if result.status.value == "duplicate" else outcome.applied).append(item_id)
    return True


def apply_change_set(
    database: Database,
    platform: AdPlatform,
    change_set_id: int,
    *,
    policy: GuardrailPolicy,
    now: datetime,
    actor: str,
    read_only: bool = False,
    undo: bool = False,
    crash_hook: CrashHook | None = None,
) -> ApplyOutcome:
    """Apply (or finish applying) one approved change-set. Safe to call again after a crash."""
    _refuse_if_stopped(database, read_only)
    outcome = ApplyOutcome(change_set_id, status="")
    to_write = _prepare(
        database, platform, change_set_id, policy=policy, now=now, actor=actor, outcome=outcome, undo=undo
    )
    for item_id in to_write:
        if not _write_one(database, platform, item_id, actor=actor, outcome=outcome, crash_hook=crash_hook, now=now):
            break
    if not to_write:
        return outcome
    with database.transaction() as session:
        repo = ChangeSetRepository(session)
        cs: ChangeSet = repo.get(change_set_id, for_update=True)
        final = ChangeSetStatus.FAILED if outcome.failed else ChangeSetStatus.APPLIED
        repo.transition(cs, final, at=now)
        outcome.status = final.value
    return outcome
