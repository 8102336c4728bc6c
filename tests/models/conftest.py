"""Shared fixtures: the real samples from ``../shared/data`` (read-only) and small models trained once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.datasets import LabelledFrame, load_avazu, load_criteo, load_talkingdata
from models.deep import DeepConfig
from models.lgbm import LgbmConfig
from models.training import TrainConfig, train_model

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"

FAST_LGBM = LgbmConfig(max_rounds=200, early_stopping_rounds=20, learning_rate=0.08)
FAST_DEEP = DeepConfig(max_epochs=4, patience=1, batch_size=512)


def stratified_split(data: LabelledFrame, seed: int = 0) -> tuple[LabelledFrame, LabelledFrame]:
    from sklearn.model_selection import StratifiedShuffleSplit

    train, test = next(
        StratifiedShuffleSplit(1, test_size=0.2, random_state=seed).split(np.zeros(len(data)), data.label)
    )
    return data.take(np.sort(train)), data.take(np.sort(test))


@pytest.fixture(scope="session")
def criteo() -> LabelledFrame:
    return load_criteo(DATA / "criteo-sample")


@pytest.fixture(scope="session")
def avazu() -> LabelledFrame:
    return load_avazu(DATA / "avazu-sample")


@pytest.fixture(scope="session")
def talkingdata() -> LabelledFrame:
    return load_talkingdata(DATA / "talkingdata-sample" / "train_sample.csv")


@pytest.fixture(scope="session")
def criteo_split(criteo: LabelledFrame) -> tuple[LabelledFrame, LabelledFrame]:
    return stratified_split(criteo)


@pytest.fixture(scope="session")
def criteo_lgbm(criteo_split):
    return train_model(criteo_split[0], TrainConfig(lgbm=FAST_LGBM))


@pytest.fixture(scope="session")
def criteo_dcnv2(criteo_split):
    return train_model(criteo_split[0], TrainConfig(algo="dcnv2", deep=FAST_DEEP))
