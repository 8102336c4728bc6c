from __future__ import annotations

import numpy as np

from models.bundle import sigmoid
from models.calibration import fit_calibrator
from models.metrics import auc, ece, evaluate, logloss, normalised_entropy


def _distorted(criteo_lgbm, criteo_split):
    """Real model scores on real rows, made overconfident and biased (as an uncalibrated ranker would be)."""
    test = criteo_split[1]
    p = criteo_lgbm.predict(criteo_lgbm.spec.encode(test.frame))
    z = np.log(p / (1 - p))
    return sigmoid(2.5 * z + 0.8), test.label


def test_calibration_reduces_ece_on_held_out_rows(criteo_lgbm, criteo_split) -> None:
    p, y = _distorted(criteo_lgbm, criteo_split)
    half = len(y) // 2
    for method in ("isotonic", "platt"):
        cal = fit_calibrator(p[:half], y[:half], method)
        before, after = ece(y[half:], p[half:]), ece(y[half:], cal.apply(p[half:]))
        assert after < before / 2, (method, before, after)


def test_centred_isotonic_keeps_the_ranking(criteo_lgbm, criteo_split) -> None:
    p, y = _distorted(criteo_lgbm, criteo_split)
    cal = fit_calibrator(p, y, "isotonic")
    assert abs(auc(y, cal.apply(p)) - auc(y, p)) < 0.005
    assert np.all(np.diff(cal.apply(np.sort(p))) >= 0)


def test_metrics_on_known_values() -> None:
    y = np.array([0, 0, 1, 1])
    assert auc(y, np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    base = np.full(4, 0.5)
    assert np.isclose(normalised_entropy(y, base), 1.0)
    assert np.isclose(logloss(y, base), np.log(2))
    assert ece(y, base) == 0.0
    m = evaluate(y, np.array([0.1, 0.2, 0.7, 0.9]), n_boot=50)
    assert m.auc == 1.0 and m.auc_ci[0] <= m.auc <= m.auc_ci[1] + 1e-12
    assert evaluate(np.zeros(3), np.full(3, 0.2), n_boot=5).as_dict()["auc"] is None
