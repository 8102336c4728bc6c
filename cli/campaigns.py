"""``adpilot campaigns list|show|create|pause|resume|set-budget``. ``create`` registers a campaign in the store;
``pause``, ``resume`` and ``set-budget`` change an ad account, so each is a change-set (``changesets.manual``)
judged by the guardrails, approved by the named person and written by the daemon's one apply job."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer
from rich.text import Text

from adpilot.money import format_micros, parse_money
from changesets.manual import request_manual_change
from cli import context
from cli.actor import named_actor
from cli.output import console, emit_record, emit_table
from db.campaigns import CampaignRepository
from db.enums import ChangeAction
from db.schema import Campaign
from db.types import utcnow
from db.work_queue import WorkQueue
from guardrails.policy import load_policy

__all__ = ["campaigns_app"]

campaigns_app = typer.Typer(help="Campaigns in the campaign store.", no_args_is_help=True)

LIST_COLUMNS = [
    "id",
    "account_id",
    "name",
    "objective",
    "status",
    "daily_budget",
    "target_cpa",
    "bid_multiplier",
]
JSON_OPT = typer.Option(False, "--json", help="print JSON")
ACTOR_OPT = typer.Option(None, "--actor", help="who makes the change (default: the OS user)")


def campaign_row(c: Campaign) -> dict[str, Any]:
    return {
        "id": c.id,
        "account_id": c.account_id,
        "external_id": c.external_id,
        "name": c.name,
        "objective": c.objective,
        "status": c.status,
        "daily_budget_micros": c.daily_budget_micros,
        "bid_strategy": c.bid_strategy,
        "target_cpa_micros": c.target_cpa_micros,
        "target_roas": c.target_roas,
        "bid_multiplier": c.bid_multiplier,
        "frequency_cap_per_day": c.frequency_cap_per_day,
        "protected": c.protected,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }


def _human(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "daily_budget": format_micros(row["daily_budget_micros"]),
        "target_cpa": format_micros(row["target_cpa_micros"]),
    }


@campaigns_app.command("list")
def list_campaigns(
    account: int | None = typer.Option(None, help="only this account id"),
    status: str | None = typer.Option(None, help="active | paused | removed"),
    as_json: bool = JSON_OPT,
) -> None:
    """List campaigns."""
    with context.database().transaction() as session:
        rows = [campaign_row(c) for c in CampaignRepository(session).list_campaigns(account_id=account, status=status)]
    emit_table("campaigns", LIST_COLUMNS, rows if as_json else [_human(r) for r in rows], as_json=as_json)


@campaigns_app.command("show")
def show(campaign_id: int = typer.Argument(..., help="campaign id"), as_json: bool = JSON_OPT) -> None:
    """Show one campaign."""
    with context.database().transaction() as session:
        row = campaign_row(CampaignRepository(session).get(campaign_id))
    emit_record(f"campaign {campaign_id}", row if as_json else _human(row), as_json=as_json)


@campaigns_app.command("create")
def create(
    account: int = typer.Option(..., help="ad account id"),
    name: str = typer.Option(..., help="campaign name"),
    objective: str = typer.Option(
        "conversions", help="conversions | sales | leads | app_installs | traffic | awareness"
    ),
    budget: str = typer.Option(..., help="daily budget in account currency, e.g. 50 or 49.99"),
    target_cpa: str | None = typer.Option(None, "--target-cpa", help="target cost per acquisition, e.g. 12.50"),
    bid_strategy: str = typer.Option("target_cpa", "--bid-strategy", help="manual_cpc | target_cpa | ..."),
    external_id: str | None = typer.Option(None, "--external-id", help="platform id (default: generated)"),
    as_json: bool = JSON_OPT,
) -> None:
    """Create a campaign in the store."""
    import uuid

    with context.database().transaction() as session:
        campaign = CampaignRepository(session).create(
            account_id=account,
            external_id=external_id or f"local-{uuid.uuid4().hex[:12]}",
            name=name,
            objective=objective,
            daily_budget_micros=parse_money(budget, max_micros=context.settings().max_amount_micros),
            bid_strategy=bid_strategy,
            target_cpa_micros=parse_money(target_cpa, max_micros=context.settings().max_amount_micros)
            if target_cpa
            else None,
            bid_multiplier=Decimal("1"),
        )
        row = campaign_row(campaign)
    if not as_json:
        console.print(f"[green]created campaign {row['id']}[/]")
    emit_record("campaign", row if as_json else _human(row), as_json=as_json)


def _request(campaign_id: int, action: ChangeAction, after: dict[str, Any], actor: str | None) -> None:
    """A manual edit as a change-set (``changesets.manual``): judged, approved by the named person, applied by the
    daemon's apply job. Nothing is written to the store or the platform here."""
    cfg = context.settings()
    db = context.database(cfg)
    who = named_actor(actor)
    with db.transaction() as session:
        campaign = CampaignRepository(session).get(campaign_id)
        before = {"status": campaign.status, "daily_budget_micros": campaign.daily_budget_micros}
    cs = request_manual_change(
        db,
        campaign_id=campaign_id,
        action=action,
        after=after,
        actor=who,
        policy=load_policy(cfg.guardrail_policy_path),
        now=utcnow(),
        read_only=cfg.read_only,
        separation_of_duties=cfg.approval_separation_of_duties,
    )
    with db.transaction() as session:
        WorkQueue(session).enqueue_apply(cs.id, campaign_id=campaign_id, account_id=cs.account_id, trigger="manual")
    (item,) = cs.items
    verdict = item.guardrail_verdict or {}
    if action is ChangeAction.SET_BUDGET:
        old, new = before["daily_budget_micros"], item.after["daily_budget_micros"]
        change = f"daily budget {format_micros(old)} → {format_micros(new)}"
    else:
        change = f"status {before['status']} → {'paused' if action is ChangeAction.PAUSE_CAMPAIGN else 'active'}"
    console.print(Text(f"campaign {campaign_id}: {change} requested as change-set {cs.id} ({cs.status}, by {who})"))
    if verdict.get("clamped"):
        console.print(Text(f"  clamped by the guardrail policy: {'; '.join(verdict.get('rules', []))}", style="yellow"))
    console.print("  queued for the daemon's apply job; `adpilot changesets show " + str(cs.id) + "` follows it")


@campaigns_app.command("pause")
def pause(campaign_id: int = typer.Argument(...), actor: str | None = ACTOR_OPT) -> None:
    """Pause a campaign (a change-set, applied by the daemon's apply job)."""
    _request(campaign_id, ChangeAction.PAUSE_CAMPAIGN, {"status": "paused"}, actor)


@campaigns_app.command("resume")
def resume(campaign_id: int = typer.Argument(...), actor: str | None = ACTOR_OPT) -> None:
    """Resume a paused campaign (a change-set, applied by the daemon's apply job)."""
    _request(campaign_id, ChangeAction.RESUME_CAMPAIGN, {"status": "active"}, actor)


@campaigns_app.command("set-budget", context_settings={"ignore_unknown_options": True})
def set_budget(
    campaign_id: int = typer.Argument(...),
    amount: str = typer.Argument(..., help="new daily budget, e.g. 75 or 74.50"),
    actor: str | None = ACTOR_OPT,
) -> None:
    """Set a campaign's daily budget (a change-set: the guardrails' step limits apply; applied by the daemon)."""
    micros = parse_money(amount, max_micros=context.settings().max_amount_micros)
    _request(campaign_id, ChangeAction.SET_BUDGET, {"daily_budget_micros": micros}, actor)
