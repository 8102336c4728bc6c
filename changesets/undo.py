"""Undo an applied change-set: a new change-set made of the stored inverse items (newest first), judged by the
guardrails in undo mode (no step limits or cooldowns — restoring a recorded value is the safe direction — but the
kill switch, read-only mode, protection and the account ceiling still hold), approved by the human who asked,
applied through the normal apply path, and the original marked ``rolled_back``."""

from __future__ import annotations

from datetime import datetime

from adpilot.errors import GuardrailViolation, InvalidInput
from changesets.apply import ApplyOutcome, apply_change_set
from changesets.service import ChangeSetProposal, ItemProposal, approve, propose
from db.audit import AuditRepository
from db.changesets import ChangeSetRepository
from db.database import Database
from db.enums import AuditEvent, ChangeAction, ChangeItemStatus, ChangeSetStatus
from guardrails.policy import GuardrailPolicy
from platforms.base import AdPlatform

__all__ = ["undo_change_set"]


def undo_change_set(
    database: Database,
    platform: AdPlatform,
    change_set_id: int,
    *,
    actor: str,
    policy: GuardrailPolicy,
    now: datetime,
    read_only: bool = False,
) -> ApplyOutcome:
    with database.transaction() as session:
        original = ChangeSetRepository(session).get(change_set_id)
        if original.status not in (ChangeSetStatus.APPLIED.value, ChangeSetStatus.FAILED.value):
            raise InvalidInput(
                f"change-set {change_set_id} is {original.status}; only applied change-sets can be undone"
            )
        applied = [i for i in original.items if i.status == ChangeItemStatus.APPLIED.value and i.inverse]
        if not applied:
            raise InvalidInput(f"change-set {change_set_id} has no applied item to undo")
        inverse_items = [
            ItemProposal(
                action=ChangeAction(inverse["action"]),
                campaign_id=i.campaign_id,
                target_id=str(inverse["target_id"]),
                after=dict(inverse["after"]),
                rationale=f"undo of change-set {change_set_id} item {i.seq}",
            )
            for i in sorted(applied, key=lambda i: i.seq, reverse=True)
            if (inverse := i.inverse) is not None
        ]
        account_id, campaign_id = original.account_id, original.campaign_id
    proposal = ChangeSetProposal(
        account_id=account_id,
        campaign_id=campaign_id,
        origin="undo",
        items=inverse_items,
        summary=f"undo change-set {change_set_id}",
        rationale=f"requested by {actor}",
    )
    undo_cs = propose(database, proposal, policy=policy, now=now, read_only=read_only, undo=True)
    if undo_cs.status == ChangeSetStatus.BLOCKED.value:
        reasons = [str(i.guardrail_verdict) for i in undo_cs.items]
        raise GuardrailViolation(f"undo of change-set {change_set_id} was blocked: {'; '.join(reasons)}")
    if undo_cs.status == ChangeSetStatus.PENDING_APPROVAL.value:
        approve(database, undo_cs.id, actor=actor, comment=f"undo of change-set {change_set_id}")
    outcome = apply_change_set(
        database, platform, undo_cs.id, policy=policy, now=now, actor=actor, read_only=read_only, undo=True
    )
    if outcome.status == ChangeSetStatus.APPLIED.value:
        with database.transaction() as session:
            repo = ChangeSetRepository(session)
            original = repo.get(change_set_id, for_update=True)
            for item in original.items:
                if item.status == ChangeItemStatus.APPLIED.value:
                    repo.set_item_status(item, ChangeItemStatus.ROLLED_BACK)
            repo.transition(original, ChangeSetStatus.ROLLED_BACK)
            AuditRepository(session).append(
                AuditEvent.ROLLED_BACK,
                actor=actor,
                change_set_id=change_set_id,
                campaign_id=campaign_id,
                details={"undo_change_set_id": undo_cs.id},
            )
    return outcome
