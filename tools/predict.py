"""Prediction tools for the agents: ``predict_ctr`` and ``predict_cvr`` over a list of rows or a
segment × creative × hour grid. Fast and side-effect free: they read the process's loaded champion (hot-reloaded
by :class:`models.predictor.ChampionSlot`) and never write anything.

When no champion exists yet the answer is the cold-start prior with ``is_fallback=true`` and a note saying so — an
agent must not mistake a prior for a learned estimate.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

from models.bundle import ModelKind
from models.predictor import Predictor, ServingModel

__all__ = [
    "FeatureValue",
    "GridSpec",
    "ModelToolContext",
    "Prediction",
    "PredictionInput",
    "PredictionOutput",
    "predict_ctr",
    "predict_cvr",
]

FeatureValue = str | int | float | bool | None
MAX_ROWS = 10_000


@dataclass
class ModelToolContext:
    """What the model tools read: a getter for the serving model of each kind (e.g. ``ChampionSlot.get``),
    the registry for metadata, and optionally recent log rows for drift checks."""

    serving: dict[str, Callable[[], ServingModel]]
    registry: Any | None = None
    recent_rows: Callable[[ModelKind], list[dict[str, Any]]] | None = None
    now: Callable[[], datetime] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def model(self, kind: ModelKind) -> ServingModel:
        return self.serving[kind]()


class GridSpec(BaseModel):
    """Cartesian product: every segment × every creative × every hour, on top of shared ``base`` features."""

    segments: list[dict[str, FeatureValue]] = Field(min_length=1, description="feature dicts, e.g. segment_id, device")
    creatives: list[dict[str, FeatureValue]] = Field(
        min_length=1, description="feature dicts, e.g. creative_id, creative_headline"
    )
    hours: list[int] = Field(default_factory=lambda: list(range(24)), description="hours of day 0–23 (UTC)")
    base: dict[str, FeatureValue] = Field(default_factory=dict, description="features shared by all rows")

    def rows(self) -> list[dict[str, FeatureValue]]:
        return [
            {**self.base, **seg, **cre, "hour": hour}
            for seg, cre, hour in itertools.product(self.segments, self.creatives, self.hours)
        ]


class PredictionInput(BaseModel):
    """Either explicit ``rows`` (feature dicts) or a ``grid``; at most 10,000 rows per call."""

    rows: list[dict[str, FeatureValue]] | None = None
    grid: GridSpec | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PredictionInput:
        if (self.rows is None) == (self.grid is None):
            raise ValueError("give exactly one of rows or grid")
        n = len(self.rows) if self.rows is not None else len(self.grid.rows())  # type: ignore[union-attr]
        if n > MAX_ROWS:
            raise ValueError(f"{n} rows requested; at most {MAX_ROWS} per call")
        return self

    def materialise(self) -> list[dict[str, FeatureValue]]:
        return list(self.rows) if self.rows is not None else self.grid.rows()  # type: ignore[union-attr]


class Prediction(BaseModel):
    features: dict[str, FeatureValue]
    p: float = Field(description="calibrated probability (pCTR, or post-click pCVR)")
    p_ctcvr: float | None = Field(None, description="pCTR·pCVR on the impression (CVR models trained ESMM-style)")


class PredictionOutput(BaseModel):
    kind: str
    model_version: int | None
    is_fallback: bool = Field(description="true: no trained model yet, p is the cold-start prior")
    note: str
    mean_p: float
    predictions: list[Prediction]


def _predict(kind: ModelKind, request: PredictionInput, ctx: ModelToolContext) -> PredictionOutput:
    model = ctx.model(kind)
    rows = request.materialise()
    probs = model.predict_rows(rows)
    ctcvr = None
    if isinstance(model, Predictor) and "ctcvr" in model.model.heads:
        ctcvr = model.predict_head("ctcvr", model.encode_rows(rows))
    note = (
        "no trained model yet: cold-start prior, not a learned estimate"
        if model.is_fallback
        else f"{kind} champion v{model.version}"
    )
    predictions = [
        Prediction(features=row, p=float(p), p_ctcvr=None if ctcvr is None else float(ctcvr[i]))
        for i, (row, p) in enumerate(zip(rows, probs, strict=True))
    ]
    mean = float(probs.mean()) if len(probs) else 0.0
    return PredictionOutput(
        kind=kind,
        model_version=model.version,
        is_fallback=model.is_fallback,
        note=note,
        mean_p=mean,
        predictions=predictions,
    )


def predict_ctr(request: PredictionInput, ctx: ModelToolContext) -> PredictionOutput:
    """Click probability per row (or grid cell) from the CTR champion."""
    return _predict("ctr", request, ctx)


def predict_cvr(request: PredictionInput, ctx: ModelToolContext) -> PredictionOutput:
    """Post-click conversion probability per row (and pCTCVR when available) from the CVR champion."""
    return _predict("cvr", request, ctx)
