"""``model_health``: which model serves, how old it is, how it scored on its holdout, and whether recent traffic
still looks like its training data (PSI per feature, against the reference stored in the artifact). Read-only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from models.bundle import ModelKind
from models.drift import feature_psi
from models.predictor import Predictor
from tools.predict import FeatureValue, ModelToolContext

__all__ = ["FeatureDrift", "ModelHealth", "ModelHealthInput", "model_health"]

PSI_MODERATE = 0.1
PSI_MAJOR = 0.25


class ModelHealthInput(BaseModel):
    kind: ModelKind = "ctr"
    recent_rows: list[dict[str, FeatureValue]] | None = Field(
        None, description="recent log feature rows to check drift on; default: the context's recent logs"
    )


class FeatureDrift(BaseModel):
    feature: str
    psi: float


class ModelHealth(BaseModel):
    kind: str
    model_version: int | None
    is_fallback: bool
    algorithm: str | None
    trained_at: datetime | None
    age_hours: float | None
    holdout_metrics: dict[str, Any] | None
    drift_rows: int
    max_psi: float | None
    drifted: list[FeatureDrift] = Field(description="features with PSI ≥ 0.1, worst first")
    verdict: str = Field(description="ok | no_model | drift_moderate | drift_major")


def model_health(request: ModelHealthInput, ctx: ModelToolContext) -> ModelHealth:
    model = ctx.model(request.kind)
    if not isinstance(model, Predictor):
        return ModelHealth(
            kind=request.kind, model_version=None, is_fallback=True, algorithm=None, trained_at=None,
            age_hours=None, holdout_metrics=None, drift_rows=0, max_psi=None, drifted=[], verdict="no_model",
        )  # fmt: skip
    meta = model.model.meta
    trained_at = _time(meta.get("trained_at"))
    now = ctx.now() if ctx.now else datetime.now(UTC)
    metrics = None
    if ctx.registry is not None and model.version is not None:
        metrics = ctx.registry.get(request.kind, model.version).metrics.get("holdout")
    rows = request.recent_rows
    if rows is None and ctx.recent_rows is not None:
        rows = ctx.recent_rows(request.kind)
    psi: dict[str, float] = {}
    if rows:
        psi = feature_psi(meta.get("reference") or {}, model.model.spec, model.encode_rows(list(rows)))
    drifted = sorted(
        (FeatureDrift(feature=k, psi=round(v, 4)) for k, v in psi.items() if v >= PSI_MODERATE),
        key=lambda d: -d.psi,
    )
    worst = max(psi.values()) if psi else None
    verdict = (
        "ok" if worst is None or worst < PSI_MODERATE else ("drift_moderate" if worst < PSI_MAJOR else "drift_major")
    )
    return ModelHealth(
        kind=request.kind,
        model_version=model.version,
        is_fallback=False,
        algorithm=model.model.algo,
        trained_at=trained_at,
        age_hours=None if trained_at is None else round((now - trained_at).total_seconds() / 3600, 2),
        holdout_metrics=metrics,
        drift_rows=len(rows or []),
        max_psi=worst,
        drifted=drifted,
        verdict=verdict,
    )


def _time(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
