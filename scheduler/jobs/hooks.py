"""Jobs that call other packages' services: change-set apply, outcome evaluation, model retraining.

Each is registered only when its service is importable, and the daemon logs which were left out and why, so a
replica without the models extra does not dead-letter retraining items it could never run.

Expected service entry points (owned by those packages):

- ``changesets.apply_change_set(database, platform, change_set_id, *, policy, now, actor, read_only)`` — handler
  for work items of kind ``apply_change_set`` (payload ``{"change_set_id": int}``); enqueued by approvals.
- ``changesets.evaluate_outcomes(database, *, now) -> dict`` — daily outcome evaluation of applied change-sets.
- ``models.lifecycle.retrain_and_promote(database) -> dict`` — nightly CTR/CVR retraining and promotion.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from db.work_kinds import WorkKind
from db.work_queue import ClaimedItem
from scheduler.registry import JobContext, JobRegistry, ScheduledJob, WorkSpec

__all__ = ["APPLY_KIND", "register"]

APPLY_KIND = WorkKind.APPLY_CHANGE_SET
OUTCOME_KIND = WorkKind.OUTCOME_EVALUATION
RETRAIN_KIND = WorkKind.MODEL_RETRAIN


def _service(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return found if callable(found) else None


def _apply(ctx: JobContext, item: ClaimedItem) -> dict[str, Any]:
    from changesets import apply_change_set
    from guardrails.policy import load_policy

    settings = ctx.settings
    policy = load_policy(settings.guardrail_policy_path if settings else None)
    outcome = apply_change_set(
        ctx.database, ctx.require_platform(), int(item.payload["change_set_id"]), policy=policy,
        now=ctx.clock.now(), actor=f"daemon:{ctx.replica_id}", read_only=bool(settings and settings.read_only),
        faults=ctx.faults,
    )
    return {"status": outcome.status, "applied": outcome.applied, "duplicates": outcome.duplicates,
            "blocked": outcome.blocked, "failed": {str(k): v for k, v in outcome.failed.items()}}


def _daily(kind: str) -> Callable[[JobContext, Session, datetime], list[WorkSpec]]:
    def plan(ctx: JobContext, session: Session, period: datetime) -> list[WorkSpec]:
        return [WorkSpec(kind, dedupe_key=f"{kind}:{period.date().isoformat()}", payload={"at": period.isoformat()})]

    return plan


def register(registry: JobRegistry, log: Any) -> list[str]:
    """Register what is available; returns the names of hooks left out (for the start-up log)."""
    missing: list[str] = []
    if _service("changesets", "apply_change_set") and _service("guardrails.policy", "load_policy"):
        registry.handle(APPLY_KIND, _apply)
    else:
        missing.append("apply_change_set (changesets/guardrails not importable)")
    evaluate = _service("changesets", "evaluate_outcomes")
    if evaluate is not None:
        registry.schedule(ScheduledJob("outcome_evaluation", timedelta(days=1), plan=_daily(OUTCOME_KIND)))
        registry.handle(OUTCOME_KIND, lambda ctx, item: evaluate(ctx.database, now=ctx.clock.now()))
    else:
        missing.append("outcome_evaluation (changesets.evaluate_outcomes not found)")
    retrain = _service("models.lifecycle", "retrain_and_promote")
    if retrain is not None:
        registry.schedule(ScheduledJob("model_retraining", timedelta(days=1), plan=_daily(RETRAIN_KIND)))
        registry.handle(RETRAIN_KIND, lambda ctx, item: retrain(
            ctx.database, training_window_days=ctx.settings.model_training_window_days if ctx.settings else None))
    else:
        missing.append("model_retraining (models.lifecycle.retrain_and_promote not found)")
    for name in missing:
        log.info("optional job not registered", job=name)
    return missing
