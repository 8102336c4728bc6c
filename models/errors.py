"""Typed errors of the model layer, all :class:`adpilot.errors.AdpilotError` subclasses with a remedy.

AdpilotError
├── InvalidInput
│   ├── FeatureError          raw data does not fit the feature schema
│   └── DatasetError          a data file is missing or not in the expected format
└── ModelError                base of the model lifecycle errors
    ├── ArtifactError         an artifact cannot be used
    │   ├── ArtifactCorrupt   bytes damaged or truncated (magic, length or SHA-256 check failed)
    │   └── ArtifactMismatch  intact, but for another kind, format version or feature spec
    ├── TrainingError         a trainer could not produce a model (e.g. one class only)
    └── PromotionRefused      the candidate does not beat the champion on the same holdout
"""

from __future__ import annotations

from adpilot.errors import AdpilotError, InvalidInput

__all__ = [
    "ArtifactCorrupt",
    "ArtifactError",
    "ArtifactMismatch",
    "DatasetError",
    "FeatureError",
    "ModelError",
    "PromotionRefused",
    "TrainingError",
]


class FeatureError(InvalidInput):
    default_remedy = "check the column names and types against the model's feature schema"


class DatasetError(InvalidInput):
    default_remedy = "check the path and the file format (see ../shared/data/README.md)"


class ModelError(AdpilotError):
    default_remedy = "list the model versions with `adpilot models list`"


class ArtifactError(ModelError):
    default_remedy = "retrain the model with `adpilot models train` or roll back with `adpilot models rollback`"


class ArtifactCorrupt(ArtifactError):
    """The artifact's bytes are damaged: wrong magic, truncated, or the SHA-256 does not match the header."""


class ArtifactMismatch(ArtifactError):
    """The artifact is intact but cannot serve this request (kind, format version or feature-spec hash differ)."""


class TrainingError(ModelError):
    default_remedy = "train on more data: both classes must be present in the training and validation splits"


class PromotionRefused(ModelError):
    """Carries both metric dicts so the caller can show why."""

    default_remedy = "keep the champion; train a better candidate or pass --force to override deliberately"

    def __init__(
        self, message: str, *, candidate: dict[str, float], champion: dict[str, float], remedy: str | None = None
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.candidate = candidate
        self.champion = champion
