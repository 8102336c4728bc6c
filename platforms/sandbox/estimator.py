"""The pluggable CTR/CVR estimator the sandbox's bidder calls, and the feature names it receives.

Why here and this shape: the sandbox needs p̂ to bid and ``models/`` will provide it, but ``models/`` must not depend
on the simulator's internals. So the contract is plain numpy: a mapping of column name → 1-D array (one row per
opportunity) in, ``(p̂CTR, p̂CVR)`` float arrays out. The *same* names and value types appear in the ``features`` dict
of every impression log row, so a model trained on logs serves on bid-time batches without translation
(:func:`rows_to_batch` turns log rows into a batch).

Feature names (advertiser-visible only; nothing from the hidden truth):

===================== ======= =========================================================================
name                  type    meaning
===================== ======= =========================================================================
``campaign_id``       str     campaign the opportunity is auctioned for
``segment_id``        str     audience segment (age band × device), e.g. ``seg_25-34_mobile``
``age_band``          str     18-24, 25-34, 35-44, 45-54, 55-64, 65+
``geo``               str     12 regions (US-CA, …, UK, DE, …)
``device``            str     mobile, desktop, tablet
``interest``          str     the user's main interest category (16)
``hour``              int     hour of day 0–23 (UTC)
``day_of_week``       int     0 = Monday … 6 = Sunday
``site_category``     str     site/app category (12)
``placement``         str     feed, banner, sidebar, interstitial
``position``          int     slot position 1–4 (1 = top)
``creative_id``       str     creative shown
``creative_headline`` str     its headline
``creative_description`` str  its description
``user_frequency``    int     impressions of this campaign to this user earlier the same day
===================== ======= =========================================================================

String columns are numpy unicode arrays, integer columns ``int64``. p̂CVR is the probability of a conversion given a
click (post-click, any delay).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

__all__ = [
    "CATEGORICAL_FEATURES",
    "FEATURE_NAMES",
    "NUMERIC_FEATURES",
    "Estimator",
    "FeatureBatch",
    "PriorEstimator",
    "rows_to_batch",
]

FeatureBatch = Mapping[str, np.ndarray]

CATEGORICAL_FEATURES: tuple[str, ...] = (
    "campaign_id",
    "segment_id",
    "age_band",
    "geo",
    "device",
    "interest",
    "site_category",
    "placement",
    "creative_id",
    "creative_headline",
    "creative_description",
)
NUMERIC_FEATURES: tuple[str, ...] = ("hour", "day_of_week", "position", "user_frequency")
FEATURE_NAMES: tuple[str, ...] = CATEGORICAL_FEATURES + NUMERIC_FEATURES


@runtime_checkable
class Estimator(Protocol):
    """Predicts click and post-click conversion probabilities for a batch of opportunities."""

    def predict(self, features: FeatureBatch) -> tuple[np.ndarray, np.ndarray]: ...


_PLACEMENT_PRIOR = {"feed": 1.1, "banner": 0.8, "sidebar": 0.6, "interstitial": 1.5}
_POSITION_PRIOR = np.array([0.0, 1.2, 1.0, 0.85, 0.7])


_OBJECTIVE_PRIORS = {
    "sales": (0.012, 0.04),
    "conversions": (0.012, 0.04),
    "leads": (0.012, 0.10),
    "app_installs": (0.015, 0.07),
    "traffic": (0.015, 0.03),
    "awareness": (0.008, 0.01),
}


class PriorEstimator:
    """The default before any model is trained: per-campaign base rates (industry priors by objective, not the
    sandbox's truth) scaled by placement and position priors."""

    @classmethod
    def for_objectives(cls, objectives: Mapping[str, str]) -> PriorEstimator:
        return cls({cid: _OBJECTIVE_PRIORS.get(obj, (0.015, 0.05)) for cid, obj in objectives.items()})

    def __init__(
        self,
        base_rates: Mapping[str, tuple[float, float]] | None = None,
        default: tuple[float, float] = (0.015, 0.05),
    ) -> None:
        self.base_rates = dict(base_rates or {})
        self.default = default

    def predict(self, features: FeatureBatch) -> tuple[np.ndarray, np.ndarray]:
        campaign = features["campaign_id"]
        n = campaign.shape[0]
        ctr = np.full(n, self.default[0])
        cvr = np.full(n, self.default[1])
        for cid, (base_ctr, base_cvr) in self.base_rates.items():
            mask = campaign == cid
            ctr[mask] = base_ctr
            cvr[mask] = base_cvr
        values, inverse = np.unique(features["placement"], return_inverse=True)
        placement = np.array([_PLACEMENT_PRIOR.get(str(v), 1.0) for v in values])[inverse]
        position = _POSITION_PRIOR[np.clip(features["position"].astype(np.int64), 1, 4)]
        return np.clip(ctr * placement * position, 1e-6, 0.999), cvr


def rows_to_batch(rows: Sequence[Mapping[str, str | int | float]]) -> dict[str, np.ndarray]:
    """Impression-log ``features`` dicts → a feature batch with the same columns."""
    batch: dict[str, np.ndarray] = {}
    for name in CATEGORICAL_FEATURES:
        batch[name] = np.array([str(r[name]) for r in rows], dtype=str)
    for name in NUMERIC_FEATURES:
        batch[name] = np.array([int(r[name]) for r in rows], dtype=np.int64)
    return batch
