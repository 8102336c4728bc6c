"""The demo orchestrator.

1. Open the store (the embedded PostgreSQL unless a URL is configured) and migrate it.
2. Start a fresh simulated account in the sandbox (a new account id and the next free simulated week, so a second
   run never collides with the first's periods or rows), served on 127.0.0.1 and posting signed webhooks.
3. Start the webhook receiver and N daemon replicas as subprocesses on the simulated clock; the daemons sync stats,
   run the agents daily and on triggers, apply change-sets, retrain models nightly, check anomalies.
4. Act as a *scripted human* (actor ``demo-scripted-human``, labelled as such in the audit log): approve change-sets
   that the guardrails left waiting for approval, so the week shows the whole loop.
5. Stop everything, sync the last hours, evaluate outcomes, and summarise (store + the sandbox's scoreboard).
"""

from __future__ import annotations

import base64
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
from adpilot.money import format_micros
from adpilot.settings import Settings
from agents.llm.health import LLM_REMEDY, probe_in_subprocess
from changesets import approve, evaluate_outcomes
from db import migrate
from db.changesets import ChangeSetRepository
from db.database import Database, open_database
from db.schema import AdAccount, Campaign, PeriodClaim
from db.work_queue import WorkQueue
from demo.processes import Child, SandboxServer, child_env, free_port, parent_environ, wait_healthy
from demo.summary import daily_scores, summarise
from models.estimator import ModelEstimator
from models.predictor import ChampionSlot
from models.registry import RegistryService
from platforms.sandbox import SandboxConfig, SandboxPlatform, WebhookConfig, WebhookSender
from platforms.sandbox.clock import DEFAULT_START
from platforms.sandbox.scoreboard import scoreboard_of
from reports import build_report, collect_report
from scheduler.jobs.sync import sync_platform

__all__ = ["SCRIPTED_HUMAN", "DemoOptions", "DemoResult", "run_demo"]

SCRIPTED_HUMAN = "demo-scripted-human"


@dataclass(frozen=True)
class DemoOptions:
    days: int = 7
    campaigns: int = 5
    seed: int = 0
    llm: str = "embedded"
    replicas: int = 1
    day_seconds: float = 30.0  # wall seconds per simulated day
    agents: bool = True  # False: the same week with sync and pacing only — the baseline the agents must beat
    report: Path | None = None


@dataclass
class DemoResult:
    summary: dict[str, Any]
    report: Path | None
    account_id: int
    log_dir: Path


def _next_free_start(database: Database) -> datetime:
    """The first simulated day after every period any earlier run claimed (fresh periods, no stale claims)."""
    with database.transaction() as session:
        latest = session.scalar(select(func.max(PeriodClaim.period_start)))
    if latest is None or latest < DEFAULT_START:
        return DEFAULT_START
    return (latest + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)


class ModelSwitch:
    """Cold start on the sandbox's prior estimator; once the daemon's nightly retraining has promoted a CTR and a
    CVR champion, the market's bidder uses them (and hot-reloads later champions through ``ChampionSlot``)."""

    def __init__(self, database: Database, platform: SandboxPlatform) -> None:
        self.service, self.platform, self.on = RegistryService(database), platform, False

    @property
    def label(self) -> str:
        return "adpilot's CTR/CVR models" if self.on else "the prior (no model yet)"

    def check(self) -> None:
        if self.on or self.service.champion_version("ctr") is None or self.service.champion_version("cvr") is None:
            return
        self.platform.set_estimator(
            ModelEstimator(
                ChampionSlot("ctr", self.service, prior=0.01).get, ChampionSlot("cvr", self.service, prior=0.05).get
            )
        )
        self.on = True


def _retire_stale_demo_accounts(database: Database) -> int:
    """Campaigns of earlier demo runs belong to simulated accounts that no longer exist: mark them removed so no
    daemon job works on them (their history stays for reports)."""
    with database.transaction() as session:
        stale = session.scalars(
            select(Campaign)
            .join(AdAccount)
            .where(AdAccount.platform == "sandbox", AdAccount.external_id.like("demo-%"), Campaign.status != "removed")
        ).all()
        for campaign in stale:
            campaign.status = "removed"
        return len(stale)


def _approve_waiting(database: Database, account_id: int) -> int:
    """The scripted human: approve what waits for approval, and queue it for the apply job."""
    with database.transaction() as session:
        waiting = [
            cs.id
            for cs in ChangeSetRepository(session).list_change_sets(status="pending_approval", limit=200)
            if cs.account_id == account_id
        ]
    for cs_id in waiting:
        cs = approve(database, cs_id, actor=SCRIPTED_HUMAN, comment="approved by the demo's scripted human")
        with database.transaction() as session:
            WorkQueue(session).enqueue_apply(
                cs.id, campaign_id=cs.campaign_id, account_id=cs.account_id, trigger="approval"
            )
    return len(waiting)


def run_demo(settings: Settings, options: DemoOptions, *, console: Console) -> DemoResult:
    t0 = time.monotonic()
    database = open_database(settings)
    database.ping()
    migrate.upgrade(database)
    url = database.engine.url.render_as_string(hide_password=False)
    _retire_stale_demo_accounts(database)
    start = _next_free_start(database)
    tag = f"{options.seed}-{secrets.token_hex(3)}"
    log_dir = settings.data_dir / "demo" / tag
    log_dir.mkdir(parents=True, exist_ok=True)

    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    receiver_port, sandbox_port = free_port(), free_port()
    sender = WebhookSender(WebhookConfig(url=f"http://127.0.0.1:{receiver_port}/webhooks/sandbox", secret=secret))
    platform = SandboxPlatform(
        SandboxConfig(seed=options.seed, n_campaigns=options.campaigns, start=start, account_id=f"demo-{tag}"),
        webhooks=sender,
    )
    env = child_env(
        parent_environ(),
        {
            "ADPILOT_DATABASE_URL": url,
            "ADPILOT_DATA_DIR": str(settings.data_dir),
            "ADPILOT_LLM_BACKEND": options.llm,
            "ADPILOT_LLM_CACHE_DIR": str(settings.llm_weights_cache_dir),
            "ADPILOT_WEBHOOK_SANDBOX_SECRET": secret,
            "ADPILOT_LOG_LEVEL": "WARNING",
            **(
                {"ADPILOT_GUARDRAIL_POLICY_PATH": str(settings.guardrail_policy_path)}
                if settings.guardrail_policy_path
                else {}
            ),
            **({"ADPILOT_LLM_BASE_URL": settings.llm_base_url} if settings.llm_base_url else {}),
            **({"ADPILOT_LLM_API_KEY": settings.llm_api_key.get_secret_value()} if settings.llm_api_key else {}),
            "ADPILOT_LLM_MODEL": settings.llm_model,
            "ADPILOT_AGENTS_ENABLED": "true" if options.agents else "false",
        },
    )
    if options.agents and options.llm != "fake":
        _smoke_test_llm(env, console)
    speed = 86_400 / options.day_seconds
    children: list[Child] = []
    server = SandboxServer(platform, sandbox_port).start()
    try:
        receiver = Child("webhooks", ["webhooks", "serve", "--port", str(receiver_port)], env, log_dir)
        children.append(receiver)
        wait_healthy(f"http://127.0.0.1:{receiver_port}/healthz", timeout_s=90, child=receiver)
        for i in range(options.replicas):
            children.append(
                Child(
                    f"daemon-{i}",
                    [
                        "daemon",
                        "run",
                        "--clock",
                        "simulated",
                        "--speed",
                        f"{speed:g}",
                        "--sim-start",
                        start.isoformat(),
                        "--platform-url",
                        server.url,
                        "--replica-id",
                        f"demo-{tag}-{i}",
                        "--lease-seconds",
                        "600",
                        "--poll-seconds",
                        "0.2",
                        "--workers",
                        "3",  # syncs and applies keep flowing while a worker waits on the model
                        "--retry-base-seconds",
                        "2",
                    ],
                    env,
                    log_dir,
                )
            )
        end = start + timedelta(days=options.days)
        account_id = _wait_for_account(database, platform.list_accounts()[0].id, children)
        _drive(database, platform, account_id, start, end, options, console, children)
    finally:
        for child in reversed(children):
            child.stop()
        server.stop()
    return _finish(database, platform, account_id, start, options, log_dir, time.monotonic() - t0)


def _smoke_test_llm(env: dict[str, str], console: Console) -> None:
    """One short constrained generation in a child process before the week: a model that cannot load or run here
    (missing package, integrity check, a runtime crashing natively) stops the demo now, with the remedy."""
    console.print("checking the LLM backend (one short generation)…")
    result = probe_in_subprocess(env)
    if not result.get("ok"):
        tail = "".join(f"\n  | {line}" for line in result.get("stderr_tail", [])[-20:])
        raise AdpilotError(f"the LLM backend cannot run here: {result.get('problem')}{tail}", remedy=LLM_REMEDY)
    console.print(
        f"LLM ok: {result.get('backend')} {result.get('model')} · load {result.get('load_s')} s · "
        f"{result.get('tokens_per_s')} tokens/s",
        markup=False,
    )


def _wait_for_account(database: Database, external_id: str, children: list[Child]) -> int:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        with database.transaction() as session:
            found = session.scalar(select(AdAccount.id).where(AdAccount.external_id == external_id))
        if found is not None:
            return int(found)
        for child in children:
            child.check_alive()
        time.sleep(0.5)
    raise AdpilotError(
        "the daemon never synced the sandbox account within 180 s",
        remedy=f"see the daemon's log {children[-1].log_path}",
    )


def _drive(
    database: Database,
    platform: SandboxPlatform,
    account_id: int,
    start: datetime,
    end: datetime,
    options: DemoOptions,
    console: Console,
    children: list[Child],
) -> None:
    columns = (
        TextColumn("[bold]simulated day {task.completed:.0f}/{task.total:.0f}"),
        BarColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("week", total=options.days, note="")
        approved, models = 0, ModelSwitch(database, platform)
        while platform.now() < end:
            for child in children:
                child.check_alive()
            approved += _approve_waiting(database, account_id)
            models.check()
            elapsed = (platform.now() - start).total_seconds() / 86_400
            progress.update(
                task,
                completed=min(elapsed, options.days),
                note=f"{platform.now():%a %H:%M} · approved {approved} (scripted human) · bids on {models.label}",
            )
            time.sleep(0.5)
        progress.update(task, completed=options.days)


def _finish(
    database: Database,
    platform: SandboxPlatform,
    account_id: int,
    start: datetime,
    options: DemoOptions,
    log_dir: Path,
    seconds: float,
) -> DemoResult:
    end = platform.now()
    # a full re-sync: the daemons' hourly syncs may trail the simulated clock at high speed
    sync_platform(database, platform, "sandbox", end=end, stats_lookback=end - start)
    evaluate_outcomes(database, now=end)
    _retire_stale_demo_accounts(database)
    with database.transaction() as session:
        rows = session.execute(
            select(Campaign.id, Campaign.external_id, Campaign.target_cpa_micros, Campaign.daily_budget_micros).where(
                Campaign.account_id == account_id
            )
        ).all()
    index = {int(ext.split("_")[-1]) - 1: cid for cid, ext, _, _ in rows}
    scores = daily_scores(
        scoreboard_of(platform), index, {cid: t for cid, _, t, _ in rows if t}, {cid: b for cid, _, _, b in rows}, start
    )
    summary = summarise(
        database, account_id=account_id, start=start, end=end, days=options.days, scores=scores, seconds=seconds
    )
    report = None
    if options.report is not None:
        data = collect_report(database, start=start, end=end, account_id=account_id)
        data.scores, data.title = scores, "adpilot demo"
        data.summary = [
            {
                "campaign": c["name"],
                "spend": format_micros(c["spend_micros"]),
                "conversions": c["conversions"],
                "cpa": format_micros(c["cpa_micros"]),
                "target_cpa": format_micros(c["target_cpa_micros"]),
                "pct_of_lp": "-" if c["pct_of_lp"] is None else f"{c['pct_of_lp']}%",
            }
            for c in summary["campaigns"]
        ]
        report = build_report(data, options.report)
    return DemoResult(summary, report, account_id, log_dir)
