"""Superseded champions leave memory: a process that sees many champions come and go holds at most the current
one (and, during a swap, the one being replaced). Weak references to every loaded model, scorer, booster and compiled
engine tell what is still reachable; the lleaves compile cache on disk stays bounded too."""

from __future__ import annotations

import gc
import os
import time
import weakref
from pathlib import Path

import pytest

from models.bundle import TrainedModel
from models.lgbm import LgbmScorer
from models.predictor import COMPILE_CACHE_KEEP, ChampionSlot, Predictor, _prune_compile_cache


class _Registry:
    """Each version is a fresh object graph decoded from the artifact bytes, as ``RegistryService.load_model`` does."""

    def __init__(self, artifact: bytes) -> None:
        self.artifact = artifact
        self.version: int | None = None
        self.loaded: list[weakref.ref[object]] = []

    def champion_version(self, kind: str) -> int | None:
        return self.version

    def load_model(self, kind: str, version: int) -> TrainedModel:
        model = TrainedModel.from_bytes(self.artifact)
        scorer = model.heads["ctr"].scorer
        assert isinstance(scorer, LgbmScorer)
        self.loaded += [weakref.ref(model), weakref.ref(scorer), weakref.ref(scorer.booster)]
        return model

    def alive(self) -> int:
        gc.collect()
        return sum(ref() is not None for ref in self.loaded)


def _serve_successive_champions(slot: ChampionSlot, registry: _Registry, x, versions: int) -> list[int]:
    alive = []
    for version in range(1, versions + 1):
        registry.version = version
        served = slot.refresh()
        assert served.version == version
        served.predict(x)
        del served
        alive.append(registry.alive())
    return alive


def test_only_the_current_champion_stays_referenced(criteo_lgbm, criteo_split) -> None:
    registry = _Registry(criteo_lgbm.to_bytes())
    slot = ChampionSlot("ctr", registry, prior=0.01, check_interval_s=0)
    x = criteo_lgbm.spec.encode(criteo_split[1].frame)[:200]
    alive = _serve_successive_champions(slot, registry, x, versions=10)
    assert len(registry.loaded) == 30  # ten champions were really loaded
    assert alive == [3] * 10  # model, scorer and booster of the current champion only
    registry.version = None
    slot.refresh()  # no champion any more: back to the prior, the last model goes too
    assert registry.alive() == 0


def test_compiled_champions_are_released_too(criteo_lgbm, criteo_split, tmp_path: Path) -> None:
    pytest.importorskip("lleaves")
    registry = _Registry(criteo_lgbm.to_bytes())
    slot = ChampionSlot("ctr", registry, prior=0.01, check_interval_s=0, compiled=True, cache_dir=tmp_path)
    x = criteo_lgbm.spec.encode(criteo_split[1].frame)[:200]
    engines: list[weakref.ref[object]] = []
    for version in range(1, 5):
        registry.version = version
        served = slot.refresh()
        assert isinstance(served, Predictor)
        served.predict(x)
        engines.append(weakref.ref(served._heads["ctr"].model))
        del served
    gc.collect()
    assert [ref() is not None for ref in engines] == [False, False, False, True]


def test_the_compile_cache_keeps_the_newest_models(tmp_path: Path) -> None:
    old = time.time() - 3600
    for k in range(COMPILE_CACHE_KEEP + 5):
        for suffix in (".txt", ".o"):
            path = tmp_path / f"m{k:02d}{suffix}"
            path.write_text("x")
            os.utime(path, (old + k, old + k))
    fresh = tmp_path / "fresh.txt"  # being compiled by another process right now: never pruned
    fresh.write_text("x")
    _prune_compile_cache(tmp_path, keep=COMPILE_CACHE_KEEP)
    left = sorted(p.stem for p in tmp_path.glob("*.txt"))
    assert left == ["fresh"] + [f"m{k:02d}" for k in range(6, COMPILE_CACHE_KEEP + 5)]
    assert sorted(p.stem for p in tmp_path.glob("*.o")) == left[1:]
    _prune_compile_cache(tmp_path, keep=0)
    assert [p.stem for p in tmp_path.iterdir()] == ["fresh"]
