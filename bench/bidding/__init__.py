"""The bidding and pacing benchmark (EVALUATION.md §1): exact LP*, baselines, the harness and the runner.
Entry point: :func:`bench.bidding.runner.run` (the CLI command ``adpilot bench bidding`` calls it)."""

from bench.bidding.lp import lp_star, score
from bench.bidding.runner import POLICIES, run

__all__ = ["POLICIES", "lp_star", "run", "score"]
