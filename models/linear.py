"""A logistic-regression scorer on the shared encoding: one weight per categorical code (one-hot), plus standardised
dense values with missing indicators, L2-regularised with the strength chosen on the validation split.

Why adpilot has one: on small logs with many high-cardinality categoricals, a well-regularised linear model is hard
to beat (it beat every tree and deep model on the Avazu and sandbox samples), and it is a diverse member for the
blend. Scoring is a gather + dot product in numpy; weights are stored with ``np.save(allow_pickle=False)``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from models.errors import TrainingError
from models.metrics import logloss

__all__ = ["LinearConfig", "LinearScorer", "train_linear"]


@dataclass(frozen=True)
class LinearConfig:
    c_grid: tuple[float, ...] = (0.03, 0.1, 0.3, 1.0)
    max_iter: int = 500


class LinearScorer:
    algo = "linear"

    def __init__(self, cardinalities: list[int], weights: np.ndarray, mean: np.ndarray, std: np.ndarray) -> None:
        self.cardinalities = cardinalities
        self.offsets = np.concatenate([[0], np.cumsum(cardinalities)[:-1]]).astype(np.int64)
        self.weights = weights  # [bias, one-hot weights..., dense weights..., missing-indicator weights...]
        self.mean = mean
        self.std = std

    @property
    def n_cat(self) -> int:
        return len(self.cardinalities)

    def _codes(self, x: np.ndarray) -> np.ndarray:
        codes = np.clip(x[:, : self.n_cat].astype(np.int64), 0, np.asarray(self.cardinalities) - 1)
        return codes + self.offsets

    def _dense(self, x: np.ndarray) -> np.ndarray:
        dense = x[:, self.n_cat :].astype(np.float64)
        missing = np.isnan(dense)
        return np.hstack([np.where(missing, 0.0, (dense - self.mean) / self.std), missing.astype(np.float64)])

    def design(self, x: np.ndarray) -> sparse.csr_matrix:
        """Sparse one-hot codes ‖ dense block: the matrix the weights (after the bias) apply to."""
        n, total = len(x), int(sum(self.cardinalities))
        codes = self._codes(x)
        onehot = sparse.csr_matrix(
            (np.ones(codes.size), codes.ravel(), np.arange(0, codes.size + 1, max(self.n_cat, 1))[: n + 1]),
            shape=(n, total),
        )
        return sparse.hstack([onehot, sparse.csr_matrix(self._dense(x))], format="csr")

    def raw(self, x: np.ndarray, *, num_threads: int = 2) -> np.ndarray:
        x = np.atleast_2d(x)
        w = self.weights
        total = int(sum(self.cardinalities))
        out = w[0] + w[1:][self._codes(x)].sum(axis=1)
        return np.asarray(out + self._dense(x) @ w[1 + total :], dtype=np.float64)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        for arr in (np.asarray(self.cardinalities, dtype=np.int64), self.weights, self.mean, self.std):
            np.save(buf, arr, allow_pickle=False)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> LinearScorer:
        buf = io.BytesIO(data)
        cards, weights, mean, std = (np.load(buf, allow_pickle=False) for _ in range(4))
        return cls([int(c) for c in cards], weights, mean, std)


def train_linear(
    x_fit: np.ndarray,
    y_fit: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    cardinalities: list[int],
    config: LinearConfig,
) -> tuple[LinearScorer, np.ndarray]:
    """Fit one model per ``C`` on the fit rows, keep the one with the best validation logloss."""
    if len(np.unique(y_fit)) < 2 or len(np.unique(y_val)) < 2:
        raise TrainingError("the training or validation split has only one class")
    dense = x_fit[:, len(cardinalities) :].astype(np.float64)
    mean = np.nan_to_num(np.nanmean(dense, axis=0)) if dense.shape[1] else np.zeros(0)
    std = np.maximum(np.nan_to_num(np.nanstd(dense, axis=0), nan=1.0), 1e-6) if dense.shape[1] else np.ones(0)
    template = LinearScorer(cardinalities, np.zeros(1), mean, std)
    design_fit = template.design(x_fit)
    best: tuple[float, LinearScorer, np.ndarray] | None = None
    for c in config.c_grid:
        model = LogisticRegression(C=c, max_iter=config.max_iter).fit(design_fit, y_fit)
        weights = np.concatenate([model.intercept_, model.coef_.ravel()])
        scorer = LinearScorer(cardinalities, weights, mean, std)
        val = scorer.raw(x_val)
        loss = logloss(y_val, 1.0 / (1.0 + np.exp(-val)))
        if best is None or loss < best[0]:
            best = (loss, scorer, val)
    assert best is not None
    return best[1], best[2]
