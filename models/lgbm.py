"""LightGBM trainer for CTR / CVR on encoded feature arrays, single-machine or on a Dask cluster.

Early stopping watches a *time-ordered* validation split (the tail of the training rows), so the number of trees is
chosen for predicting the future, not a shuffled past. With ``refit=True`` the model is then retrained on all rows with
that number of trees (scaled by the extra data), which matters on small logs. Categorical codes from
:class:`models.features.FeatureSpec` go in as LightGBM categoricals; smoothing parameters keep high-cardinality
columns (ids, ip) from overfitting.

Dask (``lightgbm.dask``): the same parameters, data partitioned over the workers. ``lightgbm.dask`` has no early
stopping, so it trains ``max_rounds`` with the validation set as ``eval_set`` and keeps the best iteration — the same
choice, at the price of the extra rounds. No refit on the cluster path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import lightgbm as lgb
import numpy as np

from models.errors import TrainingError

__all__ = ["LgbmConfig", "LgbmScorer", "train_lgbm", "train_lgbm_dask"]


@dataclass(frozen=True)
class LgbmConfig:
    """Typed LightGBM settings (a few, deliberately; the rest are LightGBM defaults)."""

    num_leaves: int = 31
    learning_rate: float = 0.03
    max_rounds: int = 1000
    early_stopping_rounds: int = 60
    min_data_in_leaf: int = 20
    feature_fraction: float = 0.7
    bagging_fraction: float = 0.8
    lambda_l2: float = 5.0
    cat_smooth: float = 20.0
    cat_l2: float = 10.0
    min_data_per_group: int = 50
    max_cat_threshold: int = 32
    refit: bool = True
    num_threads: int = 2
    seed: int = 0

    def params(self) -> dict[str, Any]:
        return {
            "objective": "binary",
            "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1,
            "lambda_l2": self.lambda_l2,
            "cat_smooth": self.cat_smooth,
            "cat_l2": self.cat_l2,
            "min_data_per_group": self.min_data_per_group,
            "max_cat_threshold": self.max_cat_threshold,
            "num_threads": self.num_threads,
            "seed": self.seed,
            "deterministic": True,
            "verbose": -1,
        }


class LgbmScorer:
    """A trained booster producing logits. Serialised as LightGBM's own text model format (no pickle)."""

    algo = "lgbm"

    def __init__(self, booster: lgb.Booster) -> None:
        self.booster = booster

    @property
    def n_trees(self) -> int:
        return int(self.booster.num_trees())

    def raw(self, x: np.ndarray, *, num_threads: int = 2) -> np.ndarray:
        """Logits, float64."""
        out = self.booster.predict(x, raw_score=True, num_threads=num_threads)
        return np.asarray(out, dtype=np.float64)

    def to_bytes(self) -> bytes:
        return self.booster.model_to_string().encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> LgbmScorer:
        return cls(lgb.Booster(model_str=data.decode()))


def _check_labels(y: np.ndarray, where: str) -> None:
    if len(np.unique(y)) < 2:
        raise TrainingError(f"the {where} split has only one class ({len(y)} rows)")


def _dataset(x: np.ndarray, y: np.ndarray, n_categorical: int, reference: lgb.Dataset | None = None) -> lgb.Dataset:
    cats: list[int] | Literal["auto"] = list(range(n_categorical)) or "auto"
    return lgb.Dataset(x, label=y, categorical_feature=cats, reference=reference, free_raw_data=False)


def train_lgbm(
    x_fit: np.ndarray,
    y_fit: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    n_categorical: int,
    config: LgbmConfig,
) -> tuple[LgbmScorer, np.ndarray]:
    """Train with early stopping on ``(x_val, y_val)``; returns the scorer and its out-of-sample validation logits
    (from the model that had *not* seen the validation rows — what the calibrator is fitted on)."""
    _check_labels(y_fit, "training")
    _check_labels(y_val, "validation")
    params = config.params()
    train_set = _dataset(x_fit, y_fit, n_categorical)
    valid_set = _dataset(x_val, y_val, n_categorical, reference=train_set)
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=config.max_rounds,
        valid_sets=[valid_set],
        callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False)],
    )
    best = max(int(booster.best_iteration or config.max_rounds), 1)
    val_logits = np.asarray(booster.predict(x_val, raw_score=True, num_iteration=best), dtype=np.float64)
    if not config.refit:
        return LgbmScorer(lgb.Booster(model_str=booster.model_to_string(num_iteration=best))), val_logits
    rounds = max(1, math.ceil(best * (len(y_fit) + len(y_val)) / len(y_fit)))
    full = _dataset(np.vstack([x_fit, x_val]), np.concatenate([y_fit, y_val]), n_categorical)
    return LgbmScorer(lgb.train(params, full, num_boost_round=rounds)), val_logits


def train_lgbm_dask(
    x_fit: np.ndarray,
    y_fit: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    n_categorical: int,
    config: LgbmConfig,
    address: str,
) -> tuple[LgbmScorer, np.ndarray]:
    """Same contract as :func:`train_lgbm`, trained by ``lightgbm.dask`` on the cluster at ``address``."""
    import dask.array as da
    from distributed import Client

    _check_labels(y_fit, "training")
    _check_labels(y_val, "validation")
    params = {k: v for k, v in config.params().items() if k not in ("num_threads", "deterministic")}
    with Client(address) as client:
        n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
        chunk = max(math.ceil(len(y_fit) / n_workers), 1)
        dx = da.from_array(x_fit, chunks=(chunk, x_fit.shape[1]))
        dy = da.from_array(y_fit.astype(np.float64), chunks=chunk)
        dxv = da.from_array(x_val, chunks=(max(math.ceil(len(y_val) / n_workers), 1), x_val.shape[1]))
        dyv = da.from_array(y_val.astype(np.float64), chunks=dxv.chunks[0])
        model = lgb.DaskLGBMClassifier(client=client, n_estimators=config.max_rounds, n_jobs=1, **params)
        model.fit(
            dx, dy, eval_set=[(dxv, dyv)], eval_metric="binary_logloss",
            categorical_feature=list(range(n_categorical)),
        )  # fmt: skip
        booster = model.booster_
        curve = model.evals_result_["valid_0"]["binary_logloss"]
    best = int(np.argmin(curve)) + 1
    scorer = LgbmScorer(lgb.Booster(model_str=booster.model_to_string(num_iteration=best)))
    return scorer, scorer.raw(x_val)
