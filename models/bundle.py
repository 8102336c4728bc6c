"""A trained model as one object: feature spec, one or more heads (scorer + calibrator), and metadata.

Heads: a CTR model has one head ``ctr``. A CVR model trained ESMM-style on impressions has heads ``ctr`` and
``ctcvr`` and predicts ``pCVR = pCTCVR / pCTR`` (see :mod:`models.cvr`); one trained on click-level data (e.g.
TalkingData) has one head ``cvr``. ``predict`` returns the model's main probability; ``predict_head`` any head.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import numpy as np

from models.artifacts import pack, unpack
from models.calibration import Calibrator
from models.errors import ArtifactCorrupt, ArtifactMismatch
from models.features import FeatureSpec
from models.lgbm import LgbmScorer
from models.linear import LinearScorer

__all__ = ["BlendScorer", "Head", "ModelKind", "Scorer", "TrainedModel", "sigmoid"]

ModelKind = Literal["ctr", "cvr"]


class Scorer(Protocol):
    algo: str

    def raw(self, x: np.ndarray, *, num_threads: int = 2) -> np.ndarray: ...

    def to_bytes(self) -> bytes: ...


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class BlendScorer:
    """Weighted sum of member logits (weights chosen on the validation split)."""

    algo = "blend"

    def __init__(self, members: list[Scorer], weights: list[float]) -> None:
        self.members = members
        self.weights = weights

    def raw(self, x: np.ndarray, *, num_threads: int = 2) -> np.ndarray:
        out = np.zeros(len(x), dtype=np.float64)
        for member, w in zip(self.members, self.weights, strict=True):
            if w != 0.0:
                out += w * member.raw(x, num_threads=num_threads)
        return out

    def to_bytes(self) -> bytes:
        blobs = [m.to_bytes() for m in self.members]
        index = {"algos": [m.algo for m in self.members], "sizes": [len(b) for b in blobs], "weights": self.weights}
        head = json.dumps(index).encode()
        return len(head).to_bytes(4, "little") + head + b"".join(blobs)

    @classmethod
    def from_bytes(cls, data: bytes) -> BlendScorer:
        n = int.from_bytes(data[:4], "little")
        index = json.loads(data[4 : 4 + n])
        members, offset = [], 4 + n
        for algo, size in zip(index["algos"], index["sizes"], strict=True):
            members.append(scorer_from_bytes(algo, data[offset : offset + size]))
            offset += size
        return cls(members, [float(w) for w in index["weights"]])


def scorer_from_bytes(algo: str, data: bytes) -> Scorer:
    if algo == "lgbm":
        return LgbmScorer.from_bytes(data)
    if algo == "dcnv2":
        from models.deep import DeepScorer  # PyTorch only for a deep artifact

        return DeepScorer.from_bytes(data)
    if algo == "linear":
        return LinearScorer.from_bytes(data)
    if algo == "blend":
        return BlendScorer.from_bytes(data)
    raise ArtifactMismatch(f"unknown scorer algorithm {algo!r} in artifact")


@dataclass
class Head:
    scorer: Scorer
    calibrator: Calibrator

    def predict(self, x: np.ndarray, *, num_threads: int = 2) -> np.ndarray:
        return self.calibrator.apply(sigmoid(self.scorer.raw(x, num_threads=num_threads)))


@dataclass
class TrainedModel:
    kind: ModelKind
    spec: FeatureSpec
    heads: dict[str, Head]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def algo(self) -> str:
        return next(iter(self.heads.values())).scorer.algo

    def predict_head(self, name: str, x: np.ndarray, *, num_threads: int = 2) -> np.ndarray:
        return self.heads[name].predict(x, num_threads=num_threads)

    def predict(self, x: np.ndarray, *, num_threads: int = 2) -> np.ndarray:
        """The main probability: pCTR for ``ctr``; pCVR (post-click) for ``cvr``."""
        if "ctcvr" in self.heads:
            ctr = self.predict_head("ctr", x, num_threads=num_threads)
            ctcvr = self.predict_head("ctcvr", x, num_threads=num_threads)
            return np.clip(ctcvr / np.maximum(ctr, 1e-9), 0.0, 1.0)
        return self.predict_head(next(iter(self.heads)), x, num_threads=num_threads)

    def predict_rows(self, rows: list[dict[str, Any]]) -> np.ndarray:
        return self.predict(self.spec.encode_rows(rows))

    # ----- artifact -----------------------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        spec_json = self.spec.to_json().encode()
        members: dict[str, bytes] = {"spec": spec_json}
        for name, head in self.heads.items():
            members[f"head:{name}:{head.scorer.algo}"] = head.scorer.to_bytes()
            members[f"calibrator:{name}"] = head.calibrator.to_json().encode()
        return pack(self.kind, self.algo, self.spec.fingerprint(), members, self.meta)

    @classmethod
    def from_bytes(
        cls, data: bytes, *, expect_kind: str | None = None, expect_spec_sha256: str | None = None
    ) -> TrainedModel:
        header, blobs = unpack(data, expect_kind=expect_kind, expect_spec_sha256=expect_spec_sha256)
        spec = FeatureSpec.from_json(blobs["spec"].decode())
        if spec.fingerprint() != header.spec_sha256:
            raise ArtifactCorrupt("the feature spec inside the artifact does not match the hash in its header")
        heads: dict[str, Head] = {}
        for member, blob in blobs.items():
            if member.startswith("head:"):
                _, name, algo = member.split(":", 2)
                calibrator = Calibrator.from_json(blobs[f"calibrator:{name}"].decode())
                heads[name] = Head(scorer_from_bytes(algo, blob), calibrator)
        if header.kind not in ("ctr", "cvr") or not heads:
            raise ArtifactCorrupt("artifact has no model heads or an unknown kind")
        return cls(kind=header.kind, spec=spec, heads=heads, meta=header.meta)  # type: ignore[arg-type]
