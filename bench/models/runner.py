"""The models benchmark protocol (EVALUATION.md §2).

Splits (identical for every model):

- Criteo, Avazu samples: the sample's train/dev/test files merged, then 5 repeated stratified 80/20 splits with seeds
  ``seed … seed+4``; the training rows keep file order (adpilot's early-stopping/calibration split is their tail).
  Reported: mean over splits, ``auc_ci`` = 95 % t-interval of that mean, plus the per-split bootstrap intervals.
- TalkingData (click → install) and sandbox logs (impression → click): time-ordered 80/10/10. Every model fits
  on the first 90 %; adpilot uses the 10 % validation slice for early stopping and calibration; all are scored
  on the last 10 %.
  ``auc_ci`` is the bootstrap 95 % interval on that test slice.

``summary`` per dataset compares the best adpilot model with the best peer by AUC, with a paired interval on the
difference (paired t over splits, or a paired bootstrap on one split), so "≥ best peer" is stated with its uncertainty.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.intervals import t_interval
from bench.models.peers import PEERS
from bench.models.serving import measure_serving
from models.bundle import TrainedModel, sigmoid
from models.datasets import LabelledFrame
from models.deep import DeepConfig
from models.errors import DatasetError
from models.lgbm import LgbmConfig
from models.metrics import auc, ece, evaluate
from models.sources import load_source, sandbox_impressions
from models.training import TrainConfig, train_family

__all__ = ["DATASETS", "run"]

DATASETS = ("criteo", "avazu", "talkingdata", "sandbox")
Split = tuple[LabelledFrame, LabelledFrame, float]
Progress = Callable[[str], None]


def _stratified(data: LabelledFrame, seed: int, repeats: int) -> list[Split]:
    from sklearn.model_selection import StratifiedShuffleSplit

    out = []
    for r in range(repeats):
        splitter = StratifiedShuffleSplit(1, test_size=0.2, random_state=seed + r)
        train, test = next(splitter.split(np.zeros(len(data)), data.label))
        out.append((data.take(np.sort(train)), data.take(np.sort(test)), 0.15))
    return out


def _time_ordered(data: LabelledFrame) -> list[Split]:
    n = len(data)
    fit_end = round(n * 0.9)
    return [(data.take(np.arange(fit_end)), data.take(np.arange(fit_end, n)), 1.0 / 9.0)]


def _raw_probability(model: TrainedModel, x: np.ndarray) -> np.ndarray:
    head = next(iter(model.heads.values()))
    return sigmoid(head.scorer.raw(x))


def _score_split(
    train: LabelledFrame, test: LabelledFrame, valid_fraction: float, seed: int, progress: Progress
) -> tuple[dict[str, dict[str, Any]], dict[str, np.ndarray], TrainedModel]:
    results: dict[str, dict[str, Any]] = {}
    preds: dict[str, np.ndarray] = {}
    cfg = TrainConfig(valid_fraction=valid_fraction, lgbm=LgbmConfig(seed=seed), deep=DeepConfig(seed=seed))
    family = train_family(train, cfg)
    for algo, model in family.items():
        name = f"adpilot_{algo}"
        x = model.spec.encode(test.frame)
        preds[name] = model.predict(x)
        elapsed = float(model.meta["train_seconds"])
        results[name] = {"train_s": elapsed, "ece_uncalibrated": ece(test.label, _raw_probability(model, x))}
        progress(f"    {name}: auc {auc(test.label, preds[name]):.4f} ({elapsed:.1f}s)")
    lgbm_model = family["lgbm"]
    for name, peer in PEERS.items():
        p, elapsed = peer(train, test, seed)
        preds[name] = p
        results[name] = {"train_s": elapsed}
        progress(f"    {name}: auc {auc(test.label, p):.4f} ({elapsed:.1f}s)")
    for name, p in preds.items():
        m = evaluate(test.label, p, n_boot=200, seed=seed)
        results[name].update(
            {"auc": m.auc, "auc_bootstrap_ci": list(m.auc_ci), "logloss": m.logloss, "ne": m.ne, "ece": m.ece}
        )
    return results, preds, lgbm_model


def _paired_bootstrap(y: np.ndarray, a: np.ndarray, b: np.ndarray, seed: int, n_boot: int = 300) -> list[float]:
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(n_boot):
        idx = rng.integers(0, len(y), len(y))
        diffs.append(auc(y[idx], a[idx]) - auc(y[idx], b[idx]))
    lo, hi = np.nanquantile(diffs, [0.025, 0.975])
    return [float(lo), float(hi)]


def _aggregate(per_split: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name in per_split[0]:
        rows = [s[name] for s in per_split]
        aucs = [r["auc"] for r in rows]
        agg: dict[str, Any] = {"auc": float(np.mean(aucs))}
        agg["auc_ci"] = t_interval(aucs) if len(rows) > 1 else rows[0]["auc_bootstrap_ci"]
        for key in ("logloss", "ne", "ece", "train_s", "ece_uncalibrated"):
            if key in rows[0]:
                agg[key] = float(np.mean([r[key] for r in rows]))
        if len(rows) > 1:
            agg["auc_splits"] = aucs
            agg["auc_bootstrap_ci"] = [float(np.mean([r["auc_bootstrap_ci"][i] for r in rows])) for i in (0, 1)]
        out[name] = {
            k: (round(v, 5) if isinstance(v, float) else [round(x, 5) for x in v] if isinstance(v, list) else v)
            for k, v in agg.items()
        }
    return out


def _summary(
    models: dict[str, dict[str, Any]],
    per_split: list[dict[str, dict[str, Any]]],
    last: tuple[np.ndarray, dict[str, np.ndarray]],
    seed: int,
) -> dict[str, Any]:
    ours = max((k for k in models if k.startswith("adpilot_")), key=lambda k: models[k]["auc"])
    peer = max((k for k in models if not k.startswith("adpilot_")), key=lambda k: models[k]["auc"])
    diffs = [s[ours]["auc"] - s[peer]["auc"] for s in per_split]
    if len(diffs) > 1:
        ci = t_interval(diffs)
    else:
        y, preds = last
        ci = _paired_bootstrap(y, preds[ours], preds[peer], seed)
    return {
        "best_adpilot": ours,
        "best_peer": peer,
        "auc_delta": round(float(np.mean(diffs)), 5),
        "auc_delta_ci": [round(x, 5) for x in ci],
        "adpilot_ge_best_peer": bool(np.mean(diffs) >= 0),
    }


def _load(name: str, seed: int) -> LabelledFrame:
    if name == "sandbox":
        return sandbox_impressions(seed=seed, days=14).ctr("sandbox")
    return load_source(name)


def run(
    *,
    seed: int = 0,
    datasets: tuple[str, ...] = DATASETS,
    repeats: int = 5,
    serving: bool = True,
    progress: Progress = print,
) -> dict[str, Any]:
    """Run the benchmark. Anything a library prints to stdout (deepctr-torch does) goes to stderr, so stdout carries
    only the caller's JSON."""
    with contextlib.redirect_stdout(sys.stderr):
        return _run(seed=seed, datasets=datasets, repeats=repeats, serving=serving, progress=progress)


def _run(
    *,
    seed: int = 0,
    datasets: tuple[str, ...] = DATASETS,
    repeats: int = 5,
    serving: bool = True,
    progress: Progress = print,
) -> dict[str, Any]:
    started = time.perf_counter()
    report: dict[str, Any] = {"benchmark": "models", "seed": seed, "datasets": {}, "summary": {}, "notes": {}}
    serving_candidate: tuple[TrainedModel, np.ndarray] | None = None
    for name in datasets:
        progress(f"[{name}] loading")
        try:
            data = _load(name, seed)
        except (DatasetError, ImportError) as exc:
            report["notes"][name] = f"skipped: {exc}"
            progress(f"[{name}] skipped: {exc}")
            continue
        splits = _stratified(data, seed, repeats) if name in ("criteo", "avazu") else _time_ordered(data)
        per_split: list[dict[str, dict[str, Any]]] = []
        last: tuple[np.ndarray, dict[str, np.ndarray]] = (np.zeros(0), {})
        for i, (train, test, valid_fraction) in enumerate(splits):
            progress(f"[{name}] split {i + 1}/{len(splits)}: {len(train)} train / {len(test)} test rows")
            results, preds, lgbm_model = _score_split(train, test, valid_fraction, seed + i, progress)
            per_split.append(results)
            last = (test.label, preds)
            if lgbm_model is not None and (serving_candidate is None or name == "sandbox"):
                serving_candidate = (lgbm_model, lgbm_model.spec.encode(test.frame))
        models = _aggregate(per_split)
        report["datasets"][name] = models
        report["summary"][name] = {"rows": len(data), "base_rate": round(data.base_rate, 5), "splits": len(splits),
                                   **_summary(models, per_split, last, seed)}  # fmt: skip
    if serving and serving_candidate is not None:
        progress("[serving] compiling and timing the adpilot_lgbm predictor")
        report["serving"] = measure_serving(*serving_candidate)
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    return report
