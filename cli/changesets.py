"""``adpilot changesets list|show|approve|reject|apply|undo``. Approvals record the human named by ``--actor``.
``apply`` and ``undo`` queue a job for the daemon — the apply job is the only path that mutates an ad account."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from adpilot.errors import InvalidInput
from changesets import approve as approve_cs
from changesets import reject as reject_cs
from changesets.service import item_record
from cli import context
from cli.actor import named_actor
from cli.output import console, data, emit_json, emit_table
from db.changesets import ChangeSetRepository
from db.reporting import ChangeSetListing, change_set_listing
from db.schema import ChangeSet
from db.work_kinds import WorkKind
from db.work_queue import WorkQueue

__all__ = ["changesets_app", "left_out_note", "render_change_set"]

changesets_app = typer.Typer(help="Review, approve, apply and undo change-sets.", no_args_is_help=True)
JSON_OPT = typer.Option(False, "--json", help="print JSON")
ACTOR_OPT = typer.Option(None, "--actor", help="your name, recorded with the decision (default: the OS user)")


def change_set_record(cs: ChangeSet) -> dict[str, Any]:
    return {
        "id": cs.id,
        "status": cs.status,
        "account_id": cs.account_id,
        "campaign_id": cs.campaign_id,
        "origin": cs.origin,
        "summary": cs.summary,
        "rationale": cs.rationale,
        "flags": cs.flags,
        "predicted_effect": cs.predicted_effect,
        "realised_effect": cs.realised_effect,
        "created_at": cs.created_at,
        "expires_at": cs.expires_at,
        "applied_at": cs.applied_at,
        "items": [item_record(i) for i in cs.items],
    }


def render_change_set(record: dict[str, Any]) -> None:
    """A change-set as a Rich diff: before in red, after in green, the guardrail decision beside it."""
    console.print(
        f"[bold]change-set {data(record['id'])}[/] · status [bold]{data(record['status'])}[/] · "
        f"origin {data(record['origin'])} · expires {data(record.get('expires_at', '-'))}"
    )
    console.print(Text(f"  summary: {record['summary']}"))
    if record["rationale"]:  # model-written: shown as quoted data, never as markup
        console.print(Text("  rationale (model-written, quoted): ") + Text(repr(record["rationale"]), style="dim"))
    table = Table(show_lines=False)
    for col in ("#", "action", "target", "before", "after", "guardrails", "status"):
        table.add_column(col)
    for item in record["items"]:
        verdict = item["guardrail_verdict"] or {}
        rules = ", ".join(verdict.get("rules", [])) or verdict.get("decision", "")
        if verdict.get("clamped"):
            rules += " (clamped)"
        table.add_row(
            Text(str(item["seq"])),
            Text(item["action"]),
            Text(f"{item['target_type']} {item['target_id']}"),
            Text(_fmt(item["before"]), style="red"),
            Text(_fmt(item["after"]), style="green"),
            Text(rules),
            Text(item["status"] + (f": {item['error']}" if item["error"] else "")),
        )
    console.print(table)


def _fmt(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items()) or "-"


@changesets_app.command("list")
def list_change_sets(
    status: str | None = typer.Option(None, help="only this status, e.g. pending_approval"),
    campaign: int | None = typer.Option(None, help="only this campaign id"),
    origin: str | None = typer.Option(None, help="only this origin: agents, cli, undo, pacer, rules"),
    show_all: bool = typer.Option(False, "--all", help="also the automated origins (pacer, rules), after the rest"),
    limit: int = typer.Option(50, min=1, max=1000),
    as_json: bool = JSON_OPT,
) -> None:
    """List change-sets: the agents' and people's first (newest first); the pacer's and rules' only with --origin
    or --all, and a line says how many were left out."""
    with context.database().transaction() as session:
        listing = change_set_listing(
            session, status=status, campaign_id=campaign, origin=origin, include_automated=show_all, limit=limit
        )
        rows = [change_set_record(cs) for cs in listing.rows]
    note = left_out_note(listing, len(rows), origin=origin, limit=limit)
    if as_json:
        emit_json(rows)
        if note:
            Console(stderr=True).print(Text(note))
        return
    table_rows = [{**r, "items": len(r["items"])} for r in rows]
    emit_table(
        "change-sets",
        ["id", "status", "campaign_id", "origin", "items", "summary", "created_at"],
        table_rows,
        as_json=False,
    )
    if note:
        console.print(Text(note, style="dim"))


def left_out_note(listing: ChangeSetListing, shown: int, *, origin: str | None, limit: int) -> str:
    """``showing 20 of 143; 120 pacer change-sets hidden — pass --origin pacer or --all`` (empty: nothing left out)."""
    if shown >= listing.total:
        return ""
    what = f"{listing.matching} {origin}" if origin else f"{listing.total}"
    parts = [f"showing {shown} of {what} change-sets" + (f" ({listing.total} of every origin)" if origin else "")]
    if listing.hidden_by_origin:
        hidden = listing.hidden_by_origin
        parts.append(
            ", ".join(f"{n} {o} change-set{'s' if n != 1 else ''}" for o, n in hidden.items())
            + " hidden — pass "
            + " or ".join(f"--origin {o}" for o in hidden)
            + " or --all"
        )
    if shown < listing.matching:
        parts.append(f"{listing.matching - shown} more beyond --limit {limit}")
    return "; ".join(parts)


@changesets_app.command("show")
def show(change_set_id: int = typer.Argument(...), as_json: bool = JSON_OPT) -> None:
    """Show one change-set with its items as a diff."""
    with context.database().transaction() as session:
        record = change_set_record(ChangeSetRepository(session).get(change_set_id))
        record["approvals"] = [
            {"actor": a.actor, "decision": a.decision, "comment": a.comment, "decided_at": a.decided_at}
            for a in ChangeSetRepository(session).approvals(change_set_id)
        ]
    if as_json:
        emit_json(record)
    else:
        render_change_set(record)


@changesets_app.command("approve")
def approve(change_set_id: int, actor: str | None = ACTOR_OPT, comment: str | None = typer.Option(None)) -> None:
    """Approve a pending change-set (recorded with your name); the daemon applies it."""
    db = context.database()
    cs = approve_cs(
        db,
        change_set_id,
        actor=named_actor(actor),
        comment=comment,
        separation_of_duties=context.settings().approval_separation_of_duties,
    )
    with db.transaction() as session:
        WorkQueue(session).enqueue_apply(
            cs.id, campaign_id=cs.campaign_id, account_id=cs.account_id, trigger="approval"
        )
    console.print(f"change-set {change_set_id} [green]approved[/]; queued for the apply job")


@changesets_app.command("reject")
def reject(change_set_id: int, actor: str | None = ACTOR_OPT, comment: str | None = typer.Option(None)) -> None:
    """Reject a pending change-set."""
    reject_cs(context.database(), change_set_id, actor=named_actor(actor), comment=comment)
    console.print(f"change-set {change_set_id} [red]rejected[/]")


@changesets_app.command("apply")
def apply(change_set_id: int) -> None:
    """Queue an approved change-set for the apply job (re-checked against the guardrails there)."""
    db = context.database()
    with db.transaction() as session:
        cs = ChangeSetRepository(session).get(change_set_id)
        if cs.status not in ("approved", "validated", "failed"):
            raise InvalidInput(
                f"change-set {change_set_id} is {cs.status}; only approved change-sets are applied",
                remedy=f"approve it first: adpilot changesets approve {change_set_id} --actor NAME",
            )
        run_id = WorkQueue(session).enqueue_apply(
            cs.id, campaign_id=cs.campaign_id, account_id=cs.account_id, trigger="manual", attempt=cs.status
        )
    console.print(f"change-set {change_set_id} queued for apply" + ("" if run_id else " (already queued)"))


@changesets_app.command("undo")
def undo(change_set_id: int, actor: str | None = ACTOR_OPT) -> None:
    """Queue the undo of an applied change-set (its stored inverse items, applied through the same path)."""
    db = context.database()
    with db.transaction() as session:
        cs = ChangeSetRepository(session).get(change_set_id)
        if cs.status not in ("applied", "failed"):
            raise InvalidInput(f"change-set {change_set_id} is {cs.status}; only applied change-sets can be undone")
        WorkQueue(session).enqueue(
            WorkKind.UNDO_CHANGE_SET,
            campaign_id=cs.campaign_id,
            account_id=cs.account_id,
            trigger="manual",
            payload={"change_set_id": cs.id, "actor": named_actor(actor)},
            dedupe_key=f"undo:{cs.id}",
        )
    console.print(f"undo of change-set {change_set_id} queued")
