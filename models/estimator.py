"""Adapter from served models to the sandbox bidder's ``Estimator`` protocol (``platforms.sandbox.estimator``):
columnar numpy features in, ``(pCTR, post-click pCVR)`` out.

The sandbox's log rows and bid-time batches use the same feature names, so a model trained on its logs encodes a
bid-time batch with its own spec directly. Each kind falls back to its prior (``PriorPredictor``) until a champion
exists, so the bidder can start on day one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from models.predictor import Predictor, ServingModel

__all__ = ["ModelEstimator"]


class ModelEstimator:
    """``predict(features) -> (p_ctr, p_cvr)`` backed by the current CTR and CVR models (e.g. ``ChampionSlot.get``)."""

    def __init__(self, ctr: Callable[[], ServingModel], cvr: Callable[[], ServingModel]) -> None:
        self._ctr = ctr
        self._cvr = cvr

    @staticmethod
    def _score(model: ServingModel, features: Mapping[str, np.ndarray], n: int) -> np.ndarray:
        if isinstance(model, Predictor):
            return model.predict(model.model.spec.encode({k: list(v) for k, v in features.items()}))
        return model.predict(np.zeros((n, 1)))

    def predict(self, features: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        n = len(next(iter(features.values()))) if features else 0
        ctr = np.clip(self._score(self._ctr(), features, n), 1e-6, 0.999)
        cvr = np.clip(self._score(self._cvr(), features, n), 1e-6, 0.999)
        return ctr, cvr
