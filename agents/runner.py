"""Run one agent cycle for one campaign: the entry point the CLI and the daemon's ``agent_cycle`` handler call.

It records the run in ``agent_runs`` (status, result, token use) — unless the daemon already owns a row for it — and
runs the supervisor graph, checkpointed in Postgres under the thread id ``cycle-<run id>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agents.checkpoints import open_checkpointer
from agents.deps import CreativeScorer, CycleDeps, SegmentRates
from agents.llm.base import LLMBackend, MeteredBackend
from agents.llm.usage import UsageMeter
from agents.state import CycleState
from agents.supervisor import SPECIALISTS, build_cycle_graph
from db.campaigns import CampaignRepository
from db.database import Database
from db.schema import AgentRun
from db.types import utcnow
from db.work_kinds import WorkKind
from guardrails.policy import GuardrailPolicy

__all__ = ["CycleResult", "run_cycle"]


@dataclass
class CycleResult:
    run_id: int | None
    campaign_id: int
    change_set_id: int | None
    change_set_status: str
    drafts: list[dict[str, Any]]
    summary: str
    rationale: str
    flags: list[str]
    notes: list[str]
    tool_calls: list[str]
    refused_calls: list[str]
    llm_fallbacks: list[str]
    prompt_tokens: int
    completion_tokens: int
    preview: dict[str, Any] | None = field(default=None)


def _start_run(database: Database, campaign_id: int, now: datetime) -> int:
    with database.transaction() as session:
        campaign = CampaignRepository(session).get(campaign_id)
        run = AgentRun(
            kind=WorkKind.AGENT_CYCLE,
            campaign_id=campaign_id,
            account_id=campaign.account_id,
            trigger="manual",
            status="running",
            attempts=1,
            run_after=now,
            started_at=utcnow(),
            locked_by="cli",
        )
        session.add(run)
        session.flush()
        return run.id


def _finish_run(
    database: Database,
    run_id: int,
    *,
    own: bool,
    ok: bool,
    result: dict[str, Any],
    meter: UsageMeter,
    error: str | None = None,
) -> None:
    with database.transaction() as session:
        run = session.get(AgentRun, run_id)
        if run is None:
            return
        run.prompt_tokens += meter.total.prompt_tokens
        run.completion_tokens += meter.total.completion_tokens
        run.result = result
        if own:
            run.status = "succeeded" if ok else "failed"
            run.finished_at = utcnow()
            run.last_error = error


def run_cycle(
    database: Database,
    campaign_id: int,
    *,
    now: datetime,
    llm: LLMBackend | None,
    policy: GuardrailPolicy,
    read_only: bool = False,
    dry_run: bool = False,
    seed: int = 0,
    run_id: int | None = None,
    checkpoint: bool = True,
    score_creatives: CreativeScorer | None = None,
    segment_rates: SegmentRates | None = None,
    max_tokens: int = 256,
    trigger: str = "manual",
    specialists: Sequence[str] | None = None,
) -> CycleResult:
    """One cycle. ``run_id``: the daemon's work-item row (it keeps ownership of the status); otherwise a row is
    created here. Dry runs record nothing but still evaluate the guardrails on what they would propose."""
    meter = UsageMeter()
    metered = MeteredBackend(llm, meter) if llm is not None else None
    deps = CycleDeps(
        database=database,
        policy=policy,
        llm=metered,
        read_only=read_only,
        dry_run=dry_run,
        score_creatives=score_creatives,
        segment_rates=segment_rates,
        max_tokens=max_tokens,
    )
    with database.transaction() as session:
        account_id = CampaignRepository(session).get(campaign_id).account_id
    own = run_id is None and not dry_run
    if own:
        run_id = _start_run(database, campaign_id, now)
    initial: CycleState = {
        "campaign_id": campaign_id,
        "account_id": account_id,
        "now": now.isoformat(),
        "seed": seed,
        "trigger": trigger,
    }
    try:
        if checkpoint and run_id is not None:
            with open_checkpointer(database) as saver:
                graph = build_cycle_graph(deps, saver, specialists or tuple(SPECIALISTS))
                state = graph.invoke(initial, {"configurable": {"thread_id": f"cycle-{run_id}"}})
        else:
            state = build_cycle_graph(deps, specialists=specialists or tuple(SPECIALISTS)).invoke(initial)
    except Exception as exc:
        if run_id is not None:
            _finish_run(database, run_id, own=own, ok=False, result={}, meter=meter, error=str(exc)[:2000])
        raise
    result = CycleResult(
        run_id=run_id,
        campaign_id=campaign_id,
        change_set_id=state.get("change_set_id"),
        change_set_status=state.get("change_set_status", "none"),
        drafts=state.get("drafts", []),
        summary=state.get("summary", ""),
        rationale=state.get("rationale", ""),
        flags=state.get("flags", []),
        notes=state.get("notes", []),
        tool_calls=state.get("tool_calls", []),
        refused_calls=state.get("refused_calls", []),
        llm_fallbacks=state.get("llm_fallbacks", []),
        prompt_tokens=meter.total.prompt_tokens,
        completion_tokens=meter.total.completion_tokens,
        preview=state.get("preview"),
    )
    if run_id is not None:
        _finish_run(
            database,
            run_id,
            own=own,
            ok=True,
            meter=meter,
            result={
                "change_set_id": result.change_set_id,
                "change_set_status": result.change_set_status,
                "items": len(result.drafts),
                "flags": result.flags,
                "llm_fallbacks": result.llm_fallbacks,
            },
        )
    return result
