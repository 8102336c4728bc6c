"""Prometheus metrics of one receiver process, in a registry of its own (not the global one), so several apps in
one process (tests) never collide and ``/metrics`` shows exactly this receiver."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["ReceiverMetrics"]


class ReceiverMetrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "adpilot_webhook_requests",
            "Deliveries by source and outcome",
            ["source", "outcome"],
            registry=self.registry,
        )
        self._events = Counter(
            "adpilot_webhook_events", "Events stored or found duplicate", ["source", "result"], registry=self.registry
        )
        self._ack = Histogram(
            "adpilot_webhook_ack_seconds",
            "Time from request start to acknowledgement of an accepted delivery",
            ["source"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )

        self._hot: dict[str, tuple[Counter, Counter, Counter, Histogram]] = {}

    def _children(self, source: str) -> tuple[Counter, Counter, Counter, Histogram]:
        """Labelled children cached per source: ``labels()`` is a locked dict lookup that costs more than the
        increment, and this runs on every delivery."""
        children = self._hot.get(source)
        if children is None:
            children = (
                self._requests.labels(source, "accepted"),
                self._events.labels(source, "stored"),
                self._events.labels(source, "duplicate"),
                self._ack.labels(source),
            )
            self._hot[source] = children
        return children

    def accepted(self, source: str, stored: int, duplicates: int, seconds: float) -> None:
        requests, stored_events, duplicate_events, ack = self._children(source)
        requests.inc()
        if stored:
            stored_events.inc(stored)
        if duplicates:
            duplicate_events.inc(duplicates)
        ack.observe(seconds)

    def rejected(self, source: str, reason: str) -> None:
        self._requests.labels(source, reason).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
