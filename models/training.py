"""The training pipeline: time-ordered fit/validation split → feature spec fitted on the fit rows → scorer with
early stopping → calibrator fitted on the validation predictions → :class:`TrainedModel` with metadata.

One function per algorithm family is wired here (``lgbm``, ``dcnv2``, ``linear``, ``blend`` = all three, logits mixed
with convex weights chosen on the validation split), so callers — the registry service, the benchmark, the tests —
pick an algorithm by name and get the same artifact shape back.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from models.bundle import BlendScorer, Head, ModelKind, Scorer, TrainedModel, sigmoid
from models.calibration import CalibrationMethod, fit_calibrator
from models.datasets import LabelledFrame
from models.deep_config import DeepConfig
from models.drift import reference_stats
from models.errors import TrainingError
from models.features import FeatureSpec
from models.lgbm import LgbmConfig, train_lgbm, train_lgbm_dask
from models.linear import LinearConfig, train_linear
from models.metrics import logloss

__all__ = ["Algo", "TrainConfig", "fit_head", "train_family", "train_model"]

Algo = Literal["lgbm", "dcnv2", "linear", "blend"]


@dataclass(frozen=True)
class TrainConfig:
    """How to train. ``dask_address`` moves LightGBM training to a Dask cluster (``lightgbm.dask``)."""

    algo: Algo = "lgbm"
    valid_fraction: float = 0.15
    calibration: CalibrationMethod = "auto"
    lgbm: LgbmConfig = field(default_factory=LgbmConfig)
    deep: DeepConfig = field(default_factory=DeepConfig)
    linear: LinearConfig = field(default_factory=LinearConfig)
    dask_address: str | None = None


def _split(n: int, valid_fraction: float) -> int:
    """Index where the validation tail starts (rows are in time order)."""
    n_fit = round(n * (1 - valid_fraction))
    if n_fit < 10 or n - n_fit < 10:
        raise TrainingError(f"{n} rows are too few to hold out a validation split")
    return n_fit


def _fit_scorer(
    x_fit: np.ndarray, y_fit: np.ndarray, x_val: np.ndarray, y_val: np.ndarray, spec: FeatureSpec, cfg: TrainConfig
) -> tuple[Scorer, np.ndarray]:
    from models.deep import train_deep  # PyTorch only when a deep model is asked for

    if cfg.algo == "dcnv2":
        return train_deep(x_fit, y_fit, x_val, y_val, cardinalities=spec.cardinalities, config=cfg.deep)
    if cfg.algo == "linear":
        return train_linear(x_fit, y_fit, x_val, y_val, cardinalities=spec.cardinalities, config=cfg.linear)
    if cfg.dask_address:
        lgbm_result = train_lgbm_dask(
            x_fit, y_fit, x_val, y_val, n_categorical=spec.n_categorical, config=cfg.lgbm, address=cfg.dask_address
        )
    else:
        lgbm_result = train_lgbm(x_fit, y_fit, x_val, y_val, n_categorical=spec.n_categorical, config=cfg.lgbm)
    if cfg.algo == "lgbm":
        return lgbm_result
    members: list[tuple[Scorer, np.ndarray]] = [
        lgbm_result,
        train_deep(x_fit, y_fit, x_val, y_val, cardinalities=spec.cardinalities, config=cfg.deep),
        train_linear(x_fit, y_fit, x_val, y_val, cardinalities=spec.cardinalities, config=cfg.linear),
    ]
    return _blend([m[0] for m in members], [m[1] for m in members], y_val)


def _blend(scorers: list[Scorer], val_logits: list[np.ndarray], y_val: np.ndarray) -> tuple[BlendScorer, np.ndarray]:
    """Convex logit weights (step 0.1 on the simplex) minimising validation logloss."""
    grid = [w for w in itertools.product(np.linspace(0, 1, 11), repeat=len(scorers)) if abs(sum(w) - 1) < 1e-9]
    stacked = np.vstack(val_logits)
    losses = [logloss(y_val, sigmoid(np.asarray(w) @ stacked)) for w in grid]
    weights = [round(float(v), 2) for v in grid[int(np.argmin(losses))]]
    return BlendScorer(scorers, weights), np.asarray(weights) @ stacked


def fit_head(x: np.ndarray, y: np.ndarray, spec: FeatureSpec, cfg: TrainConfig) -> tuple[Head, dict[str, float]]:
    """Train one head on encoded rows in time order; returns it with its validation figures."""
    n_fit = _split(len(y), cfg.valid_fraction)
    scorer, val_logits = _fit_scorer(x[:n_fit], y[:n_fit], x[n_fit:], y[n_fit:], spec, cfg)
    val_p = sigmoid(val_logits)
    calibrator = fit_calibrator(val_p, y[n_fit:], cfg.calibration)
    stats = {"valid_logloss_raw": logloss(y[n_fit:], val_p), "valid_rows": float(len(y) - n_fit)}
    return Head(scorer, calibrator), stats


def train_model(
    data: LabelledFrame, cfg: TrainConfig, kind: ModelKind = "ctr", head: str | None = None
) -> TrainedModel:
    """Train a single-head model on ``data`` (rows in time order). The spec is fitted on the fit rows only."""
    started = time.perf_counter()
    n_fit = _split(len(data), cfg.valid_fraction)
    spec = FeatureSpec.fit(data.frame.iloc[:n_fit], data.schema)
    x = spec.encode(data.frame)
    y = np.asarray(data.label, dtype=np.float64)
    fitted, stats = fit_head(x, y, spec, cfg)
    meta = training_meta(data, spec, x, started)
    meta["valid"] = stats
    return TrainedModel(kind=kind, spec=spec, heads={head or kind: fitted}, meta=meta)


def training_meta(data: LabelledFrame, spec: FeatureSpec, x: np.ndarray, started: float) -> dict[str, object]:
    """What the registry and ``model_health`` need later: data identity, size, prior, drift reference."""
    return {
        "dataset": data.name,
        "data_fingerprint": data.fingerprint(),
        "train_rows": len(data),
        "base_rate": data.base_rate,
        "trained_at": datetime.now(UTC).isoformat(),
        "train_seconds": round(time.perf_counter() - started, 3),
        "reference": reference_stats(spec, x),
    }


def train_family(data: LabelledFrame, cfg: TrainConfig, kind: ModelKind = "ctr") -> dict[str, TrainedModel]:
    """LightGBM, DCN-V2, linear and their blend from one training of each (what the benchmark compares): the same as
    :func:`train_model` with ``algo`` = lgbm / dcnv2 / linear / blend, without training the members twice."""
    started = time.perf_counter()
    n_fit = _split(len(data), cfg.valid_fraction)
    spec = FeatureSpec.fit(data.frame.iloc[:n_fit], data.schema)
    x = spec.encode(data.frame)
    y = np.asarray(data.label, dtype=np.float64)
    members: dict[str, tuple[Scorer, np.ndarray, float]] = {}
    algos: tuple[Algo, ...] = ("lgbm", "dcnv2", "linear")
    for algo in algos:
        t0 = time.perf_counter()
        scorer, val = _fit_scorer(x[:n_fit], y[:n_fit], x[n_fit:], y[n_fit:], spec, replace(cfg, algo=algo))
        members[algo] = (scorer, val, time.perf_counter() - t0)
    blend, blend_val = _blend([m[0] for m in members.values()], [m[1] for m in members.values()], y[n_fit:])
    members["blend"] = (blend, blend_val, sum(m[2] for m in members.values()))
    out = {}
    for name, (scorer, val_logits, seconds) in members.items():
        calibrator = fit_calibrator(sigmoid(val_logits), y[n_fit:], cfg.calibration)
        meta = training_meta(data, spec, x, started)
        meta["train_seconds"] = round(seconds, 3)
        out[name] = TrainedModel(kind=kind, spec=spec, heads={kind: Head(scorer, calibrator)}, meta=meta)
    return out
