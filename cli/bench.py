"""``adpilot bench …``: benchmarks that print one JSON object on stdout (progress on stderr).

Thin entries: parse the flags, call the benchmark's ``run``, print its result. The protocols live in ``bench/``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

__all__ = ["bench_app"]

bench_app = typer.Typer(help="Benchmarks: print one JSON object on stdout; progress goes to stderr.",
                        no_args_is_help=True)


@bench_app.callback()
def _bench() -> None:
    """Benchmarks (EVALUATION.md)."""


def _levels(text: str) -> tuple[float, ...]:
    try:
        levels = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError as exc:
        raise typer.BadParameter("write budget levels like 0.25,0.5,1,2,4") from exc
    if not levels or any(v <= 0 for v in levels):
        raise typer.BadParameter("budget levels must be positive numbers, e.g. 0.25,0.5,1,2,4")
    return levels


@bench_app.command("bidding")
def bidding(
    json_output: bool = typer.Option(True, "--json/--no-json", help="print the result as JSON (the default)"),
    seed: int = typer.Option(0, "--seed", help="first scenario seed"),
    seeds: int = typer.Option(5, "--seeds", min=1, help="number of seeds (scenarios) per budget level"),
    budget_levels: str = typer.Option("0.25,0.5,1,2,4", "--budget-levels",
                                      help="daily budgets as multiples of FixedCPA's spend"),
    auction: str = typer.Option("second", "--auction", help="auction rule: first | second"),
    days: int = typer.Option(2, "--days", min=1, help="evaluated days per scenario (after 14 warm-up days)"),
    plot: str | None = typer.Option(None, "--plot", help="write a PNG chart to this path"),
) -> None:
    """Bidding and pacing: every policy vs the hindsight optimum LP* (EVALUATION.md §1)."""
    from bench.bidding.runner import run

    if auction not in ("first", "second"):
        raise typer.BadParameter("--auction must be first or second")
    result = run(seed=seed, seeds=seeds, budget_levels=_levels(budget_levels), auction=auction, days=days,
                 plot=plot, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    typer.echo(json.dumps(result, indent=2 if not json_output else None, sort_keys=False))


@bench_app.command("cli")
def cli_startup(repeat: int = typer.Option(7, "--repeat", min=1, max=50, help="runs per command")) -> None:
    """CLI start-up: --help and campaigns list vs python start-up and the old eager imports."""
    from bench.cli.runner import run

    result = run(repeat=repeat, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    typer.echo(json.dumps(result))


@bench_app.command("llm")
def llm(
    timeout: float = typer.Option(1800.0, "--timeout", min=10.0, help="seconds allowed per backend run"),
) -> None:
    """Embedded LLM backends: load time, tokens/s, valid structured outputs and tool calls out of 20."""
    from bench.llm.runner import run

    result = run(timeout_s=timeout, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    typer.echo(json.dumps(result))


@bench_app.command("webhooks")
def webhooks(
    json_output: bool = typer.Option(True, "--json/--no-json", help="print the result as JSON (the default)"),
    events: int = typer.Option(20_000, "--events", min=100, max=1_000_000, help="deliveries to send (bounded)"),
    seconds: float = typer.Option(30.0, "--seconds", min=1.0, max=600.0, help="stop sending after this long"),
    concurrency: int = typer.Option(32, "--concurrency", min=1, max=1024, help="keep-alive connections"),
    workers: int = typer.Option(2, "--workers", min=1, max=16, help="receiver processes"),
    seed: int = typer.Option(0, "--seed", help="seed of the delivery mix and the secrets"),
) -> None:
    """Webhook intake on loopback with real Postgres: events/s, ack latency, lost/duplicated (EVALUATION.md §3)."""
    from bench.webhooks import run_benchmark
    from cli import context

    result = run_benchmark(context.settings(), events=events, seconds=seconds, concurrency=concurrency,
                           seed=seed, workers=workers)
    typer.echo(json.dumps(result, indent=2 if not json_output else None, sort_keys=False))


@bench_app.command("models")
def models(
    json_output: bool = typer.Option(True, "--json/--no-json", help="print the result as JSON (the default)"),
    seed: int = typer.Option(0, "--seed", help="split and training seed"),
    datasets: str = typer.Option("criteo,avazu,talkingdata,sandbox", "--datasets",
                                 help="comma-separated: criteo, avazu, talkingdata, sandbox"),
    repeats: int = typer.Option(5, "--repeats", min=1, help="stratified 80/20 repeats on Criteo and Avazu"),
    serving: bool = typer.Option(True, "--serving/--no-serving", help="measure batch rows/s and single-call latency"),
) -> None:
    """CTR/CVR models vs peers on identical splits, plus serving speed (EVALUATION.md §2)."""
    from bench.models.runner import DATASETS, run

    chosen = tuple(d.strip() for d in datasets.split(",") if d.strip())
    unknown = [d for d in chosen if d not in DATASETS]
    if unknown or not chosen:
        raise typer.BadParameter(f"--datasets takes {', '.join(DATASETS)}")
    result = run(seed=seed, datasets=chosen, repeats=repeats, serving=serving,
                 progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    typer.echo(json.dumps(result, indent=2 if not json_output else None, sort_keys=False))


@bench_app.command("system")
def system(
    json_output: bool = typer.Option(True, "--json/--no-json", help="print the result as JSON (the default)"),
    seed: int = typer.Option(0, "--seed", help="first seed"),
    seeds: int = typer.Option(5, "--seeds", min=1, max=50, help="number of seeds (markets)"),
    days: int = typer.Option(7, "--days", min=1, max=60, help="simulated days per week"),
    campaigns: int = typer.Option(5, "--campaigns", min=1, max=5, help="campaigns in the account"),
    policies: str = typer.Option("static,platform_only,rules,adpilot_no_llm,adpilot", "--policies",
                                 help="comma-separated policies (see EVALUATION.md §5)"),
    llm: str = typer.Option("embedded", "--llm", help="the LLM of the adpilot policy: embedded | openai | fake"),
    plot: Path | None = typer.Option(None, "--plot", help="write % of LP* per day per policy to this PNG"),
    stall_s: float = typer.Option(900.0, "--stall-seconds", min=10.0,
                                  help="give up when the simulation makes no progress for this long"),
    jobs: int = typer.Option(2, "--jobs", min=1, max=8, help="weeks run side by side (results do not change)"),
) -> None:
    """The whole loop (store, sync, models, pacer, agents, change-sets, guardrails, apply) on the stepped sandbox,
    side by side with baselines on identical markets (EVALUATION.md §5)."""
    from bench.system.progress import week_bars
    from bench.system.runner import run
    from cli import context

    if llm not in ("embedded", "openai", "fake"):
        raise typer.BadParameter("--llm takes embedded, openai or fake")
    chosen = [p.strip() for p in policies.split(",") if p.strip()]
    settings = context.settings()
    with week_bars() as on_week:
        result = run(settings, seeds=list(range(seed, seed + seeds)), days=days, campaigns=campaigns,
                     policies=chosen, llm=llm, log_dir=settings.data_dir / "bench-system", stall_s=stall_s,
                     on_week=on_week, jobs=jobs)
    if plot is not None:
        from reports.plots import policy_days_png

        policy_days_png({name: r["per_day_pct_of_lp"] for name, r in result["policies"].items()}, plot)
        result["plot"] = str(plot)
    typer.echo(json.dumps(result, indent=2 if not json_output else None, sort_keys=False))


@bench_app.command("soak")
def soak(
    json_output: bool = typer.Option(True, "--json/--no-json", help="print the result as JSON (the default)"),
    days: int = typer.Option(30, "--days", min=2, max=120, help="simulated days"),
    campaigns: int = typer.Option(5, "--campaigns", min=1, max=5),
    seed: int = typer.Option(0, "--seed"),
    retention_days: int = typer.Option(7, "--retention-days", min=1,
                                       help="impression-log retention (and training window) during the soak"),
    stall_s: float = typer.Option(900.0, "--stall-seconds", min=10.0),
) -> None:
    """24/7 means flat: daemon RSS, queue depth at every step and database size by table, per simulated day."""
    from bench.soak.runner import run
    from bench.system.progress import week_bars
    from cli import context

    settings = context.settings()
    with week_bars() as on_week:
        result = run(settings, days=days, campaigns=campaigns, seed=seed, retention_days=retention_days,
                     log_dir=settings.data_dir / "bench-soak", stall_s=stall_s, on_week=on_week)
    typer.echo(json.dumps(result, indent=2 if not json_output else None, sort_keys=False))
