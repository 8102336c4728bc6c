"""Population stability index (PSI) between the training data and recent logs, per encoded feature.

The reference (bin edges or category codes + training shares) is computed at training time and stored in the model
artifact's metadata, so drift can be measured later without the training data. PSI = Σ (a − e) · ln(a / e) over bins;
the usual reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift (retrain).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from models.features import FeatureSpec

__all__ = ["feature_psi", "reference_stats"]

_TOP_CODES = 20
_EPS = 1e-4


def reference_stats(spec: FeatureSpec, x: np.ndarray) -> dict[str, Any]:
    """Per-feature reference distribution: top codes for categoricals, deciles (+ missing) for dense columns."""
    out: dict[str, Any] = {}
    for j, name in enumerate(spec.feature_names):
        col = x[:, j]
        if j < spec.n_categorical:
            codes, counts = np.unique(col.astype(np.int64), return_counts=True)
            top = np.argsort(-counts)[:_TOP_CODES]
            out[name] = {"type": "cat", "codes": codes[top].tolist(), "shares": (counts[top] / len(col)).tolist()}
        else:
            finite = col[np.isfinite(col)]
            edges = np.unique(np.quantile(finite, np.linspace(0.1, 0.9, 9))) if len(finite) else np.array([])
            out[name] = {"type": "num", "edges": edges.tolist(), "shares": _num_shares(col, edges).tolist()}
    return out


def _num_shares(col: np.ndarray, edges: np.ndarray) -> np.ndarray:
    finite = np.isfinite(col)
    bins = np.searchsorted(edges, col[finite], side="right")
    counts = np.bincount(bins, minlength=len(edges) + 1).astype(np.float64)
    counts = np.append(counts, float((~finite).sum()))
    return counts / max(len(col), 1)


def _cat_shares(col: np.ndarray, codes: list[int]) -> np.ndarray:
    ints = col.astype(np.int64)
    shares = np.array([(ints == c).mean() for c in codes] if len(col) else [0.0] * len(codes))
    return np.append(shares, max(1.0 - shares.sum(), 0.0))


def _psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.clip(expected, _EPS, None)
    a = np.clip(actual, _EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


def feature_psi(reference: dict[str, Any], spec: FeatureSpec, x: np.ndarray) -> dict[str, float]:
    """PSI of each feature of ``x`` (recent rows, encoded with ``spec``) against the stored reference."""
    out: dict[str, float] = {}
    for j, name in enumerate(spec.feature_names):
        ref = reference.get(name)
        if ref is None or len(x) == 0:
            continue
        if ref["type"] == "cat":
            expected = np.append(ref["shares"], max(1.0 - sum(ref["shares"]), 0.0))
            out[name] = _psi(expected, _cat_shares(x[:, j], ref["codes"]))
        else:
            edges = np.asarray(ref["edges"], dtype=np.float64)
            out[name] = _psi(np.asarray(ref["shares"]), _num_shares(x[:, j], edges))
    return out
