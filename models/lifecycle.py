"""Nightly retraining from the campaign store: CTR on every logged impression, post-click CVR on the clicks whose
conversion window has closed (so delayed conversions are not read as negatives), each registered as a candidate
and promoted only if it beats the champion on the same time-ordered holdout. The daemon's ``model_retraining`` job
calls :func:`retrain_and_promote`; cold start (too few logs) is reported, not an error. (``models.cvr`` offers the
ESMM model over the whole impression space; the nightly job trains the post-click CVR the sandbox bidder multiplies
with pCTR.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from db.database import Database
from db.performance import recent_impressions
from models.datasets import LabelledFrame, load_impression_logs
from models.errors import PromotionRefused
from models.registry import RegistryService
from models.sources import time_holdout
from models.training import TrainConfig

__all__ = ["CVR_WINDOW_S", "MIN_CLICKS", "MIN_CONVERSIONS", "MIN_IMPRESSIONS", "retrain_and_promote"]

MIN_IMPRESSIONS = 10_000
# Post-click conversions of the platforms we serve arrive within hours; a 24 h window lets CVR train after two days of
# logs instead of four, at the cost of reading the rare later conversion as a negative (a small, stated bias).
CVR_WINDOW_S = 24 * 3600.0
MIN_CLICKS = 300
MIN_CONVERSIONS = 30


def _train_and_promote(service: RegistryService, frame: LabelledFrame, kind: str) -> str:
    train, holdout = time_holdout(frame, 0.2)
    row = service.train(train, holdout, TrainConfig(algo="lgbm"), kind=kind)  # type: ignore[arg-type]
    try:
        service.promote(kind, row.version, holdout=holdout)  # type: ignore[arg-type]
    except PromotionRefused as exc:
        return f"v{row.version} stays a candidate ({exc.message})"
    return f"v{row.version} promoted"


def retrain_and_promote(database: Database, *, limit: int = 200_000) -> dict[str, Any]:
    with database.transaction() as session:
        rows = recent_impressions(session, limit=limit)
    if len(rows) < MIN_IMPRESSIONS:
        return {"skipped": f"{len(rows)} impressions logged; training starts at {MIN_IMPRESSIONS}"}
    log = load_impression_logs(rows)
    service = RegistryService(database)
    out: dict[str, Any] = {"impressions": len(rows)}
    ctr = log.ctr()
    if int(ctr.label.sum()) >= MIN_CLICKS:
        out["ctr"] = _train_and_promote(service, ctr, "ctr")
    else:
        out["ctr"] = f"skipped: {int(ctr.label.sum())} clicks (need {MIN_CLICKS})"
    as_of = float(np.nanmax(log.shown_at))
    matured = log.clicked & (log.shown_at <= as_of - CVR_WINDOW_S)
    converted = np.isfinite(log.converted_at) & (log.converted_at <= log.shown_at + CVR_WINDOW_S)
    idx = np.flatnonzero(matured)
    labels = converted[idx].astype(np.int8)
    if idx.size >= MIN_CLICKS and int(labels.sum()) >= MIN_CONVERSIONS:
        cvr = LabelledFrame("cvr", log.frame.iloc[idx].reset_index(drop=True), labels, log.schema, log.shown_at[idx])
        out["cvr"] = _train_and_promote(service, cvr, "cvr")
    else:
        out["cvr"] = f"skipped: {idx.size} matured clicks, {int(labels.sum())} conversions"
    return out
