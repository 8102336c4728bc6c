"""The hindsight optimum LP* and the score (EVALUATION.md §1), defined in :mod:`platforms.sandbox.optimum` — the
sandbox's evaluation scoreboard needs them too, and the sandbox must not import the benchmark package."""

from platforms.sandbox.optimum import lp_star, score

__all__ = ["lp_star", "score"]
