"""How the CLI reports errors: the message and the remedy on stderr, exit code 1, no traceback unless --debug.

Exit codes are a contract with cron and CI: 0 ok, 1 error, 2 "needs attention" (findings of ``doctor`` and
``db status``). Click's usage errors exit 2 by default; here they exit 1 with a pointer to ``--help``, so a typo
can never read as "findings". An unexpected exception is reported the same way (type and message, remedy: run with
``--debug``), never as a traceback; Ctrl-C exits 130.

Implemented as the root command's click Group so every sub-app (including ones other packages register) is
covered, both from the console script and from Typer's test runner.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from adpilot.errors import AdpilotError

__all__ = [
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "ErrorReportingGroup",
    "debug_enabled",
    "report_error",
    "set_debug",
]

EXIT_OK, EXIT_ERROR, EXIT_FINDINGS = 0, 1, 2

_state = {"debug": False}


def set_debug(enabled: bool) -> None:
    _state["debug"] = enabled


def debug_enabled() -> bool:
    return _state["debug"]


def _is_click(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is click's ``name`` exception. Typer vendors click (``typer._click``), so the classes are
    matched by name along the MRO rather than imported from a private module."""
    return any(cls.__name__ == name for cls in type(exc).__mro__)


def report_error(message: str, remedy: str) -> None:
    """Print an error and its remedy on stderr. Both are data (they may quote platform text): never markup."""
    console = Console(stderr=True, highlight=False)
    console.print("[bold red]error:[/] ", end="", markup=True)
    console.print(message, markup=False)
    console.print("[bold]remedy:[/] ", end="", markup=True)
    console.print(remedy, markup=False)


class ErrorReportingGroup(TyperGroup):
    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except AdpilotError as exc:
            if debug_enabled():
                raise
            report_error(exc.message, exc.remedy)
            raise typer.Exit(EXIT_ERROR) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _is_click(exc, "UsageError"):
                exc.exit_code = EXIT_ERROR  # type: ignore[attr-defined]
                raise
            if debug_enabled() or _is_click(exc, "ClickException"):
                raise
            report_error(
                f"unexpected {type(exc).__name__}: {exc}",
                "re-run with --debug for the traceback, and report it if the cause is not yours",
            )
            raise typer.Exit(EXIT_ERROR) from None
