"""The demo orchestrator, on the stepped clock (``simulation.week``).

1. Open the store (the embedded PostgreSQL unless a URL is configured) and migrate it.
2. Run the week of the chosen policy (``adpilot`` with the chosen LLM; ``adpilot_no_llm`` with ``--llm fake``) in
   this store: a fresh simulated account served on 127.0.0.1 posting signed webhooks, the webhook receiver and a
   daemon replica as subprocesses, the market moving one tick only when everything due has finished. A scripted
   operator (actor ``demo-scripted-human``, labelled as such in the audit log) approves what waits for approval.
3. Replay the same week on the same seed under ``static`` and ``rules`` (each in a scratch database dropped
   afterwards), for "adpilot vs what you would have had".
4. Summarise (store + the sandbox's scoreboard) and write the report.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from adpilot.errors import AdpilotError
from adpilot.settings import Settings
from agents.llm.health import LLM_REMEDY, probe_in_subprocess
from db import migrate
from db.database import Database, open_database
from db.schema import AdAccount, Campaign, PeriodClaim
from demo.summary import daily_scores, report_extras, summarise
from platforms.sandbox.clock import DEFAULT_START
from reports import build_report, collect_report
from scheduler.status import daemon_status
from simulation import POLICIES, SCRIPTED_HUMAN, Policy, WeekRun, WeekSpec, run_week
from simulation.processes import child_env, parent_environ
from simulation.scratch import ScratchServer

__all__ = ["REPLAYED", "SCRIPTED_HUMAN", "DemoOptions", "DemoResult", "run_demo"]

REPLAYED = ("static", "rules")  # the baselines the demo replays on the same seed


@dataclass(frozen=True)
class DemoOptions:
    days: int = 7
    campaigns: int = 5
    seed: int = 0
    llm: str = "embedded"
    replicas: int = 1
    agents: bool = True  # False: the same week with sync and pacing only
    compare: bool = True  # replay the week under the baselines of REPLAYED
    report: Path | None = None
    stall_s: float = 900.0


@dataclass
class DemoResult:
    summary: dict[str, Any]
    report: Path | None
    account_id: int
    log_dir: Path
    seconds: float


def _next_free_start(database: Database) -> datetime:
    """The first Monday after every period any earlier run in this store claimed (claims are unique per period).
    A Monday, so the market of one seed is the same whatever week it lands on."""
    with database.transaction() as session:
        latest = session.scalar(select(func.max(PeriodClaim.period_start)).where(
            PeriodClaim.job_name.not_like("sim-clock:%")))
    if latest is None or latest < DEFAULT_START:
        return DEFAULT_START
    day = (latest + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _retire_stale_demo_accounts(database: Database) -> int:
    """Campaigns of earlier simulated accounts no longer exist in any market: mark them removed so no daemon job
    works on them (their history stays for reports)."""
    with database.transaction() as session:
        stale = session.scalars(
            select(Campaign)
            .join(AdAccount)
            .where(AdAccount.platform == "sandbox", AdAccount.external_id.like("sim-%"), Campaign.status != "removed")
        ).all()
        for campaign in stale:
            campaign.status = "removed"
        return len(stale)


def _main_policy(options: DemoOptions) -> Policy:
    if not options.agents:
        return Policy("pacer_only", loop=True, pacing=True, description="sync and pacing, no agents")
    if options.llm == "fake":
        return POLICIES["adpilot_no_llm"]
    return POLICIES["adpilot"].with_llm(options.llm)


def run_demo(settings: Settings, options: DemoOptions, *, console: Console) -> DemoResult:
    t0 = time.monotonic()
    database = open_database(settings)
    database.ping()
    migrate.upgrade(database)
    _retire_stale_demo_accounts(database)
    log_dir = settings.data_dir / "demo" / f"{options.seed}-{secrets.token_hex(3)}"
    log_dir.mkdir(parents=True, exist_ok=True)
    policy = _main_policy(options)
    if policy.agents and policy.llm != "fake":
        _smoke_test_llm(settings, policy.llm, console)
    spec = WeekSpec(policy, seed=options.seed, days=options.days, campaigns=options.campaigns,
                    start=_next_free_start(database), stall_s=options.stall_s, replicas=options.replicas)
    week = _with_progress(console, f"{policy.name}: simulated day", options.days,
                          lambda progress: run_week(settings, spec, database=database, log_dir=log_dir,
                                                    progress=progress))
    assert week.account_id is not None
    _retire_stale_demo_accounts(database)
    replays = _replays(settings, database, spec, options, log_dir, console) if options.compare else []
    result = _finish(database, week, spec, options, replays, log_dir, time.monotonic() - t0)
    return result


def _with_progress(console: Console, label: str, days: int, run: Any) -> WeekRun:
    columns = (TextColumn("[bold]{task.description} {task.fields[day]}/" + str(days)), BarColumn(),
               TextColumn("{task.fields[note]}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=1.0, day=0, note="")

        def progress(done: int, total: int, note: str) -> None:
            bar.update(task, completed=done / total, day=int(days * done / total), note=note)

        week: WeekRun = run(progress)
        bar.update(task, completed=1.0, day=days)
    return week


def _replays(settings: Settings, database: Database, spec: WeekSpec, options: DemoOptions, log_dir: Path,
             console: Console) -> list[dict[str, Any]]:
    """The same week on the same seed under the baselines (scratch stores, dropped afterwards)."""
    out = []
    server = ScratchServer.beside(database)
    try:
        for name in REPLAYED:
            replay = WeekSpec(POLICIES[name], seed=spec.seed, days=spec.days, campaigns=spec.campaigns,
                              stall_s=spec.stall_s)
            if replay.policy.loop:
                with server.database(name) as scratch:
                    week = _with_progress(console, f"replay {name}: simulated day", options.days,
                                          lambda p, s=scratch, r=replay: run_week(settings, r, database=s,
                                                                                  log_dir=log_dir, progress=p))
            else:
                week = run_week(settings, replay)
            out.append(week.summary)
    finally:
        server.dispose()
    return out


def _smoke_test_llm(settings: Settings, llm: str, console: Console) -> None:
    """One short constrained generation in a child process before the week: a model that cannot load or run here
    (missing package, integrity check, a runtime crashing natively) stops the demo now, with the remedy."""
    console.print("checking the LLM backend (one short generation)…")
    env = {"ADPILOT_LLM_BACKEND": llm, "ADPILOT_LLM_CACHE_DIR": str(settings.llm_weights_cache_dir),
           "ADPILOT_LLM_MODEL": settings.llm_model, "ADPILOT_DATA_DIR": str(settings.data_dir)}
    if settings.llm_base_url:
        env["ADPILOT_LLM_BASE_URL"] = settings.llm_base_url
    if settings.llm_api_key:
        env["ADPILOT_LLM_API_KEY"] = settings.llm_api_key.get_secret_value()
    result = probe_in_subprocess(child_env(parent_environ(), env))
    if not result.get("ok"):
        tail = "".join(f"\n  | {line}" for line in result.get("stderr_tail", [])[-20:])
        raise AdpilotError(f"the LLM backend cannot run here: {result.get('problem')}{tail}", remedy=LLM_REMEDY)
    console.print(
        f"LLM ok: {result.get('backend')} {result.get('model')} · load {result.get('load_s')} s · "
        f"{result.get('tokens_per_s')} tokens/s",
        markup=False,
    )


def _comparison_row(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": summary["policy"],
        "pct_of_lp": summary["pct_of_lp"],
        "conversions": summary["conversions"],
        "spend_micros": summary["spend_micros"],
        "cpa_over_target": summary["cpa_over_target"],
        "per_day_pct_of_lp": summary["per_day_pct_of_lp"],
    }


def _finish(database: Database, week: WeekRun, spec: WeekSpec, options: DemoOptions,
            replays: list[dict[str, Any]], log_dir: Path, seconds: float) -> DemoResult:
    assert week.account_id is not None
    start, end = spec.start, spec.start + timedelta(days=spec.days)
    with database.transaction() as session:
        rows = session.execute(
            select(Campaign.id, Campaign.external_id).where(Campaign.account_id == week.account_id)
        ).all()
    scores = daily_scores(week.platform, {ext: cid for cid, ext in rows}, start)
    summary = summarise(database, account_id=week.account_id, start=start, end=end, days=options.days,
                        scores=scores)
    summary["policy"] = spec.policy.name
    summary["week"] = week.summary
    summary["comparison"] = [_comparison_row(week.summary), *(_comparison_row(r) for r in replays)]
    summary["stuck_jobs"] = [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in job.items()}
        for job in daemon_status(database).stuck
    ]
    report = None
    if options.report is not None:
        data = collect_report(database, start=start, end=end, account_id=week.account_id)
        data.scores, data.title = scores, "adpilot demo"
        report = build_report(report_extras(data, summary, llm_backend=spec.policy.llm), options.report)
    return DemoResult(summary, report, week.account_id, log_dir, seconds)
