"""``adpilot bench webhooks``: webhook intake throughput, latency and exactly-once storage (EVALUATION.md §3)."""

from bench.webhooks.run import run_benchmark

__all__ = ["run_benchmark"]
