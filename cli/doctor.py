"""``adpilot doctor``: which database is in use, whether it is reachable and migrated, and whether the configured
LLM backend loads and generates on this machine (in a child process, so a runtime that crashes natively is
reported, not fatal). Never crashes: every problem becomes a finding with its remedy, and the exit code is 2 when
there is one."""

from __future__ import annotations

from typing import Any

import typer

from adpilot.errors import AdpilotError
from agents.llm.health import probe_in_subprocess
from cli import context
from cli.errors import EXIT_FINDINGS
from cli.output import console, data, emit_json
from db import migrate

__all__ = ["doctor"]


def _diagnose_llm(report: dict[str, Any]) -> None:
    llm = probe_in_subprocess()
    report["llm"] = llm
    if not llm.get("ok"):
        report["findings"].append({"problem": f"LLM backend: {llm.get('problem')}", "remedy": llm.get("remedy", "")})


def _diagnose() -> dict[str, Any]:
    report: dict[str, Any] = {"findings": []}
    try:
        cfg = context.settings()
    except AdpilotError as exc:
        report["findings"].append({"problem": exc.message, "remedy": exc.remedy})
        return report
    report["database_mode"] = "embedded" if cfg.uses_embedded_database else "external"
    report["data_dir"] = str(cfg.data_dir)
    try:
        db = context.database(cfg, migrated=False)
        report["database"] = db.display_url
        report["server_version"] = db.ping()
        report["reachable"] = True
        if db.embedded:
            migrate.upgrade(db)
        st = migrate.status(db)
        report.update(revision=st.current, head=st.head, migrated=st.up_to_date)
        if not st.up_to_date:
            report["findings"].append(
                {
                    "problem": f"schema at {st.current or 'nothing'}, head is {st.head}",
                    "remedy": "adpilot db upgrade",
                }
            )
    except AdpilotError as exc:
        report.setdefault("reachable", False)
        report["findings"].append({"problem": exc.message, "remedy": exc.remedy})
    return report


def doctor(
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    skip_llm: bool = typer.Option(False, "--skip-llm", help="check the database only"),
) -> None:
    """Check configuration, the database and the LLM backend; exit code 2 when something needs attention."""
    report = _diagnose()
    if not skip_llm and "database_mode" in report:
        _diagnose_llm(report)
    if as_json:
        emit_json(report)
    else:
        for key in (
            "database_mode",
            "database",
            "server_version",
            "data_dir",
            "revision",
            "head",
            "migrated",
        ):
            if key in report:
                console.print(f"[bold]{key:15}[/] {data(report[key])}")
        for key, value in report.get("llm", {}).items():
            if key not in ("stderr_tail", "output", "problem", "remedy", "ok"):
                console.print(f"[bold]llm.{key:11}[/] {data(value)}", highlight=False)
        for finding in report["findings"]:
            console.print("[red]✗[/] ", end="")
            console.print(finding["problem"], markup=False)
            console.print("  [bold]remedy:[/] ", end="")
            console.print(finding["remedy"], markup=False)
        if not report["findings"]:
            console.print("[green]✓ all good[/]")
    if report["findings"]:
        raise typer.Exit(EXIT_FINDINGS)
