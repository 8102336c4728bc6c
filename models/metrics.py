"""Evaluation metrics for probabilistic click / conversion predictions.

``ne`` (normalised entropy) is logloss divided by the logloss of always predicting the base rate: < 1 means the model
knows more than the prior (He et al., 2014). ``ece`` uses equal-width bins (Guo et al., 2017) weighted by bin size;
bids multiply probabilities, so calibration matters as much as ranking. The AUC interval is a percentile bootstrap
over test rows (vectorised; rows resampled with replacement).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import rankdata

__all__ = ["Metrics", "auc", "auc_bootstrap_ci", "ece", "evaluate", "logloss", "normalised_entropy"]

_EPS = 1e-7


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve via the rank-sum (Mann-Whitney) formula; ties get half credit."""
    y = np.asarray(y, dtype=bool)
    n_pos = int(y.sum())
    n_neg = len(y) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(p)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auc_bootstrap_ci(
    y: np.ndarray, p: np.ndarray, *, n_boot: int = 200, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap interval of the AUC."""
    rng = np.random.default_rng(seed)
    y = np.asarray(y, dtype=bool)
    stats = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        value = auc(y[idx], p[idx])
        if not np.isnan(value):
            stats.append(value)
    if not stats:
        return (float("nan"), float("nan"))
    lo, hi = np.quantile(stats, [(1 - level) / 2, 1 - (1 - level) / 2])
    return (float(lo), float(hi))


def logloss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    y = np.asarray(y, dtype=np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def normalised_entropy(y: np.ndarray, p: np.ndarray) -> float:
    """Logloss over the logloss of the constant base-rate predictor."""
    base = float(np.mean(y))
    denom = logloss(y, np.full(len(y), base))
    return logloss(y, p) / denom if denom > 0 else float("nan")


def ece(y: np.ndarray, p: np.ndarray, *, bins: int = 15) -> float:
    """Expected calibration error: Σ_b (n_b / n) · |mean(y_b) − mean(p_b)| over equal-width probability bins."""
    p = np.asarray(p, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    idx = np.minimum((p * bins).astype(np.int64), bins - 1)
    gap = np.abs(np.bincount(idx, weights=y, minlength=bins) - np.bincount(idx, weights=p, minlength=bins))
    return float(gap.sum() / max(len(y), 1))


@dataclass(frozen=True)
class Metrics:
    """The holdout metrics stored with each registered model and printed by the benchmark."""

    auc: float
    auc_ci: tuple[float, float]
    logloss: float
    ne: float
    ece: float
    n: int
    base_rate: float

    def as_dict(self) -> dict[str, object]:
        """Plain JSON data; NaN (e.g. AUC of a one-class holdout) becomes ``None`` — JSONB refuses NaN."""
        out = {k: _finite(v) for k, v in asdict(self).items()}
        out["auc_ci"] = [_finite(v) for v in self.auc_ci]
        return out


def _finite(value: object) -> object:
    return None if isinstance(value, float) and not np.isfinite(value) else value


def evaluate(y: np.ndarray, p: np.ndarray, *, n_boot: int = 200, seed: int = 0) -> Metrics:
    """All metrics at once on one holdout."""
    y = np.asarray(y)
    p = np.asarray(p, dtype=np.float64)
    return Metrics(
        auc=auc(y, p),
        auc_ci=auc_bootstrap_ci(y, p, n_boot=n_boot, seed=seed),
        logloss=logloss(y, p),
        ne=normalised_entropy(y, p),
        ece=ece(y, p),
        n=len(y),
        base_rate=float(np.mean(y)) if len(y) else float("nan"),
    )
