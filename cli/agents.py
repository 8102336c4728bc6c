"""``adpilot agents run --campaign ID [--dry-run]``: one agent cycle, shown as a Rich diff of its change-set."""

from __future__ import annotations

import typer

from agents.llm.factory import make_backend
from agents.runner import run_cycle
from cli import context
from cli.changesets import change_set_record, render_change_set
from cli.output import console, data, emit_json
from db.campaigns import CampaignRepository
from db.changesets import ChangeSetRepository
from db.performance import data_clock
from db.types import utcnow
from guardrails.policy import load_policy

__all__ = ["agents_app"]

agents_app = typer.Typer(help="Run the LLM agents.", no_args_is_help=True)


@agents_app.command("run")
def run(
    campaign: int = typer.Option(..., help="campaign id"),
    dry_run: bool = typer.Option(False, "--dry-run", help="evaluate and show, write nothing"),
    seed: int = typer.Option(0, help="seed for the creative test's sampling"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Run one cycle (audience analyst, creative strategist, bid optimiser, reviewer) for a campaign. On a sandbox
    account "now" is the simulated clock of the last synced hour."""
    cfg = context.settings()
    policy = load_policy(cfg.guardrail_policy_path)  # an invalid policy stops here: no proposal at all
    db = context.database(cfg)
    with db.transaction() as session:
        sandbox = CampaignRepository(session).get(campaign).account.platform == "sandbox"
        now = (data_clock(session, campaign) if sandbox else None) or utcnow()
    result = run_cycle(
        db,
        campaign,
        now=now,
        llm=make_backend(cfg),
        policy=policy,
        read_only=cfg.read_only,
        dry_run=dry_run,
        seed=seed,
        max_tokens=cfg.llm_max_tokens,
    )
    record = result.preview
    if result.change_set_id is not None:
        with db.transaction() as session:
            record = change_set_record(ChangeSetRepository(session).get(result.change_set_id))
    payload = {
        "run_id": result.run_id,
        "change_set_id": result.change_set_id,
        "status": result.change_set_status,
        "summary": result.summary,
        "flags": result.flags,
        "notes": result.notes,
        "tool_calls": result.tool_calls,
        "llm_fallbacks": result.llm_fallbacks,
        "tokens": {"prompt": result.prompt_tokens, "completion": result.completion_tokens},
        "change_set": record,
    }
    if as_json:
        emit_json(payload)
        return
    for note in result.notes:
        console.print(f"[dim]{data(note)}[/]")
    if record is None:
        console.print("no change proposed")
    else:
        render_change_set(
            {
                "id": record.get("id") or "(dry run)",
                "origin": "agents",
                "flags": result.flags,
                **{k: v for k, v in record.items() if k not in ("id",)},
            }
        )
    for flag in result.flags:
        console.print(f"[yellow]flag:[/] {data(flag)}")
    console.print(f"tokens: {result.prompt_tokens} prompt + {result.completion_tokens} completion")
