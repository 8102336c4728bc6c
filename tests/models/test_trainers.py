"""Each trainer beats the base rate on the real samples (AUC > 0.6 on Criteo/Avazu, > 0.9 on TalkingData)."""

from __future__ import annotations

import numpy as np
import pytest

from models.metrics import auc
from models.sources import time_holdout
from models.training import TrainConfig, train_model
from tests.models.conftest import FAST_DEEP, FAST_LGBM, stratified_split


def _test_auc(model, test) -> float:
    return auc(test.label, model.predict(model.spec.encode(test.frame)))


def test_lgbm_beats_base_rate_on_criteo(criteo_lgbm, criteo_split) -> None:
    assert _test_auc(criteo_lgbm, criteo_split[1]) > 0.6


def test_lgbm_beats_base_rate_on_avazu(avazu) -> None:
    train, test = stratified_split(avazu)
    assert _test_auc(train_model(train, TrainConfig(lgbm=FAST_LGBM)), test) > 0.6


def test_dcnv2_beats_base_rate_on_criteo(criteo_dcnv2, criteo_split) -> None:
    assert _test_auc(criteo_dcnv2, criteo_split[1]) > 0.6


def test_dcnv2_beats_base_rate_on_avazu(avazu) -> None:
    train, test = stratified_split(avazu)
    assert _test_auc(train_model(train, TrainConfig(algo="dcnv2", deep=FAST_DEEP)), test) > 0.6


@pytest.mark.slow
def test_lgbm_cvr_beats_base_rate_on_talkingdata_time_split(talkingdata) -> None:
    train, test = time_holdout(talkingdata, 0.1)
    model = train_model(train, TrainConfig(lgbm=FAST_LGBM), kind="cvr")
    assert model.kind == "cvr"
    assert _test_auc(model, test) > 0.9


@pytest.mark.slow
def test_blend_weights_are_a_convex_mix(criteo_split) -> None:
    model = train_model(criteo_split[0], TrainConfig(algo="blend", lgbm=FAST_LGBM, deep=FAST_DEEP))
    weights = model.heads["ctr"].scorer.weights  # type: ignore[attr-defined]
    assert np.isclose(sum(weights), 1.0) and all(0 <= w <= 1 for w in weights)
    assert _test_auc(model, criteo_split[1]) > 0.6


def test_linear_beats_base_rate_on_avazu_and_round_trips(avazu) -> None:
    from models.bundle import TrainedModel

    train, test = stratified_split(avazu)
    model = train_model(train, TrainConfig(algo="linear"))
    assert _test_auc(model, test) > 0.6
    again = TrainedModel.from_bytes(model.to_bytes())
    x = model.spec.encode(test.frame)
    assert np.array_equal(again.predict(x), model.predict(x))
