"""The root command's sub-commands, imported only when one of them runs.

Every sub-app pulls in its own heavy dependencies (the demo imports torch and the sandbox, the agents LangGraph,
the benchmarks scikit-learn): importing them all made ``adpilot --help`` take 8–12 s (issue 10). The root group
knows each sub-command by module path and one-line help, lists them from that table, and imports a module only
when its command is resolved for running (or for its own ``--help``). Click documents this pattern ("lazily
loading subcommands"); Typer has no switch for it, hence this small group class. Typer vendors its own click, so
nothing here imports ``click`` directly.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand

__all__ = ["LAZY_COMMANDS", "LazyCommand", "LazyGroupMixin"]


@dataclass(frozen=True)
class LazyCommand:
    module: str
    attribute: str
    help: str


LAZY_COMMANDS: dict[str, LazyCommand] = {
    "demo": LazyCommand("cli.demo", "demo", "Run a simulated week end to end and print its summary."),
    "doctor": LazyCommand("cli.doctor", "doctor", "Check the database, the schema and the LLM backend."),
    "db": LazyCommand("cli.database", "db_app", "Migrations: upgrade, downgrade, status."),
    "config": LazyCommand("cli.config", "config_app", "Show the effective settings (secrets masked)."),
    "accounts": LazyCommand("cli.accounts", "accounts_app", "Ad accounts."),
    "campaigns": LazyCommand("cli.campaigns", "campaigns_app", "Campaigns: list, show, create, pause, budgets."),
    "changesets": LazyCommand("cli.changesets", "changesets_app", "Change-sets: review, approve, reject, undo."),
    "agents": LazyCommand("cli.agents", "agents_app", "Run an agent cycle for a campaign."),
    "models": LazyCommand("cli.models", "models_app", "The CTR/CVR model registry."),
    "audit": LazyCommand("cli.audit", "audit_app", "Verify the hash-chained audit log."),
    "kill-switch": LazyCommand("cli.kill_switch", "kill_switch_app", "Stop (or allow) every account mutation."),
    "daemon": LazyCommand("cli.daemon", "daemon_app", "Run and inspect the scheduler daemon."),
    "webhooks": LazyCommand("cli.webhooks", "webhooks_app", "Run the webhook receiver."),
    "bench": LazyCommand("cli.bench", "bench_app", "Benchmarks (JSON on stdout)."),
    "report": LazyCommand("cli.report", "report", "Write the self-contained HTML report."),
}


class _Listed(TyperCommand):
    """Stands in for a sub-command in the root's help listing, so listing imports nothing."""


class LazyGroupMixin:
    """Mixed into the root click group: sub-commands resolved from :data:`LAZY_COMMANDS` on first use."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        eager = list(super().list_commands(ctx))  # type: ignore[misc]
        return eager + [name for name in LAZY_COMMANDS if name not in eager]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command: Any = super().get_command(ctx, cmd_name)  # type: ignore[misc]
        spec = LAZY_COMMANDS.get(cmd_name)
        if command is not None or spec is None:
            return command
        if self._listing:
            return _Listed(cmd_name, help=spec.help, short_help=spec.help)
        target = getattr(importlib.import_module(spec.module), spec.attribute)
        if isinstance(target, typer.Typer):
            command = typer.main.get_group(target)  # a group even when the sub-app has one command
        else:
            single = typer.Typer(add_completion=False)
            single.command(cmd_name, help=spec.help if not target.__doc__ else None)(target)
            command = typer.main.get_command(single)
        command.name = cmd_name
        if not command.help:
            command.help = spec.help
        self.add_command(command, cmd_name)  # type: ignore[attr-defined]
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)  # type: ignore[misc]
        finally:
            self._listing = False
