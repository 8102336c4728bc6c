"""The model registry: every trained CTR/CVR model is a row; at most one champion per kind (partial unique
index), so "which model serves" is a database fact, not a file on some replica's disk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, Timestamped, one_of
from db.enums import ModelKind, ModelStatus, values

__all__ = ["ModelVersion"]


class ModelVersion(Timestamped, Base):
    __tablename__ = "model_versions"
    __table_args__ = (
        UniqueConstraint("kind", "version"),
        one_of("kind", values(ModelKind)),
        one_of("status", values(ModelStatus)),
        CheckConstraint("version > 0", name="version_pos"),
        CheckConstraint("length(artifact_sha256) = 64", name="sha256_len"),
        Index(
            "uq_model_versions_one_champion",
            "kind",
            unique=True,
            postgresql_where=text("status = 'champion'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    version: Mapped[int]
    algorithm: Mapped[str] = mapped_column(String(32))
    data_fingerprint: Mapped[str] = mapped_column(String(64))
    feature_spec_hash: Mapped[str] = mapped_column(String(64))
    holdout_fingerprint: Mapped[str | None] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    artifact: Mapped[bytes] = mapped_column(LargeBinary)
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=ModelStatus.CANDIDATE.value)
    trained_at: Mapped[datetime]
    promoted_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)
