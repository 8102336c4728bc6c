"""Repository of the model registry (``model_versions``): the SQL behind train → register → evaluate → promote →
rollback. Callers (``models.registry.RegistryService``) own the transaction; nothing here commits.

Rules the queries keep:

- At most one champion per kind — also enforced by the partial unique index ``uq_model_versions_one_champion``;
  :meth:`ModelRegistryRepository.crown` locks the current champion row (``FOR UPDATE``) and retires it before
  promoting, so two concurrent promotions serialise instead of failing halfway.
- Listing never loads artifact bytes (they can be megabytes); only :meth:`artifact` does.
- Evaluations on a holdout are merged into ``metrics -> 'holdouts' -> <holdout fingerprint>``, so a candidate and
  the champion are compared on exactly the same rows.
- A version taken out by a rollback is marked in ``notes`` (prefix ``rolled back``) and is never reinstated by a
  later rollback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, load_only

from adpilot.errors import NotFound
from db.enums import ModelStatus
from db.schema import ModelVersion

__all__ = ["ModelRegistryRepository", "VersionRow"]

ROLLED_BACK = "rolled back"


@dataclass(frozen=True)
class VersionRow:
    """A registry row without its artifact bytes."""

    kind: str
    version: int
    algorithm: str
    status: str
    data_fingerprint: str
    feature_spec_hash: str
    holdout_fingerprint: str | None
    metrics: dict[str, Any]
    artifact_sha256: str
    trained_at: datetime
    promoted_at: datetime | None
    retired_at: datetime | None
    notes: str | None


_LIGHT = (
    ModelVersion.kind, ModelVersion.version, ModelVersion.algorithm, ModelVersion.status,
    ModelVersion.data_fingerprint, ModelVersion.feature_spec_hash, ModelVersion.holdout_fingerprint,
    ModelVersion.metrics, ModelVersion.artifact_sha256, ModelVersion.trained_at, ModelVersion.promoted_at,
    ModelVersion.retired_at, ModelVersion.notes,
)  # fmt: skip


def _row(m: ModelVersion) -> VersionRow:
    return VersionRow(
        m.kind, m.version, m.algorithm, m.status, m.data_fingerprint, m.feature_spec_hash, m.holdout_fingerprint,
        dict(m.metrics or {}), m.artifact_sha256, m.trained_at, m.promoted_at, m.retired_at, m.notes,
    )  # fmt: skip


class ModelRegistryRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        kind: str,
        algorithm: str,
        data_fingerprint: str,
        feature_spec_hash: str,
        artifact: bytes,
        artifact_sha256: str,
        trained_at: datetime,
        metrics: dict[str, Any] | None = None,
        holdout_fingerprint: str | None = None,
        notes: str | None = None,
    ) -> VersionRow:
        """Insert a candidate with the next version number of its kind (the kind's rows are locked meanwhile)."""
        self.session.execute(select(func.pg_advisory_xact_lock(func.hashtext("model_versions:" + kind))))
        latest = self.session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.kind == kind))
        row = ModelVersion(
            kind=kind,
            version=int(latest or 0) + 1,
            algorithm=algorithm,
            data_fingerprint=data_fingerprint,
            feature_spec_hash=feature_spec_hash,
            holdout_fingerprint=holdout_fingerprint,
            metrics=metrics or {},
            artifact=artifact,
            artifact_sha256=artifact_sha256,
            status=ModelStatus.CANDIDATE.value,
            trained_at=trained_at,
            notes=notes,
        )
        self.session.add(row)
        self.session.flush()
        return _row(row)

    def _get(self, kind: str, version: int, *, lock: bool = False) -> ModelVersion:
        stmt = (
            select(ModelVersion)
            .options(load_only(*_LIGHT))
            .where(ModelVersion.kind == kind, ModelVersion.version == version)
        )
        found = self.session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
        if found is None:
            raise NotFound(f"{kind} model version {version} does not exist", remedy="see `adpilot models list`")
        return found

    def get(self, kind: str, version: int) -> VersionRow:
        return _row(self._get(kind, version))

    def artifact(self, kind: str, version: int) -> bytes:
        stmt = select(ModelVersion.artifact).where(ModelVersion.kind == kind, ModelVersion.version == version)
        data = self.session.scalar(stmt)
        if data is None:
            raise NotFound(f"{kind} model version {version} does not exist", remedy="see `adpilot models list`")
        return bytes(data)

    def list(self, kind: str | None = None) -> list[VersionRow]:
        stmt = select(ModelVersion).options(load_only(*_LIGHT)).order_by(ModelVersion.kind, ModelVersion.version)
        if kind is not None:
            stmt = stmt.where(ModelVersion.kind == kind)
        return [_row(m) for m in self.session.scalars(stmt)]

    def champion(self, kind: str, *, lock: bool = False) -> VersionRow | None:
        stmt = (
            select(ModelVersion)
            .options(load_only(*_LIGHT))
            .where(ModelVersion.kind == kind, ModelVersion.status == ModelStatus.CHAMPION.value)
        )
        found = self.session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
        return None if found is None else _row(found)

    def champion_version(self, kind: str) -> int | None:
        """The cheap query the serving processes poll for hot reload."""
        stmt = select(ModelVersion.version).where(
            ModelVersion.kind == kind, ModelVersion.status == ModelStatus.CHAMPION.value
        )
        return self.session.scalar(stmt)

    def record_evaluation(self, kind: str, version: int, holdout_fingerprint: str, metrics: dict[str, Any]) -> None:
        """Merge metrics on one holdout into the row's ``metrics -> holdouts``; the latest becomes the headline."""
        row = self._get(kind, version, lock=True)
        merged = dict(row.metrics or {})
        holdouts = dict(merged.get("holdouts") or {})
        holdouts[holdout_fingerprint] = metrics
        merged["holdouts"] = holdouts
        merged["holdout"] = metrics
        row.metrics = merged
        row.holdout_fingerprint = holdout_fingerprint
        self.session.flush()

    def crown(self, kind: str, version: int, now: datetime) -> VersionRow | None:
        """Make ``version`` the champion; retire (and return) the previous champion, if any."""
        previous = self.champion(kind, lock=True)
        if previous is not None:
            self.session.execute(
                update(ModelVersion)
                .where(ModelVersion.kind == kind, ModelVersion.version == previous.version)
                .values(status=ModelStatus.RETIRED.value, retired_at=now)
            )
        self.session.execute(
            update(ModelVersion)
            .where(ModelVersion.kind == kind, ModelVersion.version == version)
            .values(status=ModelStatus.CHAMPION.value, promoted_at=now, retired_at=None)
        )
        return previous

    def rollback_target(self, kind: str, current_version: int) -> VersionRow | None:
        """The most recently retired former champion that was not itself rolled back."""
        stmt = (
            select(ModelVersion)
            .options(load_only(*_LIGHT))
            .where(
                ModelVersion.kind == kind,
                ModelVersion.version != current_version,
                ModelVersion.status == ModelStatus.RETIRED.value,
                ModelVersion.promoted_at.is_not(None),
                func.coalesce(ModelVersion.notes, "").not_like(ROLLED_BACK + "%"),
            )
            .order_by(ModelVersion.retired_at.desc(), ModelVersion.version.desc())
            .limit(1)
        )
        found = self.session.scalars(stmt).one_or_none()
        return None if found is None else _row(found)

    def mark_rolled_back(self, kind: str, version: int, now: datetime) -> None:
        self.session.execute(
            update(ModelVersion)
            .where(ModelVersion.kind == kind, ModelVersion.version == version)
            .values(
                status=ModelStatus.RETIRED.value,
                retired_at=now,
                notes=f"{ROLLED_BACK} at {now.isoformat()}",
            )
        )

    def reinstate(self, kind: str, version: int, now: datetime) -> None:
        self.session.execute(
            update(ModelVersion)
            .where(ModelVersion.kind == kind, ModelVersion.version == version)
            .values(status=ModelStatus.CHAMPION.value, promoted_at=now, retired_at=None)
        )
