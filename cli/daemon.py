"""``adpilot daemon …``: run a replica, show the fleet's status, serve the shared sandbox market.

Thin entry points (STYLE.md 10): parse options, build settings/database/platform at the edge, call one service.
The lead registers ``daemon_app`` in ``cli/main.py``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import typer

from adpilot.logs import configure_logging, secrets_of
from cli import context
from cli.errors import EXIT_FINDINGS
from cli.output import console, emit_json, emit_table
from db.work_queue import RetryPolicy
from scheduler.daemon import DEFAULT_SIM_START, Daemon, DaemonConfig, new_replica_id
from scheduler.faults import CRASH_POINTS
from scheduler.status import daemon_status

__all__ = ["daemon_app"]

daemon_app = typer.Typer(help="The 24/7 daemon: scheduled jobs and work items, coordinated through Postgres.",
                         no_args_is_help=True)


@daemon_app.command("run")
def run(
    clock: str = typer.Option("real", "--clock",
                              help="real | simulated (wall-mapped) | stepped (driven by `adpilot demo`/bench)"),
    clock_name: str = typer.Option("stepped", "--clock-name", help="the stepped clock to follow (stepped clock)"),
    min_fire_s: float = typer.Option(0.05, "--min-fire-seconds", min=0.005,
                                     help="shortest interval between scheduler fires (wall seconds)"),
    speed: float = typer.Option(1800.0, "--speed", help="simulated seconds per wall second (simulated clock)"),
    sim_start: datetime = typer.Option(DEFAULT_SIM_START.isoformat(), "--sim-start",
                                       help="simulated time at the shared anchor (UTC)"),
    replica_id: str | None = typer.Option(None, "--replica-id", help="unique per replica; default host-pid-random"),
    platform_url: str | None = typer.Option(None, "--platform-url", help="sandbox server, e.g. http://127.0.0.1:8765"),
    metrics_port: int | None = typer.Option(None, "--metrics-port", help="serve Prometheus metrics on 127.0.0.1"),
    workers: int = typer.Option(1, "--workers", min=1, max=32, help="worker threads claiming work items"),
    lease_s: float = typer.Option(60.0, "--lease-seconds", min=0.5, help="work-item lease (wall seconds)"),
    poll_s: float = typer.Option(1.0, "--poll-seconds", min=0.01, help="idle poll interval of the workers"),
    heartbeat_s: float = typer.Option(5.0, "--heartbeat-seconds", min=0.1),
    retry_base_s: float = typer.Option(30.0, "--retry-base-seconds", min=0.0, help="first retry backoff"),
    grace_s: float = typer.Option(30.0, "--shutdown-grace-seconds", min=0.0),
    plugins: list[str] = typer.Option([], "--plugin", help="module:function(registry) adding jobs/handlers"),
    only_jobs: list[str] = typer.Option([], "--job", help="schedule only these jobs (repeatable)"),
    no_builtin: bool = typer.Option(False, "--no-builtin-jobs", help="register no built-in jobs"),
    crash_at: str | None = typer.Option(None, "--crash-at", hidden=True,
                                        help=f"TEST ONLY: SIGKILL self at one of {', '.join(CRASH_POINTS)}"),
) -> None:
    """Run one daemon replica until SIGTERM/SIGINT."""
    if clock not in ("real", "simulated", "stepped"):
        raise typer.BadParameter("use real, simulated or stepped", param_hint="--clock")
    cfg = context.settings()
    configure_logging(cfg.log_level, json=cfg.log_json, secrets=secrets_of(cfg))
    database = context.database(cfg)
    platform = None
    if platform_url:
        from platforms.sandbox.remote import RemoteSandbox

        platform = RemoteSandbox(platform_url)
    config = DaemonConfig(
        replica_id=replica_id or new_replica_id(), clock=clock, speed=speed,  # type: ignore[arg-type]
        clock_name=clock_name, min_fire_s=min_fire_s,
        sim_start=sim_start if sim_start.tzinfo else sim_start.replace(tzinfo=DEFAULT_SIM_START.tzinfo),
        metrics_port=metrics_port, workers=workers, lease_s=lease_s, poll_s=poll_s, heartbeat_s=heartbeat_s,
        shutdown_grace_s=grace_s, retry=RetryPolicy(base_s=retry_base_s), crash_at=crash_at,
        plugins=tuple(plugins), builtin_jobs=not no_builtin, only_jobs=tuple(only_jobs),
    )
    try:
        Daemon(database, config, settings=cfg, platform=platform).run()
    finally:
        database.dispose()


@daemon_app.command("status")
def status(
    as_json: bool = typer.Option(False, "--json", help="one JSON document on stdout"),
    stale_after_s: float = typer.Option(30.0, "--stale-after-seconds", help="heartbeat age that counts as stale"),
    stuck_after_s: float = typer.Option(900.0, "--stuck-after-seconds",
                                        help="a claimed job run unfinished for this long counts as stuck"),
) -> None:
    """Replicas, leases, queue depth, items in flight, last runs, failures, stuck jobs. Exit 2 on dead items, stale
    replicas or stuck jobs."""
    database = context.database()
    try:
        report = daemon_status(database, stale_after=timedelta(seconds=stale_after_s),
                               stuck_after=timedelta(seconds=stuck_after_s))
    finally:
        database.dispose()
    if as_json:
        emit_json(report.to_json())
    else:
        emit_table("replicas", ["id", "hostname", "pid", "heartbeat_at", "stopped_at", "stale"], report.replicas,
                   as_json=False)
        emit_table("leases", ["name", "holder", "term", "expires_at"], report.leases, as_json=False)
        emit_table("queue depth", ["status", "count"],
                   [{"status": k, "count": v} for k, v in report.queue.items()], as_json=False)
        emit_table("in flight", ["id", "kind", "campaign_id", "locked_by", "locked_until", "attempts"],
                   report.in_flight, as_json=False)
        emit_table("last runs", ["job", "period_start", "claimed_by", "finished_at", "outcome"], report.last_runs,
                   as_json=False)
        emit_table("failures", ["id", "kind", "status", "attempts", "run_after", "last_error"], report.failures,
                   as_json=False)
        emit_table("stuck jobs (claimed, never finished)", ["job", "period_start", "claimed_by", "claimed_at"],
                   report.stuck, as_json=False)
        console.print("healthy" if report.healthy else
                      f"[bold red]unhealthy:[/] {report.dead} dead item(s), {report.stale_replicas} stale "
                      f"replica(s), {len(report.stuck)} stuck job(s)")
    if not report.healthy:
        raise typer.Exit(EXIT_FINDINGS)


@daemon_app.command("sandbox")
def sandbox(
    port: int = typer.Option(8765, "--port"),
    host: str = typer.Option("127.0.0.1", "--host"),
    seed: int = typer.Option(0, "--seed"),
    campaigns: int = typer.Option(4, "--campaigns", min=1),
    users: int = typer.Option(60_000, "--users", min=100),
    traffic_scale: float = typer.Option(1.0, "--traffic-scale", min=0.0),
    max_writes_per_tick: int = typer.Option(60, "--max-writes-per-tick", min=1),
    start: datetime = typer.Option(DEFAULT_SIM_START.isoformat(), "--start", help="simulated start (UTC)"),
) -> None:
    """Serve one shared sandbox market over HTTP for every daemon replica (loopback by default)."""
    from platforms.sandbox import SandboxConfig
    from platforms.sandbox.server import serve

    config = SandboxConfig(seed=seed, n_campaigns=campaigns, n_users=users, traffic_scale=traffic_scale,
                           max_writes_per_tick=max_writes_per_tick,
                           start=start if start.tzinfo else start.replace(tzinfo=DEFAULT_SIM_START.tzinfo))
    serve(config, host=host, port=port)
