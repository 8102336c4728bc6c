from __future__ import annotations

import pytest
from pydantic import ValidationError

from models.predictor import Predictor, PriorPredictor
from tools.model_health import ModelHealthInput, model_health
from tools.predict import GridSpec, ModelToolContext, PredictionInput, predict_ctr, predict_cvr


def _ctx(ctr, cvr=None):
    return ModelToolContext(serving={"ctr": lambda: ctr, "cvr": lambda: cvr or PriorPredictor("cvr", 0.05)})


def test_grid_prediction_covers_every_cell(criteo_lgbm) -> None:
    grid = GridSpec(segments=[{"C1": "68fd1e64"}, {"C1": "unknown"}], creatives=[{"C3": "x"}], hours=[0, 12, 23])
    out = predict_ctr(PredictionInput(grid=grid), _ctx(Predictor(criteo_lgbm, version=3)))
    assert len(out.predictions) == 6 and out.model_version == 3 and not out.is_fallback
    assert all(0 < p.p < 1 for p in out.predictions)


def test_cold_start_is_reported_as_fallback() -> None:
    out = predict_cvr(PredictionInput(rows=[{"segment_id": "s1"}]), _ctx(PriorPredictor("ctr", 0.01)))
    assert out.is_fallback and out.predictions[0].p == 0.05 and "prior" in out.note


def test_input_needs_exactly_one_source() -> None:
    with pytest.raises(ValidationError):
        PredictionInput()
    with pytest.raises(ValidationError):
        PredictionInput(rows=[{}], grid=GridSpec(segments=[{}], creatives=[{}]))


def test_model_health_reports_drift(criteo_lgbm, criteo_split) -> None:
    ctx = _ctx(Predictor(criteo_lgbm, version=1))
    same = criteo_split[1].frame.to_dict("records")
    healthy = model_health(ModelHealthInput(kind="ctr", recent_rows=same), ctx)
    assert healthy.model_version == 1 and healthy.age_hours is not None
    assert healthy.verdict != "drift_major" and healthy.max_psi is not None and healthy.max_psi < 0.25
    shifted = [{**r, "C1": "brand-new", "I5": 10**9} for r in same]
    drifted = model_health(ModelHealthInput(kind="ctr", recent_rows=shifted), ctx)
    assert drifted.verdict == "drift_major" and {d.feature for d in drifted.drifted} >= {"C1", "I5"}
    assert model_health(ModelHealthInput(kind="cvr"), ctx).verdict == "no_model"
