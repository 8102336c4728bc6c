"""Scale-out: the same training on a Dask LocalCluster (2 worker processes) matches the single-machine model."""

from __future__ import annotations

import pytest

from models.lgbm import LgbmConfig
from models.metrics import auc
from models.training import TrainConfig, train_model


@pytest.mark.slow
def test_lightgbm_dask_matches_single_machine_quality(criteo_split) -> None:
    distributed = pytest.importorskip("distributed")
    train, test = criteo_split
    cfg = LgbmConfig(max_rounds=150, early_stopping_rounds=150, learning_rate=0.08, refit=False)
    single = train_model(train, TrainConfig(lgbm=cfg))
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        clustered = train_model(train, TrainConfig(lgbm=cfg, dask_address=cluster.scheduler_address))
    a_single = auc(test.label, single.predict(single.spec.encode(test.frame)))
    a_dask = auc(test.label, clustered.predict(clustered.spec.encode(test.frame)))
    assert a_dask > 0.6
    assert abs(a_single - a_dask) < 0.03, (a_single, a_dask)
