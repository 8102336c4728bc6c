"""The ``adpilot`` command: the root group, error reporting and logging. Sub-commands are listed in
:data:`cli.lazy.LAZY_COMMANDS` and imported only when they run, so ``adpilot --help`` answers at once."""

from __future__ import annotations

import typer

from cli.errors import ErrorReportingGroup, set_debug
from cli.lazy import LazyGroupMixin

__all__ = ["RootGroup", "app", "run"]


class RootGroup(LazyGroupMixin, ErrorReportingGroup):
    """Lazy sub-commands and the CLI's error contract (message + remedy, exit 1, no traceback)."""


app = typer.Typer(
    name="adpilot",
    cls=RootGroup,
    help="adpilot — multi-agent advertising automation on a Postgres campaign store.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(
    debug: bool = typer.Option(False, "--debug", help="show tracebacks instead of short errors"),
) -> None:
    set_debug(debug)


def run() -> None:
    app()
