"""Registry on real Postgres: register, evaluate on the same holdout, refuse a worse candidate, promote, roll back."""

from __future__ import annotations

import pytest

from db.database import Database
from models.errors import ModelError, PromotionRefused
from models.lgbm import LgbmConfig
from models.predictor import ChampionSlot, Predictor
from models.registry import RegistryService
from models.training import TrainConfig, train_model


@pytest.fixture(scope="module")
def good_and_bad(criteo_lgbm, criteo_split):
    """The session's LightGBM model and a deliberately weak one (three stumps), both trained on the same rows."""
    bad = train_model(criteo_split[0], TrainConfig(lgbm=LgbmConfig(max_rounds=3, num_leaves=2, refit=False)))
    return criteo_lgbm, bad


def test_registry_refuses_to_promote_a_worse_candidate(database: Database, good_and_bad, criteo_split) -> None:
    good, bad = good_and_bad
    holdout = criteo_split[1]
    service = RegistryService(database)
    v1 = service.register(good, holdout=holdout)
    v2 = service.register(bad, holdout=holdout)
    assert (v1.version, v2.version) == (1, 2) and v1.status == "candidate"
    assert service.champion_version("ctr") is None
    service.promote("ctr", 1)
    assert service.champion_version("ctr") == 1
    with pytest.raises(PromotionRefused) as refused:
        service.promote("ctr", 2, holdout=holdout)
    assert refused.value.candidate["auc"] < refused.value.champion["auc"]
    assert service.champion_version("ctr") == 1
    assert {r.version: r.status for r in service.list("ctr")} == {1: "champion", 2: "candidate"}


def test_promote_better_then_roll_back(database: Database, good_and_bad, criteo_split) -> None:
    good, bad = good_and_bad
    holdout = criteo_split[1]
    service = RegistryService(database)
    service.register(bad, holdout=holdout)
    service.register(good)  # no holdout metrics yet: promote evaluates it on the same holdout
    service.promote("ctr", 1)
    result = service.promote("ctr", 2, holdout=holdout)
    assert (result.promoted, result.retired) == (2, 1)
    assert result.candidate_metrics["auc"] > result.champion_metrics["auc"]  # type: ignore[index]
    back = service.rollback("ctr")
    assert (back.promoted, back.retired) == (1, 2)
    statuses = {r.version: (r.status, r.notes) for r in service.list("ctr")}
    assert (
        statuses[1][0] == "champion"
        and statuses[2][0] == "retired"
        and (statuses[2][1] or "").startswith("rolled back")
    )
    with pytest.raises(ModelError, match="no earlier"):
        service.rollback("ctr")


def test_loaded_champion_serves_through_a_slot(database: Database, good_and_bad, criteo_split) -> None:
    good, _ = good_and_bad
    service = RegistryService(database)
    service.register(good, holdout=criteo_split[1])
    slot = ChampionSlot("ctr", service, prior=0.2, check_interval_s=0)
    assert slot.get().is_fallback
    service.promote("ctr", 1)
    served = slot.get()
    assert isinstance(served, Predictor) and served.version == 1
    rows = [{"C1": "68fd1e64", "I1": 1}, {}]
    assert served.predict_rows(rows).tolist() == good.predict_rows(rows).tolist()


def test_deep_models_register_and_load(database: Database, criteo_dcnv2, criteo_split) -> None:
    holdout = criteo_split[1]
    service = RegistryService(database)
    row = service.register(criteo_dcnv2, holdout=holdout)
    assert row.algorithm == "dcnv2" and row.metrics["holdout"]["auc"] > 0.6
    loaded = service.load_model("ctr", row.version)
    x = criteo_dcnv2.spec.encode(holdout.frame)[:50]
    assert loaded.predict(x).tolist() == criteo_dcnv2.predict(x).tolist()
