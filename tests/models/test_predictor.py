from __future__ import annotations

import numpy as np
import pytest

from models.bundle import TrainedModel
from models.predictor import ChampionSlot, Predictor, PriorPredictor


def test_batch_and_single_paths_are_identical_for_lgbm(criteo_lgbm, criteo_split) -> None:
    predictor = Predictor(criteo_lgbm, version=1)
    x = criteo_lgbm.spec.encode(criteo_split[1].frame)[:300]
    batch = predictor.predict(x)
    single = np.array([predictor.predict_one(row) for row in x])
    assert np.array_equal(batch, single)


def test_batch_and_single_paths_agree_for_dcnv2(criteo_dcnv2, criteo_split) -> None:
    """Float32 BLAS kernels differ between 1-row and n-row products, so deep models agree to ~1e-6, not bitwise."""
    model = criteo_dcnv2
    predictor = Predictor(model)
    x = model.spec.encode(criteo_split[1].frame)[:200]
    np.testing.assert_allclose(predictor.predict(x), [predictor.predict_one(r) for r in x], rtol=1e-5, atol=1e-7)


def test_compiled_lgbm_matches_the_booster(criteo_lgbm, criteo_split, tmp_path) -> None:
    pytest.importorskip("lleaves")
    plain = Predictor(criteo_lgbm)
    compiled = Predictor(criteo_lgbm, compiled=True, cache_dir=tmp_path)
    x = criteo_lgbm.spec.encode(criteo_split[1].frame)[:500]
    np.testing.assert_allclose(compiled.predict(x), plain.predict(x), rtol=1e-9, atol=1e-12)
    assert np.array_equal(compiled.predict(x[:50]), [compiled.predict_one(r) for r in x[:50]])


def test_unseen_categories_and_missing_values_do_not_crash(criteo_lgbm) -> None:
    predictor = Predictor(criteo_lgbm)
    rows: list[dict[str, object]] = [
        {},
        {"C1": "never-seen", "I1": None, "I2": float("nan")},
        {"C3": 12345, "I5": "garbage"},
    ]
    p = predictor.predict_rows(rows)
    assert p.shape == (3,) and np.all((p > 0) & (p < 1))


class _Source:
    def __init__(self, model: TrainedModel) -> None:
        self.model = model
        self.version: int | None = None
        self.loads = 0

    def champion_version(self, kind: str) -> int | None:
        return self.version

    def load_model(self, kind: str, version: int) -> TrainedModel:
        self.loads += 1
        return self.model


def test_champion_slot_falls_back_then_hot_reloads(criteo_lgbm) -> None:
    now = [0.0]
    source = _Source(criteo_lgbm)
    slot = ChampionSlot("ctr", source, prior=0.02, check_interval_s=10, clock=lambda: now[0])
    first = slot.get()
    assert isinstance(first, PriorPredictor) and first.is_fallback and first.predict_one(np.zeros(3)) == 0.02
    source.version = 1
    assert slot.get() is first  # not re-checked before the interval
    now[0] = 11.0
    served = slot.get()
    assert isinstance(served, Predictor) and served.version == 1 and not served.is_fallback
    now[0] = 30.0
    assert slot.get() is served and source.loads == 1  # same champion: no reload
    source.version = 2
    now[0] = 45.0
    assert slot.get().version == 2 and source.loads == 2
    source.version = None
    now[0] = 60.0
    assert slot.get().is_fallback


def test_model_estimator_speaks_the_sandbox_protocol(criteo_lgbm, criteo_split) -> None:
    from models.estimator import ModelEstimator

    batch = {c: criteo_split[1].frame[c].to_numpy()[:20] for c in ("C1", "C2", "I1")}
    ctr = Predictor(criteo_lgbm, version=1)
    estimator = ModelEstimator(lambda: ctr, lambda: PriorPredictor("cvr", 0.05))
    p_ctr, p_cvr = estimator.predict(batch)
    assert p_ctr.shape == p_cvr.shape == (20,) and np.all(p_cvr == 0.05)
    assert np.array_equal(p_ctr, ctr.predict(criteo_lgbm.spec.encode({k: list(v) for k, v in batch.items()})))
