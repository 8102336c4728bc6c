"""The typed configuration of the DCN-V2 trainer (:mod:`models.deep`), apart from it so that configuring or loading
LightGBM models never imports PyTorch (~3 s per process; the nightly retraining starts a fresh process each night)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DeepConfig"]


@dataclass(frozen=True)
class DeepConfig:
    embed_dim: int = 8
    cross_layers: int = 2
    hidden: tuple[int, ...] = (128, 64)
    dropout: float = 0.2
    learning_rate: float = 2e-3
    weight_decay: float = 1e-5
    embed_l2: float = 1e-5
    batch_size: int = 256
    max_epochs: int = 30
    patience: int = 3
    num_threads: int = 2
    seed: int = 0
