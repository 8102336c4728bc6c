"""DCN-V2 (parallel cross network + MLP) for CTR/CVR, CPU-trainable in seconds to minutes.

Built from :mod:`models.layers` and driven by a typed :class:`DeepConfig`. Training: Adam, mini-batches, early stopping
on the time-ordered validation split's logloss (best state kept). Serialised as a ``state_dict`` + config JSON with
``torch.save`` and loaded with ``weights_only=True``, so a tampered artifact cannot execute code.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import asdict

import numpy as np
import torch
from torch import nn

from models.deep_config import DeepConfig
from models.errors import TrainingError
from models.layers import MLP, CrossNetV2, FeatureInput

__all__ = ["DCNv2", "DeepConfig", "DeepScorer", "train_deep"]


class DCNv2(nn.Module):
    """Parallel DCN-V2: ``logit = w · [CrossNet(x0) ‖ MLP(x0)]`` with ``x0`` from :class:`FeatureInput`."""

    def __init__(self, cardinalities: Sequence[int], n_dense: int, config: DeepConfig) -> None:
        super().__init__()
        self.inputs = FeatureInput(cardinalities, n_dense, config.embed_dim)
        dim = self.inputs.out_dim
        self.cross = CrossNetV2(dim, config.cross_layers)
        self.mlp = MLP(dim, config.hidden, config.dropout)
        self.head = nn.Linear(dim + self.mlp.out_dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x0 = self.inputs(x)
        return self.head(torch.cat([self.cross(x0), self.mlp(x0)], dim=1)).squeeze(1)


class DeepScorer:
    """A trained DCN-V2 producing logits from encoded rows."""

    algo = "dcnv2"

    def __init__(self, model: DCNv2, cardinalities: list[int], n_dense: int, config: DeepConfig) -> None:
        self.model = model.eval()
        self.cardinalities = cardinalities
        self.n_dense = n_dense
        self.config = config

    def raw(self, x: np.ndarray, *, num_threads: int = 2) -> np.ndarray:
        with torch.inference_mode():
            out = self.model(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)))
        return out.double().numpy()

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        meta = {"cardinalities": self.cardinalities, "n_dense": self.n_dense, "config": asdict(self.config)}
        torch.save({"meta": json.dumps(meta), "state": self.model.state_dict()}, buf)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> DeepScorer:
        blob = torch.load(io.BytesIO(data), weights_only=True)
        meta = json.loads(blob["meta"])
        raw_cfg = meta["config"]
        config = DeepConfig(**{**raw_cfg, "hidden": tuple(raw_cfg["hidden"])})
        model = DCNv2(meta["cardinalities"], meta["n_dense"], config)
        model.load_state_dict(blob["state"])
        return cls(model, list(meta["cardinalities"]), int(meta["n_dense"]), config)


def _mean_logloss(model: DCNv2, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    with torch.inference_mode():
        return float(nn.functional.binary_cross_entropy_with_logits(model(x), y))


def train_deep(
    x_fit: np.ndarray,
    y_fit: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    *,
    cardinalities: list[int],
    config: DeepConfig,
) -> tuple[DeepScorer, np.ndarray]:
    """Train with early stopping on the validation logloss; returns the scorer and its validation logits."""
    if len(np.unique(y_fit)) < 2 or len(np.unique(y_val)) < 2:
        raise TrainingError("the training or validation split has only one class")
    torch.set_num_threads(config.num_threads)
    gen = torch.Generator().manual_seed(config.seed)
    torch.manual_seed(config.seed)
    n_cat = len(cardinalities)
    n_dense = x_fit.shape[1] - n_cat
    model = DCNv2(cardinalities, n_dense, config)
    dense = x_fit[:, n_cat:].astype(np.float64)
    model.inputs.set_dense_stats(
        torch.tensor(np.nan_to_num(np.nanmean(dense, axis=0)), dtype=torch.float32) if n_dense else torch.zeros(0),
        torch.tensor(np.nan_to_num(np.nanstd(dense, axis=0), nan=1.0), dtype=torch.float32)
        if n_dense
        else torch.ones(0),
    )
    xt, yt = torch.from_numpy(x_fit.astype(np.float32)), torch.from_numpy(y_fit.astype(np.float32))
    xv, yv = torch.from_numpy(x_val.astype(np.float32)), torch.from_numpy(y_val.astype(np.float32))
    optim = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    best, best_state, stale = float("inf"), _copy_state(model), 0
    for _ in range(config.max_epochs):
        model.train()
        for idx in torch.randperm(len(yt), generator=gen).split(config.batch_size):
            optim.zero_grad()
            xb = xt[idx]
            loss = nn.functional.binary_cross_entropy_with_logits(model(xb), yt[idx])
            if config.embed_l2 > 0:
                loss = loss + config.embed_l2 * model.inputs.embedding(model.inputs.codes(xb)).pow(2).sum() / len(idx)
            loss.backward()
            optim.step()
        val = _mean_logloss(model, xv, yv)
        if val < best - 1e-5:
            best, best_state, stale = val, _copy_state(model), 0
        else:
            stale += 1
            if stale >= config.patience:
                break
    model.load_state_dict(best_state)
    scorer = DeepScorer(model, list(cardinalities), n_dense, config)
    return scorer, scorer.raw(x_val)


def _copy_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}
