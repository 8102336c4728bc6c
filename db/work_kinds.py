"""Every kind of work item the queue carries, in one place (issue 11: the strings were declared in five).

The queue (``db.work_queue``), the daemon's handlers (``scheduler.jobs``), the webhook triggers and the CLI all name
kinds through :class:`WorkKind`; a handler registered for a string that is not here is a programming error.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["MODEL_BOUND_KINDS", "WorkKind"]


class WorkKind(StrEnum):
    STATS_SYNC = "stats_sync"
    AGENT_CYCLE = "agent_cycle"  # the daily cycle: every specialist
    PACING_REVIEW = "pacing_review"  # budget depleted: the bid & budget optimiser
    CREATIVE_STRATEGIST = "creative_strategist"  # creative disapproved or fatigued
    REVIEWER = "reviewer"  # conversion anomaly, tracking break: an alert for a person, no automatic fix
    APPLY_CHANGE_SET = "apply_change_set"  # the one apply job
    UNDO_CHANGE_SET = "undo_change_set"
    OUTCOME_EVALUATION = "outcome_evaluation"
    MODEL_RETRAIN = "model_retrain"


MODEL_BOUND_KINDS: tuple[WorkKind, ...] = (
    WorkKind.AGENT_CYCLE,
    WorkKind.PACING_REVIEW,
    WorkKind.CREATIVE_STRATEGIST,
    WorkKind.REVIEWER,
)
"""Kinds that may wait on a language model: claimed after everything else that is due."""
