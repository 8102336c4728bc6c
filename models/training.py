"""The training pipeline: time-ordered fit/validation split → feature spec fitted on the fit rows → scorer with
early stopping → calibrator fitted on the validation predictions → :class:`TrainedModel` with metadata.

One function per algorithm family is wired here (``lgbm``, ``dcnv2``, ``blend`` = both, logits mixed with a weight
chosen on the validation split), so callers — the registry service, the benchmark, the tests — pick an algorithm by
name and get the same artifact shape back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

import numpy as np

from models.bundle import BlendScorer, Head, ModelKind, Scorer, TrainedModel, sigmoid
from models.calibration import CalibrationMethod, fit_calibrator
from models.datasets import LabelledFrame
from models.deep import DeepConfig, train_deep
from models.drift import reference_stats
from models.errors import TrainingError
from models.features import FeatureSpec
from models.lgbm import LgbmConfig, train_lgbm, train_lgbm_dask
from models.metrics import logloss

__all__ = ["Algo", "TrainConfig", "fit_head", "train_family", "train_model"]

Algo = Literal["lgbm", "dcnv2", "blend"]


@dataclass(frozen=True)
class TrainConfig:
    """How to train. ``dask_address`` moves LightGBM training to a Dask cluster (``lightgbm.dask``)."""

    algo: Algo = "lgbm"
    valid_fraction: float = 0.15
    calibration: CalibrationMethod = "auto"
    lgbm: LgbmConfig = field(default_factory=LgbmConfig)
    deep: DeepConfig = field(default_factory=DeepConfig)
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
    if cfg.algo == "dcnv2":
        return train_deep(x_fit, y_fit, x_val, y_val, cardinalities=spec.cardinalities, config=cfg.deep)
    if cfg.dask_address:
        lgbm_result = train_lgbm_dask(
            x_fit, y_fit, x_val, y_val, n_categorical=spec.n_categorical, config=cfg.lgbm, address=cfg.dask_address
        )
    else:
        lgbm_result = train_lgbm(x_fit, y_fit, x_val, y_val, n_categorical=spec.n_categorical, config=cfg.lgbm)
    if cfg.algo == "lgbm":
        return lgbm_result
    deep_scorer, deep_val = train_deep(x_fit, y_fit, x_val, y_val, cardinalities=spec.cardinalities, config=cfg.deep)
    weight = _blend_weight(lgbm_result[1], deep_val, y_val)
    blend = BlendScorer([lgbm_result[0], deep_scorer], [weight, 1.0 - weight])
    return blend, weight * lgbm_result[1] + (1.0 - weight) * deep_val


def _blend_weight(a: np.ndarray, b: np.ndarray, y: np.ndarray) -> float:
    """The LightGBM share in [0, 1] (step 0.1) minimising validation logloss."""
    grid = np.linspace(0.0, 1.0, 11)
    losses = [logloss(y, sigmoid(w * a + (1 - w) * b)) for w in grid]
    return float(grid[int(np.argmin(losses))])


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
    """LightGBM, DCN-V2 and their blend from one pair of trainings (what the benchmark compares): the same as three
    :func:`train_model` calls with ``algo`` = lgbm / dcnv2 / blend, at the cost of two."""
    started = time.perf_counter()
    n_fit = _split(len(data), cfg.valid_fraction)
    spec = FeatureSpec.fit(data.frame.iloc[:n_fit], data.schema)
    x = spec.encode(data.frame)
    y = np.asarray(data.label, dtype=np.float64)
    lgbm, lgbm_val = _fit_scorer(x[:n_fit], y[:n_fit], x[n_fit:], y[n_fit:], spec, replace(cfg, algo="lgbm"))
    lgbm_s = time.perf_counter() - started
    deep, deep_val = _fit_scorer(x[:n_fit], y[:n_fit], x[n_fit:], y[n_fit:], spec, replace(cfg, algo="dcnv2"))
    deep_s = time.perf_counter() - started - lgbm_s
    weight = _blend_weight(lgbm_val, deep_val, y[n_fit:])
    members: dict[str, tuple[Scorer, np.ndarray, float]] = {
        "lgbm": (lgbm, lgbm_val, lgbm_s),
        "dcnv2": (deep, deep_val, deep_s),
        "blend": (
            BlendScorer([lgbm, deep], [weight, 1.0 - weight]),
            weight * lgbm_val + (1.0 - weight) * deep_val,
            lgbm_s + deep_s,
        ),
    }
    out = {}
    for algo, (scorer, val_logits, seconds) in members.items():
        calibrator = fit_calibrator(sigmoid(val_logits), y[n_fit:], cfg.calibration)
        meta = training_meta(data, spec, x, started)
        meta["train_seconds"] = round(seconds, 3)
        out[algo] = TrainedModel(kind=kind, spec=spec, heads={kind: Head(scorer, calibrator)}, meta=meta)
    return out
