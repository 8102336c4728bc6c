"""A person's direct edit at the CLI (``adpilot campaigns pause|resume|set-budget``) as a change-set.

These commands used to write the store only: no guardrails, no kill switch, no read-only mode, no platform — and
the next sync silently reverted them (issue 11). Now each is one item in a change-set of origin ``cli``: judged by
the guardrail policy (limits clamp it, protection and the kill switch block it), approved by the named person when
the autonomy tier asks for a human, and written by the one apply job like every other change. The store changes when
the platform did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adpilot.errors import GuardrailViolation
from changesets.service import ChangeSetProposal, ItemProposal, approve, propose
from db.campaigns import CampaignRepository
from db.changesets import ChangeSetRepository
from db.database import Database
from db.enums import ChangeAction, ChangeSetStatus
from db.schema import ChangeSet
from guardrails.engine import MANUAL_ORIGIN
from guardrails.policy import GuardrailPolicy

__all__ = ["request_manual_change"]


def request_manual_change(
    database: Database,
    *,
    campaign_id: int,
    action: ChangeAction,
    after: dict[str, Any],
    actor: str,
    policy: GuardrailPolicy,
    now: datetime,
    read_only: bool,
    separation_of_duties: bool = True,
) -> ChangeSet:
    """Propose the edit, have ``actor`` approve it when the tier asks for a person, return the change-set (approved,
    ready for the apply job). Raises :class:`GuardrailViolation` with the policy's reasons when it is blocked."""
    with database.transaction() as session:
        account_id = CampaignRepository(session).get(campaign_id).account_id
    proposal = ChangeSetProposal(
        account_id=account_id,
        campaign_id=campaign_id,
        origin=MANUAL_ORIGIN,
        summary=f"{action.value} requested by {actor}",
        rationale=f"manual edit by {actor} at the CLI",
        items=[
            ItemProposal(
                action=action,
                campaign_id=campaign_id,
                target_id=str(campaign_id),
                after=after,
                rationale=f"requested by {actor}",
            )
        ],
    )
    cs = propose(database, proposal, policy=policy, now=now, read_only=read_only)
    if cs.status == ChangeSetStatus.BLOCKED.value:
        reasons = "; ".join(r for i in cs.items for r in (i.guardrail_verdict or {}).get("reasons", []))
        raise GuardrailViolation(
            f"the guardrail policy blocked this edit (change-set {cs.id}): {reasons}",
            remedy="see `adpilot changesets show " + str(cs.id) + "`; change the policy file deliberately if the "
            "limit is wrong, or wait (day limits reset at midnight UTC)",
        )
    if cs.status == ChangeSetStatus.PENDING_APPROVAL.value:
        approve(
            database, cs.id, actor=actor, comment="manual edit at the CLI", separation_of_duties=separation_of_duties
        )
    with database.transaction() as session:
        found = ChangeSetRepository(session).get(cs.id)
        session.expunge(found)
        return found
