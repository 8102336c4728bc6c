"""``adpilot audit verify``: walk the audit log's hash chain; exit 2 when it is broken."""

from __future__ import annotations

import typer

from cli import context
from cli.errors import EXIT_FINDINGS
from cli.output import console, data, emit_json
from db.audit import audit_trigger_problems, verify_chain

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The append-only, hash-chained audit log.", no_args_is_help=True)


@audit_app.callback()
def _audit() -> None:
    """The audit log."""


@audit_app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Recompute every row's hash and link; exit 2 on a break or a missing/disabled audit trigger."""
    with context.database().transaction() as session:
        report = verify_chain(session)
        triggers = audit_trigger_problems(session)
    findings = report.breaks + triggers
    if as_json:
        emit_json({"rows": report.rows, "intact": not findings, "findings": findings})
    else:
        for finding in findings:
            console.print(f"[red]✗[/] {data(finding)}")
        if not findings:
            console.print(f"[green]✓ audit chain intact[/] ({report.rows} rows)")
    if findings:
        raise typer.Exit(EXIT_FINDINGS)
