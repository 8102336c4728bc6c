"""Confidence intervals shared by the benchmarks."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["t_interval"]


def t_interval(values: list[float]) -> list[float]:
    """95 % Student-t interval of the mean (a degenerate pair for one value)."""
    if len(values) < 2:
        return [values[0], values[0]]
    mean, sem = float(np.mean(values)), float(stats.sem(values))
    if sem == 0:
        return [mean, mean]
    half = float(stats.t.ppf(0.975, len(values) - 1)) * sem
    return [mean - half, mean + half]
