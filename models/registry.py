"""The registry service: train → register a candidate → evaluate on a holdout → promote only if it beats the
champion on the *same* holdout → roll back. It owns the transactions; the SQL is in :mod:`db.model_registry`.

Promotion rule: the candidate's AUC on the holdout must exceed the champion's AUC on the same rows by more than
``min_auc_gain`` (default 0 — strictly better); on an exact tie, a lower logloss wins. Metrics are looked up by holdout
fingerprint, and computed on the spot for a model that has not been evaluated on that holdout yet (both artifacts are
in the database, so the comparison never depends on a file that some replica may lack). ``force=True`` overrides
deliberately and is recorded in the row's notes.

The service is also the :class:`models.predictor.ChampionSource` of the serving processes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from db.database import Database
from db.model_registry import ModelRegistryRepository, VersionRow
from models.bundle import ModelKind, TrainedModel
from models.datasets import LabelledFrame
from models.errors import ModelError, PromotionRefused
from models.metrics import evaluate
from models.training import TrainConfig, train_model

__all__ = ["PromotionResult", "RegistryService", "holdout_scores"]


@dataclass(frozen=True)
class PromotionResult:
    kind: str
    promoted: int
    retired: int | None
    candidate_metrics: dict[str, Any]
    champion_metrics: dict[str, Any] | None


def holdout_scores(model: TrainedModel, holdout: LabelledFrame) -> np.ndarray:
    """What a model is judged on: pCTR for CTR models, pCTCVR for ESMM CVR models (impression-space labels),
    the single head otherwise."""
    x = model.spec.encode(holdout.frame)
    if "ctcvr" in model.heads:
        return model.predict_head("ctcvr", x)
    return model.predict(x)


class RegistryService:
    def __init__(self, database: Database, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.database = database
        self.clock = clock

    # ----- write side ---------------------------------------------------------------------------------------------
    def register(
        self, model: TrainedModel, *, holdout: LabelledFrame | None = None, notes: str | None = None
    ) -> VersionRow:
        """Store a trained model as a candidate, with its holdout metrics when a holdout is given."""
        artifact = model.to_bytes()
        metrics: dict[str, Any] = {"train": {k: v for k, v in model.meta.items() if k != "reference"}}
        fingerprint = None
        if holdout is not None:
            fingerprint = holdout.fingerprint()
            headline = evaluate(holdout.label, holdout_scores(model, holdout)).as_dict()
            metrics.update({"holdout": headline, "holdouts": {fingerprint: headline}})
        with self.database.transaction() as session:
            return ModelRegistryRepository(session).add(
                kind=model.kind,
                algorithm=model.algo,
                data_fingerprint=str(model.meta.get("data_fingerprint", "")),
                feature_spec_hash=model.spec.fingerprint(),
                artifact=artifact,
                artifact_sha256=hashlib.sha256(artifact).hexdigest(),
                trained_at=_parse_time(model.meta.get("trained_at")) or self.clock(),
                metrics=metrics,
                holdout_fingerprint=fingerprint,
                notes=notes,
            )

    def train(
        self, data: LabelledFrame, holdout: LabelledFrame, config: TrainConfig, *, kind: ModelKind = "ctr"
    ) -> VersionRow:
        """Train on ``data``, register as candidate with metrics on ``holdout``."""
        return self.register(train_model(data, config, kind=kind), holdout=holdout)

    def evaluate(self, kind: ModelKind, version: int, holdout: LabelledFrame) -> dict[str, Any]:
        """Evaluate a stored version on ``holdout`` and record the metrics under the holdout's fingerprint."""
        fingerprint = holdout.fingerprint()
        model = self.load_model(kind, version)
        metrics = evaluate(holdout.label, holdout_scores(model, holdout)).as_dict()
        with self.database.transaction() as session:
            ModelRegistryRepository(session).record_evaluation(kind, version, fingerprint, metrics)
        return metrics

    def _metrics_on(self, row: VersionRow, holdout: LabelledFrame | None, fingerprint: str) -> dict[str, Any]:
        stored = (row.metrics.get("holdouts") or {}).get(fingerprint)
        if stored is not None:
            return dict(stored)
        if holdout is None:
            raise ModelError(
                f"{row.kind} v{row.version} has no metrics on holdout {fingerprint[:12]}…",
                remedy="pass the holdout data (--data) so both models are evaluated on the same rows",
            )
        return self.evaluate(row.kind, row.version, holdout)  # type: ignore[arg-type]

    def promote(
        self,
        kind: ModelKind,
        version: int,
        *,
        holdout: LabelledFrame | None = None,
        min_auc_gain: float = 0.0,
        force: bool = False,
    ) -> PromotionResult:
        """Promote ``version`` if it beats the champion on the same holdout; raise :class:`PromotionRefused` if not."""
        with self.database.transaction() as session:
            repo = ModelRegistryRepository(session)
            candidate = repo.get(kind, version)
            champion = repo.champion(kind)
        if champion is not None and champion.version == version:
            raise ModelError(f"{kind} v{version} is already the champion", remedy="nothing to do")
        fingerprint = holdout.fingerprint() if holdout is not None else candidate.holdout_fingerprint
        if fingerprint is None:
            raise ModelError(f"{kind} v{version} has never been evaluated", remedy="run `adpilot models evaluate`")
        cand_metrics = self._metrics_on(candidate, holdout, fingerprint)
        champ_metrics = None if champion is None else self._metrics_on(champion, holdout, fingerprint)
        if champ_metrics is not None and not force and not _beats(cand_metrics, champ_metrics, min_auc_gain):
            raise PromotionRefused(
                f"{kind} v{version} (AUC {cand_metrics['auc']:.4f}, logloss {cand_metrics['logloss']:.4f}) does not "
                f"beat champion v{champion.version} (AUC {champ_metrics['auc']:.4f}, "  # type: ignore[union-attr]
                f"logloss {champ_metrics['logloss']:.4f}) on the same holdout",
                candidate=cand_metrics,
                champion=champ_metrics,
            )
        with self.database.transaction() as session:
            repo = ModelRegistryRepository(session)
            previous = repo.crown(kind, version, self.clock())
        return PromotionResult(
            kind, version, None if previous is None else previous.version, cand_metrics, champ_metrics
        )

    def rollback(self, kind: ModelKind) -> PromotionResult:
        """Retire the champion and reinstate the previous champion."""
        with self.database.transaction() as session:
            repo = ModelRegistryRepository(session)
            current = repo.champion(kind, lock=True)
            if current is None:
                raise ModelError(f"there is no {kind} champion to roll back", remedy="promote a model first")
            target = repo.rollback_target(kind, current.version)
            if target is None:
                raise ModelError(
                    f"no earlier {kind} champion to roll back to",
                    remedy="promote another version explicitly with `adpilot models promote`",
                )
            now = self.clock()
            repo.mark_rolled_back(kind, current.version, now)
            repo.reinstate(kind, target.version, now)
        return PromotionResult(kind, target.version, current.version, target.metrics.get("holdout", {}), None)

    # ----- read side ----------------------------------------------------------------------------------------------
    def list(self, kind: ModelKind | None = None) -> list[VersionRow]:
        with self.database.transaction() as session:
            return ModelRegistryRepository(session).list(kind)

    def get(self, kind: ModelKind, version: int) -> VersionRow:
        with self.database.transaction() as session:
            return ModelRegistryRepository(session).get(kind, version)

    def champion(self, kind: ModelKind) -> VersionRow | None:
        with self.database.transaction() as session:
            return ModelRegistryRepository(session).champion(kind)

    def champion_version(self, kind: ModelKind) -> int | None:
        with self.database.transaction() as session:
            return ModelRegistryRepository(session).champion_version(kind)

    def load_model(self, kind: ModelKind, version: int) -> TrainedModel:
        """Load and verify an artifact (SHA-256 and kind are checked before anything is deserialised)."""
        with self.database.transaction() as session:
            repo = ModelRegistryRepository(session)
            row = repo.get(kind, version)
            data = repo.artifact(kind, version)
        if hashlib.sha256(data).hexdigest() != row.artifact_sha256:
            from models.errors import ArtifactCorrupt

            raise ArtifactCorrupt(f"{kind} v{version}: stored artifact does not match its recorded SHA-256")
        return TrainedModel.from_bytes(data, expect_kind=kind, expect_spec_sha256=row.feature_spec_hash)


def _beats(candidate: dict[str, Any], champion: dict[str, Any], min_auc_gain: float) -> bool:
    gain = float(candidate["auc"]) - float(champion["auc"])
    if gain != 0.0:
        return gain > min_auc_gain
    return float(candidate["logloss"]) < float(champion["logloss"])


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
