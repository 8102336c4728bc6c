"""One simulated week of one policy on one seed, on the stepped clock.

The market is a :class:`SandboxPlatform` in this process, served over HTTP on loopback; for the loop policies the
webhook receiver and one daemon replica run as subprocesses (``python -m cli …``, exactly what an operator runs),
the daemon on ``--clock stepped``. Each step of 30 simulated minutes:

1. the market simulates the tick that ends at ``T`` and delivers its webhooks (synchronously);
2. the work those webhooks queued finishes, still at the old time;
3. the clock moves to ``T``; the daemon fires every job due at ``T`` (sync, pacing, agents, inbox, retraining…);
   the driver waits until they and every item they queued (applies included) have finished;
4. the scripted operator approves what waits for approval, and its applies finish.

Nothing moves on while work is left, so what the week shows depends on what was decided, not on how busy the
machine is; with one replica and the fake LLM two runs of one seed give byte-identical summaries.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from adpilot.errors import AdpilotError
from adpilot.settings import Settings
from changesets import approve, evaluate_outcomes
from db.changesets import ChangeSetRepository
from db.database import Database
from db.reporting import change_set_counts, llm_tokens
from db.schema import AdAccount
from db.sim_clock import SimClockRepository
from db.work_queue import WorkQueue
from platforms.sandbox import SandboxConfig, SandboxPlatform, WebhookConfig, WebhookSender
from platforms.sandbox.clock import DEFAULT_START, TICK, TICKS_PER_DAY
from scheduler.jobs.sync import sync_platform
from scheduler.stepper import Stepper
from simulation.outcome import week_summary
from simulation.policies import Policy
from simulation.processes import Child, SandboxServer, child_env, free_port, parent_environ, wait_healthy

__all__ = ["SCRIPTED_HUMAN", "Observer", "TickEnd", "WeekRun", "WeekSpec", "run_week"]

SCRIPTED_HUMAN = "demo-scripted-human"
Progress = Callable[[int, int, str], None]  # (ticks done, ticks in all, note)


@dataclass(frozen=True)
class TickEnd:
    """What an observer sees at the end of each step (everything due has finished): for ``bench soak``."""

    tick: int
    now: datetime
    database: Database
    daemon_pid: int


Observer = Callable[[TickEnd], None]


@dataclass(frozen=True)
class WeekSpec:
    policy: Policy
    seed: int = 0
    days: int = 7
    campaigns: int = 5
    start: datetime = DEFAULT_START  # a Monday 00:00 UTC: the market depends on tick numbers and weekdays only
    stall_s: float = 900.0
    env: tuple[tuple[str, str], ...] = ()  # extra ADPILOT_* settings for the children (e.g. a retention)
    replicas: int = 1  # daemon replicas; with more than one the order of work within a step is not fixed


@dataclass
class WeekRun:
    summary: dict[str, Any]
    platform: SandboxPlatform
    account_id: int | None  # the store's account (loop policies)
    log_dir: Path | None
    wait_s: float = 0.0  # wall seconds the driver spent waiting for the daemon


def _platform(spec: WeekSpec, tag: str, webhooks: WebhookSender | None) -> SandboxPlatform:
    config = SandboxConfig(seed=spec.seed, n_campaigns=spec.campaigns, start=spec.start,
                           account_id=f"sim-{tag}", **spec.policy.sandbox)
    return SandboxPlatform(config, webhooks=webhooks)


def _track_budgets(platform: SandboxPlatform, budgets: dict[tuple[str, int], int], day: int) -> None:
    for campaign in platform.list_campaigns(platform.list_accounts()[0].id):
        key = (campaign.id, day)
        budgets[key] = max(budgets.get(key, 0), campaign.daily_budget_micros)


def run_week(
    settings: Settings,
    spec: WeekSpec,
    *,
    database: Database | None = None,
    log_dir: Path | None = None,
    progress: Progress | None = None,
    observer: Observer | None = None,
) -> WeekRun:
    """Run ``spec``. Loop policies need ``database`` (a migrated store of their own) and ``log_dir``;
    ``observer`` is called at the end of every step of a loop policy."""
    tag = f"{spec.policy.name}-{spec.seed}-{secrets.token_hex(3)}".replace("_", "-")
    budgets: dict[tuple[str, int], int] = {}
    total = spec.days * TICKS_PER_DAY
    if not spec.policy.loop:
        platform = _platform(spec, tag, None)
        for k in range(total):
            _track_budgets(platform, budgets, k // TICKS_PER_DAY)
            platform.advance(1)
            if progress is not None and (k + 1) % TICKS_PER_DAY == 0:
                progress(k + 1, total, "")
        return WeekRun(_summary(platform, spec, budgets), platform, None, None)
    if database is None or log_dir is None:
        raise AdpilotError(f"policy {spec.policy.name} runs the whole loop and needs a store and a log directory")
    return _Loop(settings, spec, database, log_dir / tag, tag, progress, observer).run(budgets)


def _summary(platform: SandboxPlatform, spec: WeekSpec, budgets: dict[tuple[str, int], int]) -> dict[str, Any]:
    return week_summary(platform, policy=spec.policy.name, seed=spec.seed, start=spec.start, days=spec.days,
                        budgets=budgets)


class _Loop:
    """The loop policies: the market in this process, the receiver and a stepped daemon as subprocesses."""

    def __init__(self, settings: Settings, spec: WeekSpec, database: Database, log_dir: Path, tag: str,
                 progress: Progress | None, observer: Observer | None) -> None:
        self.settings, self.spec, self.database, self.log_dir, self.tag = settings, spec, database, log_dir, tag
        self.progress, self.observer = progress, observer
        self.children: list[Child] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def _env(self, secret: str) -> dict[str, str]:
        s, policy = self.settings, self.spec.policy
        url = self.database.engine.url.render_as_string(hide_password=False)
        env = {
            "ADPILOT_DATABASE_URL": url,
            "ADPILOT_DATA_DIR": str(s.data_dir),
            "ADPILOT_LLM_BACKEND": policy.llm,
            "ADPILOT_LLM_CACHE_DIR": str(s.llm_weights_cache_dir),
            "ADPILOT_LLM_MODEL": s.llm_model,
            "ADPILOT_WEBHOOK_SANDBOX_SECRET": secret,
            "ADPILOT_LOG_LEVEL": "WARNING",
            "ADPILOT_AGENTS_ENABLED": "true" if policy.agents else "false",
            "ADPILOT_PACING_ENABLED": "true" if policy.pacing else "false",
        }
        if s.guardrail_policy_path:
            env["ADPILOT_GUARDRAIL_POLICY_PATH"] = str(s.guardrail_policy_path)
        if s.llm_base_url:
            env["ADPILOT_LLM_BASE_URL"] = s.llm_base_url
        if s.llm_api_key:
            env["ADPILOT_LLM_API_KEY"] = s.llm_api_key.get_secret_value()
        env.update(self.spec.env)
        return child_env(parent_environ(), env)

    def _check(self) -> None:
        for child in self.children:
            child.check_alive()

    def run(self, budgets: dict[tuple[str, int], int]) -> WeekRun:
        spec = self.spec
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        receiver_port, sandbox_port = free_port(), free_port()
        sender = WebhookSender(WebhookConfig(url=f"http://127.0.0.1:{receiver_port}/webhooks/sandbox", secret=secret))
        platform = _platform(spec, self.tag, sender)
        env = self._env(secret)
        clock = f"sim:{self.tag}"
        replicas = [f"sim-{self.tag}-{i}" for i in range(spec.replicas)]
        with self.database.transaction() as session:
            since = SimClockRepository(session).wall_now()
        stepper = Stepper(self.database, clock, replicas, since, stall_s=spec.stall_s, check=self._check)
        server = SandboxServer(platform, sandbox_port).start()
        try:
            receiver = Child("webhooks", ["webhooks", "serve", "--port", str(receiver_port)], env, self.log_dir)
            self.children.append(receiver)
            wait_healthy(f"http://127.0.0.1:{receiver_port}/healthz", timeout_s=120, child=receiver)
            plugins = [arg for p in spec.policy.plugins for arg in ("--plugin", p)]
            for i, replica in enumerate(replicas):
                self.children.append(Child(f"daemon-{i}" if spec.replicas > 1 else "daemon", [
                    "daemon", "run", "--clock", "stepped", "--clock-name", clock, "--platform-url", server.url,
                    "--replica-id", replica, "--workers", "1", "--lease-seconds", "900", "--poll-seconds", "0.02",
                    "--min-fire-seconds", "0.02", "--heartbeat-seconds", "2", "--retry-base-seconds", "0.5",
                    "--shutdown-grace-seconds", "10",  # under Child.stop's 20 s before SIGKILL (a stale replica)
                    *plugins,
                ], env, self.log_dir))
            account_id = self._drive(platform, server.url, stepper, budgets)
        finally:
            for child in reversed(self.children):
                child.stop()
            server.stop()
            sender.close()
        end = spec.start + timedelta(days=spec.days)
        # the hourly syncs re-read 6 h; conversions attributed to older hours arrive later: one full re-read so the
        # store's totals are the platform's (the old demo showed fewer conversions than the platform reported)
        sync_platform(self.database, platform, "sandbox", end=end, stats_lookback=end - spec.start,
                      impression_lookback=timedelta(0))
        evaluate_outcomes(self.database, now=end)
        summary = _summary(platform, spec, budgets)
        with self.database.transaction() as session:
            summary["changesets"] = change_set_counts(session, account_id).as_dict()
            summary["llm_tokens"] = llm_tokens(session, account_id)
        return WeekRun(summary, platform, account_id, self.log_dir, stepper.waited_s)

    def _drive(self, platform: SandboxPlatform, url: str, stepper: Stepper,
               budgets: dict[tuple[str, int], int]) -> int:
        spec, total = self.spec, self.spec.days * TICKS_PER_DAY
        stepper.step_to(spec.start)
        account_id = self._account_id(platform)
        approved = 0
        with httpx.Client(base_url=url, timeout=600) as client:
            for k in range(1, total + 1):
                _track_budgets(platform, budgets, (k - 1) // TICKS_PER_DAY)
                now = spec.start + k * TICK
                client.post("/advance", json={"until": now.isoformat()}).raise_for_status()
                stepper.wait_idle(now - TICK)
                stepper.step_to(now)
                waiting = _approve_waiting(self.database, account_id)
                if waiting:
                    approved += waiting
                    stepper.wait_idle(now)
                if self.observer is not None:
                    self.observer(TickEnd(k, now, self.database, self.children[-1].proc.pid))
                if self.progress is not None:
                    self.progress(k, total, f"{now:%a %H:%M} · approved {approved} (scripted operator)")
        return account_id

    def _account_id(self, platform: SandboxPlatform) -> int:
        external = platform.list_accounts()[0].id
        with self.database.transaction() as session:
            found = session.scalar(select(AdAccount.id).where(AdAccount.external_id == external))
        if found is None:
            raise AdpilotError("the daemon's first sync did not store the sandbox account",
                               remedy=f"see the daemon's log {self.log_dir / 'daemon.log'}")
        return int(found)


def _approve_waiting(database: Database, account_id: int) -> int:
    """The scripted operator: approve what waits for approval and queue it for the apply job."""
    with database.transaction() as session:
        waiting = [
            cs.id
            for cs in ChangeSetRepository(session).list_change_sets(status="pending_approval", limit=200)
            if cs.account_id == account_id
        ]
    for cs_id in sorted(waiting):
        cs = approve(database, cs_id, actor=SCRIPTED_HUMAN, comment="approved by the simulation's scripted operator")
        with database.transaction() as session:
            WorkQueue(session).enqueue_apply(
                cs.id, campaign_id=cs.campaign_id, account_id=cs.account_id, trigger="approval"
            )
    return len(waiting)
