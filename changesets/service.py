"""Change-set lifecycle: propose → (blocked | pending_approval | approved) → validated → applied | failed →
rolled_back; stale proposals expire. Every step writes the audit log in the same transaction.

Rules kept here: a proposal is evaluated by the guardrail engine before it is stored, and the numbers stored are the
engine's (clamped) numbers, not the proposer's; approvals name a human actor; nothing here touches a platform
(``changesets.apply`` does, and evaluates the policy again).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from adpilot.errors import InvalidInput
from changesets.context import build_context
from db.audit import AuditRepository
from db.changesets import ChangeSetRepository
from db.database import Database
from db.enums import ApprovalDecision, AuditEvent, ChangeAction, ChangeItemStatus, ChangeSetStatus
from db.schema import Campaign, ChangeItem, ChangeSet, GuardrailPolicySnapshot
from guardrails.engine import Decision, ProposedItem, evaluate
from guardrails.policy import GuardrailPolicy
from levers import TARGET_TYPE, lever_for

__all__ = [
    "ChangeSetProposal",
    "ItemProposal",
    "approve",
    "expire_stale",
    "item_record",
    "preview",
    "propose",
    "reject",
    "snapshot_policy",
]


class ItemProposal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: ChangeAction
    campaign_id: int
    target_id: str
    after: dict[str, Any]
    rationale: str = ""
    predicted_effect: dict[str, Any] = Field(default_factory=dict)


class ChangeSetProposal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    account_id: int
    campaign_id: int | None = None
    origin: str = Field(min_length=1, max_length=64)
    summary: str = ""
    rationale: str = ""
    predicted_effect: dict[str, Any] = Field(default_factory=dict)
    items: list[ItemProposal] = Field(min_length=1)
    agent_run_id: int | None = None
    flags: list[str] = Field(default_factory=list)


def snapshot_policy(session: Session, policy: GuardrailPolicy, source: str | None) -> str:
    """Store the policy by content hash (once) so every verdict names the exact rules it was judged by."""
    sha = policy.sha256
    session.execute(
        insert(GuardrailPolicySnapshot)
        .values(sha256=sha, source_path=source, policy=policy.as_json())
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    return sha


def propose(
    database: Database,
    proposal: ChangeSetProposal,
    *,
    policy: GuardrailPolicy,
    now: datetime,
    read_only: bool,
    policy_source: str | None = None,
    undo: bool = False,
) -> ChangeSet:
    """Evaluate and store a change-set. Returns it with status blocked, pending_approval or approved."""
    with database.transaction() as session:
        return _propose(
            session, proposal, policy=policy, now=now, read_only=read_only, policy_source=policy_source, undo=undo
        )


def preview(
    database: Database, proposal: ChangeSetProposal, *, policy: GuardrailPolicy, now: datetime, read_only: bool
) -> dict[str, Any]:
    """What :func:`propose` would store, as plain data, with nothing written (a dry run)."""
    with database.scratch() as session:
        cs = _propose(session, proposal, policy=policy, now=now, read_only=read_only, policy_source=None, undo=False)
        return {
            "id": None,
            "status": cs.status,
            "summary": cs.summary,
            "rationale": cs.rationale,
            "items": [{**item_record(i), "id": None} for i in cs.items],
        }


def item_record(item: ChangeItem) -> dict[str, Any]:
    """One change item as plain data (CLI output, dry-run previews, reports)."""
    return {
        "id": item.id,
        "seq": item.seq,
        "action": item.action,
        "campaign_id": item.campaign_id,
        "target_type": item.target_type,
        "target_id": item.target_id,
        "before": item.before,
        "after": item.after,
        "status": item.status,
        "rationale": item.rationale,
        "predicted_effect": item.predicted_effect,
        "guardrail_verdict": item.guardrail_verdict,
        "error": item.error,
    }


def _propose(
    session: Session,
    proposal: ChangeSetProposal,
    *,
    policy: GuardrailPolicy,
    now: datetime,
    read_only: bool,
    policy_source: str | None,
    undo: bool,
) -> ChangeSet:
    campaigns = {c: session.get(Campaign, c) for c in {i.campaign_id for i in proposal.items}}
    for cid, campaign in campaigns.items():
        if campaign is None or campaign.account_id != proposal.account_id:
            raise InvalidInput(f"campaign {cid} is not in account {proposal.account_id}")
    context = build_context(
        session,
        account_id=proposal.account_id,
        campaign_ids=campaigns,
        now=now,
        policy=policy,
        read_only=read_only,
        undo=undo,
        origin=proposal.origin,
    )
    engine_items = [ProposedItem(i.action, i.campaign_id, i.target_id, i.after) for i in proposal.items]
    verdict = evaluate(engine_items, context, policy)
    rows = []
    for item, v in zip(proposal.items, verdict.items, strict=True):
        campaign = campaigns[item.campaign_id]
        assert campaign is not None
        rows.append(
            {
                "campaign_id": item.campaign_id,
                "action": item.action.value,
                "target_type": TARGET_TYPE[item.action],
                "target_id": item.target_id,
                "before": lever_for(item.action).read_before(session, campaign, item.target_id, dict(v.after)),
                "after": dict(v.after),
                "rationale": item.rationale,
                "predicted_effect": item.predicted_effect,
                "guardrail_verdict": {**v.as_json(), "requested": item.after},
                "status": (
                    ChangeItemStatus.BLOCKED if v.decision is Decision.BLOCK else ChangeItemStatus.PROPOSED
                ).value,
                "idempotency_key": f"adpilot-{uuid.uuid4().hex}",
            }
        )
    repo = ChangeSetRepository(session)
    cs = repo.create(
        account_id=proposal.account_id,
        campaign_id=proposal.campaign_id,
        origin=proposal.origin,
        expires_at=now + timedelta(hours=policy.changeset_ttl_hours),
        items=rows,
        summary=proposal.summary,
        rationale=proposal.rationale,
        predicted_effect=proposal.predicted_effect,
        agent_run_id=proposal.agent_run_id,
        created_at=now,
    )
    cs.flags = list(proposal.flags)
    cs.policy_sha256 = snapshot_policy(session, policy, policy_source)
    audit = AuditRepository(session)
    audit.append(
        AuditEvent.PROPOSED,
        actor=proposal.origin,
        change_set_id=cs.id,
        campaign_id=proposal.campaign_id,
        message=proposal.summary,
        details={
            "rationale": proposal.rationale,
            "predicted_effect": proposal.predicted_effect,
            "items": len(rows),
        },
    )
    repo.transition(cs, ChangeSetStatus(verdict.status), at=now)
    audit.append(
        AuditEvent.VERDICT,
        actor="guardrails",
        change_set_id=cs.id,
        campaign_id=proposal.campaign_id,
        message=verdict.status,
        details={"policy_sha256": verdict.policy_sha256, "items": [v.as_json() for v in verdict.items]},
    )
    return cs


def _decide(
    database: Database,
    change_set_id: int,
    *,
    actor: str,
    comment: str | None,
    approve_it: bool,
    separation_of_duties: bool,
) -> ChangeSet:
    actor = actor.strip()
    if not actor:
        raise InvalidInput("an approval needs the name of the person deciding", remedy="pass --actor NAME")
    with database.transaction() as session:
        repo = ChangeSetRepository(session)
        cs = repo.get(change_set_id, for_update=True)
        if approve_it and separation_of_duties and actor.casefold() == cs.origin.strip().casefold():
            raise InvalidInput(
                f"{actor!r} proposed change-set {change_set_id} and cannot also approve it (separation of duties)",
                remedy="ask another person to approve it, or reject it; ADPILOT_APPROVAL_SEPARATION_OF_DUTIES=false "
                "turns the rule off",
            )
        to = ChangeSetStatus.APPROVED if approve_it else ChangeSetStatus.REJECTED
        repo.transition(cs, to)
        decision = ApprovalDecision.APPROVED if approve_it else ApprovalDecision.REJECTED
        repo.record_approval(cs, actor=actor, decision=decision.value, comment=comment)
        AuditRepository(session).append(
            AuditEvent.APPROVED if approve_it else AuditEvent.REJECTED,
            actor=actor,
            change_set_id=cs.id,
            campaign_id=cs.campaign_id,
            message=comment or "",
        )
        return cs


def approve(
    database: Database,
    change_set_id: int,
    *,
    actor: str,
    comment: str | None = None,
    separation_of_duties: bool = True,
) -> ChangeSet:
    """Record a named person's approval. With ``separation_of_duties`` (the default) the set's origin cannot
    approve it: whoever proposes a change is not the one who lets it through."""
    return _decide(
        database,
        change_set_id,
        actor=actor,
        comment=comment,
        approve_it=True,
        separation_of_duties=separation_of_duties,
    )


def reject(database: Database, change_set_id: int, *, actor: str, comment: str | None = None) -> ChangeSet:
    return _decide(
        database, change_set_id, actor=actor, comment=comment, approve_it=False, separation_of_duties=False
    )


def expire_stale(database: Database, *, now: datetime) -> list[int]:
    """Expire undecided or unapplied change-sets past ``expires_at``; returns their ids."""
    with database.transaction() as session:
        repo = ChangeSetRepository(session)
        expired = []
        for cs in repo.stale(now):
            repo.transition(cs, ChangeSetStatus.EXPIRED, at=now)
            AuditRepository(session).append(
                AuditEvent.EXPIRED, actor="scheduler", change_set_id=cs.id, campaign_id=cs.campaign_id
            )
            expired.append(cs.id)
        return expired
