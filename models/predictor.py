"""Serving: a model loaded once per process, scoring pre-encoded numpy rows, hot-reloaded when the champion changes.

Why numpy and not DataFrames: a one-row pandas frame costs ~10–25 ms to build, a numpy row ~0.06 ms; the agents'
tools and the bidder call this in loops. Encoding (``FeatureSpec.encode_rows``) is separate from scoring so hot paths
can encode once and score many times.

- :class:`Predictor` wraps a :class:`TrainedModel`. ``predict`` (batch) and ``predict_one`` (single call) share one
  code path — the single call scores a 1-row view of the same array layout — so they give identical outputs for tree
  models (tested). With ``compiled=True`` LightGBM heads are compiled to native code with ``lleaves`` (LLVM), which
  is what reaches ≥ 1 M rows/s on 2 cores; compilation is cached on disk by model hash, and the cache keeps the
  newest :data:`COMPILE_CACHE_KEEP` models (a daemon retraining nightly would otherwise add a model file and an
  object file per champion for ever).
- :class:`PriorPredictor` is the cold-start fallback (no champion yet): a constant prior, ``is_fallback=True`` so
  every caller can report that no model backs the number.
- :class:`ChampionSlot` holds the current predictor of one kind, asks a :class:`ChampionSource` (the registry) at most
  every ``check_interval_s`` which version is champion, and swaps in a newly loaded predictor atomically when it
  changed. Readers never see a half-loaded model. The slot is the only long-lived reference to a served model: the
  superseded one is dropped when the new one is swapped in and freed as soon as in-flight calls return, so a process
  holds at most two versions (during a swap), however many champions come and go (tested with weak references).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from models.bundle import Head, ModelKind, TrainedModel, sigmoid
from models.lgbm import LgbmScorer

__all__ = ["COMPILE_CACHE_KEEP", "ChampionSlot", "ChampionSource", "Predictor", "PriorPredictor", "ServingModel"]

COMPILE_CACHE_KEEP = 8
# A file younger than this may belong to a compilation another process is doing right now: never pruned.
_PRUNE_MIN_AGE_S = 600.0


class ServingModel(Protocol):
    kind: ModelKind
    version: int | None
    is_fallback: bool

    def predict(self, x: np.ndarray) -> np.ndarray: ...

    def predict_one(self, x: np.ndarray) -> float: ...

    def predict_rows(self, rows: list[dict[str, Any]]) -> np.ndarray: ...


class _CompiledHead:
    """A LightGBM head compiled by lleaves; same calibrator."""

    def __init__(self, head: Head, cache_dir: Path | None, num_threads: int) -> None:
        import lleaves

        assert isinstance(head.scorer, LgbmScorer)
        text = head.scorer.booster.model_to_string()
        digest = hashlib.sha256(text.encode()).hexdigest()[:24]
        folder = cache_dir or Path.home() / ".cache" / "adpilot" / "lleaves"
        folder.mkdir(parents=True, exist_ok=True)
        model_file = folder / f"{digest}.txt"
        if not model_file.exists():
            model_file.write_text(text)
        self.model = lleaves.Model(model_file=str(model_file))
        self.model.compile(cache=str(folder / f"{digest}.o"), raw_score=True)
        model_file.touch()  # "recently used", for the pruning below
        _prune_compile_cache(folder, keep=COMPILE_CACHE_KEEP)
        self.calibrator = head.calibrator
        self.num_threads = num_threads

    def predict(self, x: np.ndarray, *, num_threads: int = 2) -> np.ndarray:
        x64 = np.ascontiguousarray(x, dtype=np.float64)
        jobs = 1 if len(x64) < 10_000 else num_threads
        return self.calibrator.apply(sigmoid(np.asarray(self.model.predict(x64, n_jobs=jobs), dtype=np.float64)))


def _prune_compile_cache(folder: Path, *, keep: int) -> None:
    """Delete the model and object files of all but the ``keep`` most recently used models (by mtime); a loaded
    model needs neither file any more, and one still being compiled elsewhere is spared by its age."""
    newest: dict[str, float] = {}
    for path in folder.glob("*.txt"):
        newest[path.stem] = max(newest.get(path.stem, 0.0), _mtime(path), _mtime(path.with_suffix(".o")))
    now = time.time()
    for stem in sorted(newest, key=newest.__getitem__, reverse=True)[keep:]:
        if now - newest[stem] >= _PRUNE_MIN_AGE_S:
            for suffix in (".txt", ".o"):
                (folder / f"{stem}{suffix}").unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


class Predictor:
    """A loaded model ready to serve. Thread-safe for reads (no state mutated by predict)."""

    is_fallback = False

    def __init__(
        self,
        model: TrainedModel,
        *,
        version: int | None = None,
        compiled: bool = False,
        cache_dir: Path | None = None,
        num_threads: int = 2,
    ) -> None:
        self.model = model
        self.kind: ModelKind = model.kind
        self.version = version
        self.num_threads = num_threads
        self._heads: dict[str, Any] = dict(model.heads)
        if compiled:
            for name, head in model.heads.items():
                if isinstance(head.scorer, LgbmScorer):
                    self._heads[name] = _CompiledHead(head, cache_dir, num_threads)

    @property
    def spec_hash(self) -> str:
        return self.model.spec.fingerprint()

    def _head(self, name: str, x: np.ndarray) -> np.ndarray:
        return np.asarray(self._heads[name].predict(x, num_threads=self.num_threads), dtype=np.float64)

    def predict_head(self, name: str, x: np.ndarray) -> np.ndarray:
        return self._head(name, np.atleast_2d(x))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Batch path: encoded rows ``(n, n_features)`` → calibrated probabilities ``(n,)``."""
        x = np.atleast_2d(x)
        if "ctcvr" in self._heads:
            return np.clip(self._head("ctcvr", x) / np.maximum(self._head("ctr", x), 1e-9), 0.0, 1.0)
        return self._head(next(iter(self._heads)), x)

    def predict_one(self, x: np.ndarray) -> float:
        """Single-call path: one encoded row ``(n_features,)`` → probability."""
        return float(self.predict(x.reshape(1, -1))[0])

    def predict_rows(self, rows: list[dict[str, Any]]) -> np.ndarray:
        return self.predict(self.model.spec.encode_rows(rows))

    def encode_rows(self, rows: list[dict[str, Any]]) -> np.ndarray:
        return self.model.spec.encode_rows(rows)


class PriorPredictor:
    """Cold start: the prior probability for every row, flagged as a fallback."""

    is_fallback = True
    version: int | None = None

    def __init__(self, kind: ModelKind, prior: float) -> None:
        self.kind = kind
        self.prior = float(prior)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.full(len(np.atleast_2d(x)), self.prior)

    def predict_one(self, x: np.ndarray) -> float:
        return self.prior

    def predict_rows(self, rows: list[dict[str, Any]]) -> np.ndarray:
        return np.full(len(rows), self.prior)


class ChampionSource(Protocol):
    """Where the champion comes from (the registry service implements it)."""

    def champion_version(self, kind: ModelKind) -> int | None: ...

    def load_model(self, kind: ModelKind, version: int) -> TrainedModel: ...


class ChampionSlot:
    """The current model of one kind in this process, reloaded when the registry's champion changes."""

    def __init__(
        self,
        kind: ModelKind,
        source: ChampionSource,
        *,
        prior: float,
        check_interval_s: float = 30.0,
        compiled: bool = False,
        cache_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.kind = kind
        self.source = source
        self.check_interval_s = check_interval_s
        self.compiled = compiled
        self.cache_dir = cache_dir
        self._clock = clock
        self._lock = threading.Lock()
        self._current: ServingModel = PriorPredictor(kind, prior)
        self._checked_at: float | None = None

    def get(self) -> ServingModel:
        """The predictor to use now; checks for a new champion at most every ``check_interval_s``."""
        now = self._clock()
        if self._checked_at is None or now - self._checked_at >= self.check_interval_s:
            self.refresh()
        return self._current

    def refresh(self) -> ServingModel:
        """Check the champion now; load it if it is not the one being served."""
        with self._lock:
            self._checked_at = self._clock()
            version = self.source.champion_version(self.kind)
            if version is None:
                if not self._current.is_fallback:
                    self._current = PriorPredictor(self.kind, float(self._current.model.meta.get("base_rate", 0.01)))  # type: ignore[attr-defined]
                return self._current
            if version != self._current.version:
                model = self.source.load_model(self.kind, version)
                self._current = Predictor(model, version=version, compiled=self.compiled, cache_dir=self.cache_dir)
            return self._current
