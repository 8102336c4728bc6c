"""CVR that respects how conversions arrive: ESMM-style training on the entire impression space, with label maturity.

Choice and why:

- **Entire impression space (ESMM, Ma et al. 2018).** A CVR model trained on clicked rows only learns from a biased
  sample (sample selection bias) and sees very few rows. ESMM instead fits two heads on *all* impressions —
  ``pCTR`` (label: clicked) and ``pCTCVR`` (label: clicked and converted) — and derives
  ``pCVR = pCTCVR / pCTR``. Both heads are supervised on the same space the model serves on, and the bid formula
  needs ``pCTCVR`` directly. Here the heads are separate LightGBM / DCN-V2 scorers sharing one feature spec (the
  tree analogue of ESMM's shared embedding).
- **Delayed conversions: train only on matured labels.** A conversion can arrive up to the attribution window after
  the impression (sandbox: ≤ 72 h). Counting a recent impression as "not converted" would bias pCVR down, most for
  the newest data. So the CTCVR head trains only on impressions older than the window at the training cut-off
  (``as_of``), whose labels are final, and counts a conversion only if it arrived within the window. The CTR head,
  whose label is immediate, uses every impression. This is the label-maturity approach; Chapelle's (2014) delayed
  feedback model would use the newest rows too, at the cost of a second (delay) model — not worth it while the
  window (3 days) is short next to the training history (weeks).

Click-level data with a conversion label (TalkingData clicks → installs) has no impression space: a single ``cvr``
head is trained on it with :func:`models.training.train_model` (``kind="cvr"``).
"""

from __future__ import annotations

import time

import numpy as np

from models.bundle import TrainedModel
from models.datasets import ImpressionLog, LabelledFrame
from models.errors import TrainingError
from models.features import FeatureSpec
from models.training import TrainConfig, fit_head, training_meta

__all__ = ["ATTRIBUTION_WINDOW_S", "ctcvr_labels", "mature_frame", "train_esmm"]

ATTRIBUTION_WINDOW_S = 72 * 3600.0


def ctcvr_labels(
    log: ImpressionLog, *, as_of: float, window_s: float = ATTRIBUTION_WINDOW_S
) -> tuple[np.ndarray, np.ndarray]:
    """``(mature, label)``: which impressions have final labels at ``as_of``, and click∧converted-within-window."""
    shown = np.nan_to_num(log.shown_at, nan=-np.inf)
    mature = shown <= as_of - window_s
    delay = log.converted_at - log.shown_at
    converted = np.isfinite(log.converted_at) & (log.converted_at <= as_of) & (delay <= window_s)
    return mature, (log.clicked & converted).astype(np.int8)


def train_esmm(
    log: ImpressionLog,
    cfg: TrainConfig,
    *,
    as_of: float | None = None,
    window_s: float = ATTRIBUTION_WINDOW_S,
    name: str = "impressions",
) -> TrainedModel:
    """Two heads (``ctr``, ``ctcvr``) on one spec; ``as_of`` defaults to the newest impression time."""
    started = time.perf_counter()
    if as_of is None:
        as_of = float(np.nanmax(log.shown_at)) if np.isfinite(log.shown_at).any() else float("inf")
    mature, label = ctcvr_labels(log, as_of=as_of, window_s=window_s)
    if mature.sum() < 100 or label[mature].sum() < 2:
        raise TrainingError(
            f"only {int(mature.sum())} impressions older than the attribution window "
            f"({int(label[mature].sum())} conversions)",
            remedy="collect more history (at least a few days beyond the attribution window)",
        )
    ctr_data = log.ctr(name)
    n_fit = round(len(log) * (1 - cfg.valid_fraction))
    spec = FeatureSpec.fit(log.frame.iloc[:n_fit], log.schema)
    x = spec.encode(log.frame)
    ctr_head, ctr_stats = fit_head(x, ctr_data.label.astype(np.float64), spec, cfg)
    ctcvr_head, ctcvr_stats = fit_head(x[mature], label[mature].astype(np.float64), spec, cfg)
    meta = training_meta(ctr_data, spec, x, started)
    meta.update(
        {
            "valid": {"ctr": ctr_stats, "ctcvr": ctcvr_stats},
            "as_of": as_of,
            "attribution_window_s": window_s,
            "mature_rows": int(mature.sum()),
            "ctcvr_base_rate": float(label[mature].mean()),
        }
    )
    return TrainedModel(kind="cvr", spec=spec, heads={"ctr": ctr_head, "ctcvr": ctcvr_head}, meta=meta)


def mature_frame(log: ImpressionLog, *, as_of: float, window_s: float = ATTRIBUTION_WINDOW_S) -> LabelledFrame:
    """The matured impressions with their CTCVR label, e.g. as an evaluation holdout for a CVR model."""
    mature, label = ctcvr_labels(log, as_of=as_of, window_s=window_s)
    idx = np.flatnonzero(mature)
    return LabelledFrame("ctcvr", log.frame.iloc[idx].reset_index(drop=True), label[idx], log.schema, log.shown_at[idx])
