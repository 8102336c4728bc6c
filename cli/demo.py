"""``adpilot demo``: a simulated week of the whole system, a summary table (or JSON) and an HTML report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from adpilot.errors import InvalidInput
from cli import context
from cli.output import emit_json
from demo import DemoOptions, run_demo
from demo.summary import summary_table

__all__ = ["demo"]


def demo(
    days: int = typer.Option(7, min=1, max=60, help="simulated days"),
    campaigns: int = typer.Option(5, min=1, max=5, help="campaigns in the demo account"),
    seed: int = typer.Option(0, help="seed of the simulated market"),
    llm: str = typer.Option("embedded", help="embedded | openai | fake"),
    replicas: int = typer.Option(1, min=1, max=8, help="daemon replicas (more than one: not byte-reproducible)"),
    report: Path = typer.Option(Path("adpilot-demo.html"), "--report", help="where to write the HTML report"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON on stdout"),
    agents: bool = typer.Option(True, "--agents/--no-agents", help="--no-agents: the week with sync + pacing only"),
    compare: bool = typer.Option(True, "--compare/--no-compare",
                                 help="replay the week under the static and rules baselines on the same seed"),
    stall_s: float = typer.Option(900.0, "--stall-seconds", min=10.0,
                                  help="stop when the simulation makes no progress for this long (a stuck job)"),
) -> None:
    """A simulated week of the whole system on a stepped clock (the market moves on only when every job due has
    finished), then the same week under baselines: "adpilot vs what you would have had"."""
    if llm not in ("embedded", "openai", "fake"):
        raise InvalidInput(f"unknown --llm {llm!r}", remedy="use embedded, openai or fake")
    cfg = context.settings()
    console = Console(stderr=True)
    options = DemoOptions(
        days=days,
        campaigns=campaigns,
        seed=seed,
        llm=llm,
        replicas=replicas,
        report=report,
        agents=agents,
        compare=compare,
        stall_s=stall_s,
    )
    result = run_demo(cfg, options, console=console)
    if as_json:
        emit_json(result.summary)
    else:
        out = Console()
        Console(width=max(out.width, 120)).print(summary_table(result.summary))
    console.print(f"report: {result.report} · logs: {result.log_dir}")
