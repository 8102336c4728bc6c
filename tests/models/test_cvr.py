"""ESMM-style CVR on impression logs with delayed conversions (synthetic log with a known truth)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from models.cvr import ATTRIBUTION_WINDOW_S, ctcvr_labels, train_esmm
from models.datasets import load_impression_logs
from models.metrics import auc
from models.training import TrainConfig
from tests.models.conftest import FAST_LGBM


def _log(n: int = 12_000, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        seg = f"seg_{rng.integers(0, 6)}"
        cre = f"cr_{rng.integers(0, 4)}"
        shown = start + timedelta(minutes=int(i * 2))
        p_click = 0.02 + 0.06 * (seg in ("seg_0", "seg_1")) + 0.03 * (cre == "cr_0")
        p_conv = 0.05 + 0.3 * (seg == "seg_0")
        clicked = rng.random() < p_click
        converted_at = (
            shown + timedelta(hours=float(rng.lognormal(1.0, 1.0))) if clicked and rng.random() < p_conv else None
        )
        rows.append({"features": {"segment_id": seg, "creative_id": cre, "position": int(rng.integers(1, 5))},
                     "shown_at": shown, "clicked": clicked, "converted_at": converted_at})  # fmt: skip
    return rows


def test_immature_impressions_are_left_out_of_the_ctcvr_labels() -> None:
    log = load_impression_logs(_log(3000))
    as_of = float(np.nanmax(log.shown_at))
    mature, label = ctcvr_labels(log, as_of=as_of)
    assert not mature[log.shown_at > as_of - ATTRIBUTION_WINDOW_S].any()
    assert label.sum() <= log.clicked.sum()
    assert (label[label > 0] <= log.clicked[label > 0]).all()


def test_esmm_heads_learn_ctr_ctcvr_and_a_sensible_cvr() -> None:
    log = load_impression_logs(_log())
    model = train_esmm(log, TrainConfig(lgbm=FAST_LGBM))
    assert set(model.heads) == {"ctr", "ctcvr"} and model.kind == "cvr"
    x = model.spec.encode(log.frame)
    assert auc(log.clicked, model.predict_head("ctr", x)) > 0.6
    rows = [{"segment_id": "seg_0", "creative_id": "cr_1", "position": 2},
            {"segment_id": "seg_4", "creative_id": "cr_1", "position": 2}]  # fmt: skip
    cvr = model.predict_rows(rows)
    assert np.all((cvr >= 0) & (cvr <= 1))
    assert cvr[0] > cvr[1]  # seg_0 converts far better after a click
