"""``adpilot config show``: the effective settings, secrets masked."""

from __future__ import annotations

import typer

from cli import context
from cli.output import emit_record

__all__ = ["config_app"]

config_app = typer.Typer(help="Inspect configuration.", no_args_is_help=True)


@config_app.command("show")
def show(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Print the effective settings (env ADPILOT_*, .env, defaults) with secrets masked."""
    emit_record("settings", context.settings().masked(), as_json=as_json)
