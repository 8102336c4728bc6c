"""The bench's learned CTR/CVR estimator: L2-regularised logistic regressions on one-hot features, fitted on the
warm-up days' impression logs — never on the hidden truth.

Why this model and not ``models/``: the benchmark must not depend on a package built in parallel; a sparse logistic
model with main effects and the interest × site cross is the classic, well-calibrated CTR baseline and fits in a
second. It implements the sandbox's :class:`platforms.sandbox.estimator.Estimator` protocol, so ``models/`` can
replace it later without touching the harness.

Labels: clicks of every logged impression; conversions only for clicks old enough that their conversion window has
closed (conversions arrive with a delay, so recent clicks would look like non-converters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from adpilot.errors import AdpilotError

__all__ = ["LogisticEstimator"]

CTR_COLUMNS: tuple[str, ...] = (
    "age_band", "geo", "device", "interest", "site_category", "placement", "position", "hour",
    "interest*site_category", "segment_id", "freq_bucket",
)
CVR_COLUMNS: tuple[str, ...] = ("age_band", "geo", "device", "interest", "site_category", "placement", "hour")


def _column(features: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    if name == "interest*site_category":
        return np.char.add(np.char.add(features["interest"].astype(str), "|"), features["site_category"].astype(str))
    if name == "freq_bucket":
        return np.minimum(features["user_frequency"], 6).astype(str)
    return features[name].astype(str)


class _OneHot:
    def __init__(self, features: Mapping[str, np.ndarray], columns: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self.vocab = [np.unique(_column(features, c)) for c in self.columns]
        self.offsets = np.r_[0, np.cumsum([len(v) + 1 for v in self.vocab])]

    def transform(self, features: Mapping[str, np.ndarray]) -> sparse.csr_matrix:
        n = next(iter(features.values())).shape[0]
        cols = []
        for j, (name, vocab) in enumerate(zip(self.columns, self.vocab, strict=True)):
            values = _column(features, name)
            pos = np.clip(np.searchsorted(vocab, values), 0, len(vocab) - 1)
            code = np.where(vocab[pos] == values, pos, len(vocab))
            cols.append(self.offsets[j] + code)
        indices = np.stack(cols, axis=1).ravel()
        indptr = np.arange(0, n * len(cols) + 1, len(cols))
        data = np.ones(indices.shape[0])
        return sparse.csr_matrix((data, indices, indptr), shape=(n, int(self.offsets[-1])))


class LogisticEstimator:
    """p̂CTR and p̂CVR from two logistic regressions. Fit with :meth:`fit`."""

    def __init__(self, ctr_strength: float = 1.0, cvr_strength: float = 0.2) -> None:
        self.ctr_strength = ctr_strength
        self.cvr_strength = cvr_strength
        self._ctr: tuple[_OneHot, LogisticRegression] | None = None
        self._cvr: tuple[_OneHot, LogisticRegression] | None = None

    @staticmethod
    def _fit_one(
        features: Mapping[str, np.ndarray], label: np.ndarray, columns: Sequence[str], strength: float
    ) -> tuple[_OneHot, LogisticRegression]:
        encoder = _OneHot(features, columns)
        model = LogisticRegression(C=strength, max_iter=300, solver="lbfgs")
        model.fit(encoder.transform(features), label.astype(int))
        return encoder, model

    def fit(
        self,
        features: Mapping[str, np.ndarray],
        clicked: np.ndarray,
        matured_click: np.ndarray,
        converted: np.ndarray,
    ) -> LogisticEstimator:
        """``matured_click`` marks clicks whose conversion label is final; ``converted`` their labels."""
        self._ctr = self._fit_one(features, clicked, CTR_COLUMNS, self.ctr_strength)
        sub = {k: v[matured_click] for k, v in features.items()}
        self._cvr = self._fit_one(sub, converted[matured_click], CVR_COLUMNS, self.cvr_strength)
        return self

    def predict(self, features: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        if self._ctr is None or self._cvr is None:
            raise AdpilotError("LogisticEstimator.predict called before fit", remedy="call fit() on warm-up logs first")
        ctr = self._ctr[1].predict_proba(self._ctr[0].transform(features))[:, 1]
        cvr = self._cvr[1].predict_proba(self._cvr[0].transform(features))[:, 1]
        return ctr, cvr
