"""``adpilot bench webhooks``: receiver + real Postgres + loopback load → one JSON report (EVALUATION.md §3).

Figures:
- ``events_per_s``: valid events newly stored per second of the load phase (Meta deliveries carry two events);
- ``p50_ms`` / ``p99_ms``: acknowledgement latency of accepted (2xx) deliveries, measured by the generator;
- ``sent`` (deliveries), ``accepted`` (2xx), ``rejected`` (count by the receiver's reason label);
- ``lost``: valid events acknowledged but missing from the inbox, plus triggered runs missing from ``agent_runs``;
- ``duplicates``: inbox rows or runs beyond one per unique event; ``unexpected``: rows nobody validly sent.
- ``*_cpu_ms_per_request`` and ``cpu_bound_estimate_events_per_s_2_cores``: CPU spent per delivery, which stays
  meaningful when other work shares the cores (then the wall-clock ``events_per_s`` understates the receiver).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import psycopg
from pydantic import SecretStr

from adpilot.settings import Settings
from bench.webhooks.harness import ReceiverProcess, free_port, process_tree_cpu_s, scratch_database
from bench.webhooks.loadgen import Outcome, run_load
from bench.webhooks.traffic import BenchSecrets, Delivery, build_deliveries
from db.embedded import embedded_url
from webhooks.app import ReceiverOptions

__all__ = ["run_benchmark"]


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _server_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    return embedded_url(settings.data_dir)


def _receiver_settings(base: Settings, database_url: str, secrets: BenchSecrets) -> Settings:
    return base.model_copy(
        update={
            "database_url": SecretStr(database_url),
            "webhook_meta_app_secret": SecretStr(secrets.meta),
            "webhook_meta_verify_token": SecretStr("bench"),
            "webhook_tiktok_secret": SecretStr(secrets.tiktok),
            "webhook_generic_secrets": [SecretStr(secrets.generic)],
            "webhook_sandbox_secret": SecretStr(secrets.sandbox),
            "log_level": "WARNING",
        }
    )


@dataclass(frozen=True)
class Truth:
    """What the database holds after the run."""

    keys: set[tuple[str, str]]
    rows: int
    runs: int
    run_keys: int


def _inbox_truth(database_url: str) -> Truth:
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        keys = {(str(s), str(e)) for s, e in conn.execute("SELECT source, event_id FROM webhook_inbox").fetchall()}
        rows = int(conn.execute("SELECT count(*) FROM webhook_inbox").fetchone()[0])  # type: ignore[index]
        runs = int(conn.execute("SELECT count(*) FROM agent_runs WHERE trigger = 'webhook'").fetchone()[0])  # type: ignore[index]
        run_keys = int(
            conn.execute("SELECT count(DISTINCT dedupe_key) FROM agent_runs WHERE trigger = 'webhook'").fetchone()[0]  # type: ignore[index]
        )
    return Truth(keys, rows, runs, run_keys)


def _backend_pids(database_url: str) -> list[int]:
    """The receiver's Postgres backends (same machine only): their CPU is part of the cost of an event."""
    conninfo = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(row[0]) for row in rows]


def _cpu_of(pids: list[int]) -> float:
    return sum(process_tree_cpu_s(pid, children=False) for pid in pids)


def summarise(deliveries: list[Delivery], outcome: Outcome, truth: Truth) -> dict[str, Any]:
    """Compare what was acknowledged with what the database holds."""
    keys, rows, runs, run_keys = truth.keys, truth.rows, truth.runs, truth.run_keys
    attempted = [i for i, status in enumerate(outcome.status) if status != 0]
    accepted = [i for i in attempted if 200 <= outcome.status[i] < 300]
    acked_keys: set[tuple[str, str]] = set()
    expected_runs: dict[tuple[str, str], int] = {}
    for i in accepted:
        delivery = deliveries[i]
        if delivery.kind in ("valid", "duplicate"):
            acked_keys.update(delivery.keys)
    for delivery in deliveries:
        if delivery.kind == "valid" and set(delivery.keys) <= acked_keys:
            expected_runs[delivery.keys[0]] = delivery.runs
    rejected = Counter(outcome.reason[i] for i in attempted if not 200 <= outcome.status[i] < 300)
    wrongly_accepted = sum(1 for i in accepted if deliveries[i].kind in ("bad_signature", "stale_timestamp"))
    latencies = [outcome.latency_ms[i] for i in accepted]
    stored = len(keys & acked_keys)
    return {
        "events_per_s": round(stored / outcome.elapsed_s, 1) if outcome.elapsed_s else 0.0,
        "p50_ms": round(_percentile(latencies, 0.50), 2),
        "p99_ms": round(_percentile(latencies, 0.99), 2),
        "mean_ms": round(statistics.fmean(latencies), 2) if latencies else 0.0,
        "sent": len(attempted),
        "accepted": len(accepted),
        "lost": len(acked_keys - keys) + max(0, sum(expected_runs.values()) - run_keys),
        "duplicates": (rows - len(keys)) + (runs - run_keys),
        "rejected": dict(sorted(rejected.items())),
        "wrongly_accepted": wrongly_accepted,
        "unexpected_rows": len(keys - acked_keys),
        "unique_events_stored": stored,
        "runs_enqueued": runs,
        "elapsed_s": round(outcome.elapsed_s, 3),
        "not_sent": len(deliveries) - len(attempted),
    }


def run_benchmark(
    settings: Settings,
    *,
    events: int,
    seconds: float,
    concurrency: int,
    seed: int,
    workers: int = 2,
    writers: int = 1,
) -> dict[str, Any]:
    """Start a receiver on a scratch database, send the mix, compare the inbox with what was acknowledged."""
    rng = random.Random(seed)
    secrets = BenchSecrets.random(rng)
    port = free_port()
    deliveries = build_deliveries(events, seed, secrets, host=f"127.0.0.1:{port}")
    _progress(f"bench webhooks: {len(deliveries)} deliveries built, starting receiver on 127.0.0.1:{port}")
    with scratch_database(_server_url(settings)) as database_url:
        options = ReceiverOptions(writers=writers)
        receiver = ReceiverProcess(_receiver_settings(settings, database_url, secrets), port, workers, options)
        with receiver:
            pid = receiver.process.pid if receiver.process and receiver.process.pid else 0
            backends = _backend_pids(database_url)
            server_cpu, own_cpu, pg_cpu = process_tree_cpu_s(pid), time.process_time(), _cpu_of(backends)
            outcome = run_load("127.0.0.1", port, [d.raw for d in deliveries], concurrency=concurrency, seconds=seconds)
            server_cpu, own_cpu = process_tree_cpu_s(pid) - server_cpu, time.process_time() - own_cpu
            pg_cpu = _cpu_of(backends) - pg_cpu
        _progress(f"bench webhooks: load phase {outcome.elapsed_s:.2f} s, checking the inbox")
        report = summarise(deliveries, outcome, _inbox_truth(database_url))
    answered = max(1, report["sent"])
    report["receiver_cpu_ms_per_request"] = round(server_cpu * 1000 / answered, 3)
    report["loadgen_cpu_ms_per_request"] = round(own_cpu * 1000 / answered, 3)
    report["postgres_cpu_ms_per_request"] = round(pg_cpu * 1000 / answered, 3)
    cpu_ms = (server_cpu + own_cpu + pg_cpu) * 1000 / answered
    events_per_request = report["unique_events_stored"] / answered
    # What 2 otherwise idle cores would sustain at the CPU this run spent per delivery (receiver + generator + the
    # receiver's Postgres backends): comparable across runs when other work shares the machine; an estimate only.
    report["cpu_bound_estimate_events_per_s_2_cores"] = round(2000.0 / cpu_ms * events_per_request) if cpu_ms else 0
    report["load_average_1m"] = round(os.getloadavg()[0], 2)
    report.update(
        {"concurrency": concurrency, "workers": workers, "writers_per_worker": writers, "seed": seed,
         "events_requested": events}
    )
    return report
