"""Change-sets: the only way adpilot changes an ad account. Proposed (by agents or people), judged by the guardrail
policy, approved (automatically within the autonomy tier, otherwise by a named human), dry-run, applied with
idempotency keys, and undoable from their stored inverses. Everything is written to the append-only audit log."""

from changesets.apply import ApplyOutcome, apply_change_set
from changesets.outcomes import evaluate_outcomes
from changesets.service import ChangeSetProposal, ItemProposal, approve, expire_stale, propose, reject
from changesets.undo import undo_change_set

__all__ = [
    "ApplyOutcome",
    "ChangeSetProposal",
    "ItemProposal",
    "apply_change_set",
    "approve",
    "evaluate_outcomes",
    "expire_stale",
    "propose",
    "reject",
    "undo_change_set",
]
