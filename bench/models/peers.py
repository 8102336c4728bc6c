"""The peer models, run side by side with adpilot's on identical splits.

- ``lightgbm_default``: ``lightgbm.LGBMClassifier()`` with default parameters on the same encoded columns
  (categorical codes declared as categoricals), no early stopping, no calibration.
- ``logreg``: scikit-learn logistic regression (default ``C=1``) on one-hot categoricals (values seen < 2 times
  pooled) + standardised log1p numerics with missing indicators.
- ``deepctr_deepfm`` / ``deepctr_dcnmix``: PyPI ``deepctr-torch`` models with the library's own recipe
  (label-encoded sparse features, min-max scaled dense features, embedding 8, Adam, batch 256), 2 epochs — more
  epochs overfit these sample sizes. They share adpilot's venv (their dependencies did not clash with torch 2.13).
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from models.datasets import LabelledFrame
from models.features import FeatureSchema, FeatureSpec

__all__ = ["PEERS", "PeerResult"]

PeerResult = tuple[np.ndarray, float]


def _spec_arrays(train: LabelledFrame, test: LabelledFrame) -> tuple[FeatureSpec, np.ndarray, np.ndarray]:
    spec = FeatureSpec.fit(train.frame, train.schema)
    return spec, spec.encode(train.frame), spec.encode(test.frame)


def lightgbm_default(train: LabelledFrame, test: LabelledFrame, seed: int) -> PeerResult:
    import lightgbm as lgb

    spec, x, xt = _spec_arrays(train, test)
    started = time.perf_counter()
    model = lgb.LGBMClassifier(random_state=seed, n_jobs=2, verbose=-1)
    model.fit(x, train.label, categorical_feature=list(range(spec.n_categorical)))
    elapsed = time.perf_counter() - started
    return np.asarray(model.predict_proba(xt))[:, 1], elapsed


def _tabular(schema: FeatureSchema, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str], list[str]]:
    spec_cats = list(schema.categorical) + (["hour", "dow"] if schema.time_column else [])
    out = pd.DataFrame(index=frame.index)
    for c in schema.categorical:
        out[c] = frame[c].astype(str)
    if schema.time_column:
        ts = pd.to_datetime(pd.to_numeric(frame[schema.time_column], errors="coerce"), unit="s", utc=True)
        out["hour"] = ts.dt.hour.astype(str)
        out["dow"] = ts.dt.day_of_week.astype(str)
    for c in schema.numeric:
        out[c] = pd.to_numeric(frame[c], errors="coerce")
    return out, spec_cats, list(schema.numeric)


def logreg(train: LabelledFrame, test: LabelledFrame, seed: int) -> PeerResult:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    x, cats, nums = _tabular(train.schema, train.frame)
    xt, _, _ = _tabular(test.schema, test.frame)
    signed_log = FunctionTransformer(lambda v: np.sign(v) * np.log1p(np.abs(v)))
    columns = ColumnTransformer(
        [("cat", OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=2), cats)]
        + (
            [("num", make_pipeline(signed_log, SimpleImputer(add_indicator=True), StandardScaler()), nums)]
            if nums
            else []
        )
    )
    model = make_pipeline(columns, LogisticRegression(max_iter=2000, random_state=seed))
    started = time.perf_counter()
    model.fit(x, train.label)
    return model.predict_proba(xt)[:, 1], time.perf_counter() - started


def _deepctr(name: str) -> Callable[[LabelledFrame, LabelledFrame, int], PeerResult]:
    def run(train: LabelledFrame, test: LabelledFrame, seed: int) -> PeerResult:
        import torch

        with contextlib.redirect_stdout(io.StringIO()):
            from deepctr_torch.inputs import DenseFeat, SparseFeat, get_feature_names
            from deepctr_torch.models import DCNMix, DeepFM

        torch.set_num_threads(2)
        torch.manual_seed(seed)
        x, cats, nums = _tabular(train.schema, train.frame)
        xt, _, _ = _tabular(test.schema, test.frame)
        feed, feed_t, columns = {}, {}, []
        for c in cats:
            vocab = {v: i + 1 for i, v in enumerate(pd.unique(x[c]))}
            feed[c] = x[c].map(vocab).fillna(0).astype(np.int64).to_numpy()
            feed_t[c] = xt[c].map(vocab).fillna(0).astype(np.int64).to_numpy()
            columns.append(SparseFeat(c, vocabulary_size=len(vocab) + 1, embedding_dim=8))
        for c in nums:
            lo, hi = np.nanmin(x[c]), np.nanmax(x[c])
            scale = (hi - lo) or 1.0
            feed[c] = ((x[c].fillna(lo) - lo) / scale).to_numpy(dtype=np.float32)
            feed_t[c] = ((xt[c].fillna(lo) - lo) / scale).clip(-1, 2).to_numpy(dtype=np.float32)
            columns.append(DenseFeat(c, 1))
        cls = DeepFM if name == "deepfm" else DCNMix
        model = cls(columns, columns, task="binary", device="cpu", seed=seed)
        model.compile("adam", "binary_crossentropy")
        names = get_feature_names(columns)
        started = time.perf_counter()
        model.fit({k: feed[k] for k in names}, train.label.astype(np.float32), batch_size=256, epochs=2, verbose=0)
        elapsed = time.perf_counter() - started
        pred = model.predict({k: feed_t[k] for k in names}, batch_size=4096)
        return np.clip(np.asarray(pred, dtype=np.float64).ravel(), 1e-7, 1 - 1e-7), elapsed

    return run


PEERS: dict[str, Callable[[LabelledFrame, LabelledFrame, int], PeerResult]] = {
    "lightgbm_default": lightgbm_default,
    "logreg": logreg,
    "deepctr_deepfm": _deepctr("deepfm"),
    "deepctr_dcnmix": _deepctr("dcnmix"),
}
