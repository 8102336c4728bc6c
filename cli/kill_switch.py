"""``adpilot kill-switch on|off|status``: stop (or allow again) every mutation of every ad account."""

from __future__ import annotations

import typer

from cli import context
from cli.actor import named_actor
from cli.errors import EXIT_FINDINGS
from cli.output import console, emit_record
from db.audit import AuditRepository
from db.enums import AuditEvent
from db.kill_switch import KillSwitchRepository

__all__ = ["kill_switch_app"]

kill_switch_app = typer.Typer(help="Stop every mutation of every ad account.", no_args_is_help=True)


def _set(engaged: bool, actor: str | None, reason: str | None) -> None:
    who = named_actor(actor)
    with context.database().transaction() as session:
        before, _ = KillSwitchRepository(session).set(engaged, actor=who, reason=reason)
        AuditRepository(session).append(
            AuditEvent.KILL_SWITCH, actor=who, message=reason or "", details={"before": before, "after": engaged}
        )
    state = "[bold red]ON[/] — no change reaches any ad account" if engaged else "[green]off[/]"
    console.print(f"kill switch {state}")


@kill_switch_app.command("on")
def on(
    reason: str = typer.Option(..., help="why (recorded in the audit log)"),
    actor: str | None = typer.Option(None, "--actor"),
) -> None:
    """Engage the kill switch."""
    _set(True, actor, reason)


@kill_switch_app.command("off")
def off(actor: str | None = typer.Option(None, "--actor"), reason: str | None = typer.Option(None)) -> None:
    """Release the kill switch."""
    _set(False, actor, reason)


@kill_switch_app.command("status")
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Show the kill switch; exit code 2 while it is engaged."""
    with context.database().transaction() as session:
        row = KillSwitchRepository(session).get()
        record = {"engaged": row.engaged, "reason": row.reason, "actor": row.actor, "changed_at": row.changed_at}
    emit_record("kill switch", record, as_json=as_json)
    if record["engaged"]:
        raise typer.Exit(EXIT_FINDINGS)
