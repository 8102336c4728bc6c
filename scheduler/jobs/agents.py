"""Handlers that run the agents: the daily ``agent_cycle`` and the webhook/anomaly-triggered kinds
(``pacing_review``, ``creative_strategist``, ``reviewer``), plus ``undo_change_set`` queued by the CLI.

Each kind does what its trigger says (``webhooks.triggers``), with the trigger as (untrusted) context:

* ``agent_cycle`` (daily): every specialist;
* ``pacing_review`` (budget depleted): the bid & budget optimiser only;
* ``creative_strategist`` (creative disapproved or fatigued): the creative strategist only;
* ``reviewer`` (conversion anomalies, tracking breaks): **no automatic fix** — an alert for a person, no change-set.

A change-set the guardrails approved for auto-apply is queued for the apply job right away; anything else waits for
a human, and expires (hourly job) when nobody decides before ``expires_at``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from agents.llm.base import LLMBackend
from agents.llm.factory import make_backend
from agents.runner import run_cycle
from changesets import expire_stale, undo_change_set
from db.coordination import AlertRepository
from db.work_kinds import MODEL_BOUND_KINDS, WorkKind
from db.work_queue import ClaimedItem, WorkQueue
from guardrails.policy import load_policy
from scheduler.registry import JobContext, JobRegistry, ScheduledJob

__all__ = ["AGENT_KINDS", "UNDO_KIND", "register"]

AGENT_KINDS = MODEL_BOUND_KINDS
UNDO_KIND = WorkKind.UNDO_CHANGE_SET
SPECIALISTS_OF_KIND: dict[str, tuple[str, ...] | None] = {
    WorkKind.AGENT_CYCLE: None,  # all
    WorkKind.PACING_REVIEW: ("bid_optimiser",),
    WorkKind.CREATIVE_STRATEGIST: ("creative_strategist",),
}


def _llm(ctx: JobContext) -> LLMBackend | None:
    """One backend per daemon (the embedded model loads once), built lazily from the settings."""
    if "llm" not in ctx.options:
        ctx.options["llm"] = make_backend(ctx.settings) if ctx.settings is not None else None
    backend: LLMBackend | None = ctx.options["llm"]
    return backend


def _cycle(ctx: JobContext, item: ClaimedItem) -> dict[str, Any]:
    if item.campaign_id is None:
        return {"skipped": "the event names no campaign known to the store"}
    settings = ctx.settings
    if settings is not None and not settings.agents_enabled:
        return {"skipped": "agents disabled (ADPILOT_AGENTS_ENABLED=false)"}
    policy = load_policy(settings.guardrail_policy_path if settings else None)
    trigger = item.kind if item.kind == WorkKind.AGENT_CYCLE else f"{item.kind}: {item.payload.get('reason', '')}"
    result = run_cycle(
        ctx.database,
        item.campaign_id,
        now=ctx.clock.now(),
        llm=_llm(ctx),
        policy=policy,
        read_only=bool(settings and settings.read_only),
        run_id=item.id,
        trigger=trigger,
        seed=item.id,
        max_tokens=settings.llm_max_tokens if settings else 256,
        specialists=SPECIALISTS_OF_KIND[item.kind],
    )
    if result.change_set_id is not None and result.change_set_status == "approved":
        with ctx.database.transaction() as session:
            WorkQueue(session).enqueue_apply(result.change_set_id, campaign_id=item.campaign_id, trigger="auto")
    return {
        "change_set_id": result.change_set_id,
        "change_set_status": result.change_set_status,
        "items": len(result.drafts),
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
    }


def _review(ctx: JobContext, item: ClaimedItem) -> dict[str, Any]:
    """Conversion anomalies and tracking breaks: a person looks, nothing changes automatically (a broken pixel
    reads as a collapse in conversions, and "fixing" bids for it would burn money)."""
    if item.campaign_id is None:
        return {"skipped": "the event names no campaign known to the store"}
    reason = str(item.payload.get("reason") or item.payload.get("anomaly") or "review requested")
    alert_id = item.payload.get("alert_id")
    if alert_id is None:
        with ctx.database.transaction() as session:
            alert_id = AlertRepository(session).open_once(
                kind=f"review:{reason}"[:64],
                severity="warning",
                campaign_id=item.campaign_id,
                message=f"{reason}: needs a person; adpilot makes no automatic change for this",
                details={"trigger": item.trigger, "inbox_id": item.payload.get("inbox_id")},
            )
    return {"alert_id": alert_id, "change_set_id": None, "automatic_fix": False}


def _undo(ctx: JobContext, item: ClaimedItem) -> dict[str, Any]:
    settings = ctx.settings
    outcome = undo_change_set(
        ctx.database,
        ctx.require_platform(),
        int(item.payload["change_set_id"]),
        actor=str(item.payload.get("actor") or "unknown"),
        policy=load_policy(settings.guardrail_policy_path if settings else None),
        now=ctx.clock.now(),
        read_only=bool(settings and settings.read_only),
    )
    return {"status": outcome.status, "applied": outcome.applied}


def _expire(ctx: JobContext, period: datetime) -> str:
    expired = expire_stale(ctx.database, now=ctx.clock.now())
    return f"expired {len(expired)} change-set(s)"


def register(registry: JobRegistry) -> None:
    for kind in SPECIALISTS_OF_KIND:
        registry.handle(kind, _cycle)
    registry.handle(WorkKind.REVIEWER, _review)
    registry.handle(UNDO_KIND, _undo)
    registry.schedule(
        ScheduledJob(
            "changeset_expiry",
            timedelta(hours=1),
            run=_expire,
            description="expire change-sets nobody decided on before expires_at",
        )
    )
