"""Serving throughput and latency of the champion-shaped predictor: compiled LightGBM (lleaves) + calibrator.

Batch: 1,000,000 pre-encoded rows (test rows tiled) scored in one call with 2 threads. Single call: ``predict_one`` on
one pre-encoded row, 3,000 timed calls after a warm-up; p50 and p99 of wall time.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from models.bundle import TrainedModel
from models.predictor import Predictor

__all__ = ["measure_serving"]


def measure_serving(
    model: TrainedModel, x: np.ndarray, *, rows: int = 1_000_000, calls: int = 3000
) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        try:
            predictor = Predictor(model, compiled=True, cache_dir=Path(cache))
            engine = "lleaves"
        except ImportError:
            predictor, engine = Predictor(model), "lightgbm"
        compile_s = time.perf_counter() - started
        batch = np.ascontiguousarray(np.resize(x, (rows, x.shape[1])), dtype=np.float64)
        predictor.predict(batch[:10_000])
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            predictor.predict(batch)
            best = min(best, time.perf_counter() - t0)
        single = np.ascontiguousarray(x[:64], dtype=np.float64)
        for i in range(200):
            predictor.predict_one(single[i % 64])
        times = np.empty(calls)
        for i in range(calls):
            t0 = time.perf_counter()
            predictor.predict_one(single[i % 64])
            times[i] = time.perf_counter() - t0
    return {
        "engine": engine,
        "model": model.algo,
        "trees": int(getattr(model.heads[next(iter(model.heads))].scorer, "n_trees", 0)),
        "features": int(x.shape[1]),
        "compile_s": round(compile_s, 2),
        "batch_rows": rows,
        "batch_rows_per_s": round(rows / best),
        "single_p50_ms": round(float(np.percentile(times, 50)) * 1e3, 4),
        "single_p99_ms": round(float(np.percentile(times, 99)) * 1e3, 4),
    }
