"""How the CLI reports errors: the message and the remedy on stderr, exit code 1, no traceback unless --debug.

Implemented as the root command's click Group so every sub-app (including ones other packages register) is
covered, both from the console script and from Typer's test runner.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from adpilot.errors import AdpilotError

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "ErrorReportingGroup", "debug_enabled", "set_debug"]

EXIT_OK, EXIT_ERROR, EXIT_FINDINGS = 0, 1, 2

_state = {"debug": False}


def set_debug(enabled: bool) -> None:
    _state["debug"] = enabled


def debug_enabled() -> bool:
    return _state["debug"]


class ErrorReportingGroup(TyperGroup):
    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except AdpilotError as exc:
            if debug_enabled():
                raise
            console = Console(stderr=True)
            console.print(f"[bold red]error:[/] {exc.message}", markup=True, highlight=False)
            console.print(f"[bold]remedy:[/] {exc.remedy}", markup=True, highlight=False)
            raise typer.Exit(EXIT_ERROR) from None
