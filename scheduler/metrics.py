"""Prometheus metrics of one daemon replica, on a registry of its own (no import-time globals, so tests and several
daemons in one process never collide). Served by :meth:`DaemonMetrics.serve` when ``--metrics-port`` is given."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

__all__ = ["DaemonMetrics"]


class DaemonMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.period_claims = Counter(
            "adpilot_period_claims", "Period claims attempted, by job and outcome (won|lost)",
            ["job", "outcome"], registry=self.registry,
        )
        self.job_runs = Counter(
            "adpilot_scheduled_job_runs", "Scheduled job periods run, by job and outcome (ok|error)",
            ["job", "outcome"], registry=self.registry,
        )
        self.work_items = Counter(
            "adpilot_work_items", "Work items finished by this replica, by kind and outcome",
            ["kind", "outcome"], registry=self.registry,
        )
        self.work_seconds = Histogram(
            "adpilot_work_item_seconds", "Handler wall time per work item", ["kind"], registry=self.registry,
        )
        self.queue_depth = Gauge(
            "adpilot_queue_depth", "Work items by status (sampled at each heartbeat)", ["status"],
            registry=self.registry,
        )
        self.rescued = Counter(
            "adpilot_work_items_rescued", "Running items whose lease expired and were rescued", registry=self.registry,
        )
        self.db_errors = Counter(
            "adpilot_database_errors", "Database errors survived by the daemon loops", ["loop"],
            registry=self.registry,
        )

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        start_http_server(port, addr=host, registry=self.registry)
