"""The ``adpilot`` command: wires the sub-apps together and sets up error reporting and logging."""

from __future__ import annotations

import typer

from cli.accounts import accounts_app
from cli.agents import agents_app
from cli.bench import bench_app
from cli.campaigns import campaigns_app
from cli.changesets import changesets_app
from cli.config import config_app
from cli.daemon import daemon_app
from cli.database import db_app
from cli.demo import demo
from cli.doctor import doctor
from cli.errors import ErrorReportingGroup, set_debug
from cli.kill_switch import kill_switch_app
from cli.models import models_app
from cli.report import report
from cli.webhooks import webhooks_app

__all__ = ["app", "run"]

app = typer.Typer(
    name="adpilot",
    cls=ErrorReportingGroup,
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


app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")
app.add_typer(accounts_app, name="accounts")
app.add_typer(campaigns_app, name="campaigns")
app.add_typer(changesets_app, name="changesets")
app.add_typer(agents_app, name="agents")
app.add_typer(models_app, name="models")
app.add_typer(kill_switch_app, name="kill-switch")
app.add_typer(daemon_app, name="daemon")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(bench_app, name="bench")
app.command("doctor")(doctor)
app.command("report")(report)
app.command("demo")(demo)


def run() -> None:
    app()
