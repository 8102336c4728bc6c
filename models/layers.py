"""Small shared PyTorch layers the deep CTR models are assembled from (FuxiCTR's habit: models are a few lines on
top of shared blocks).

- :class:`FeatureInput` turns one encoded row (categorical codes, then dense values with NaN for missing) into a flat
  vector: one embedding per categorical field, dense values standardised with training statistics, missing → 0 plus a
  missing indicator per dense column.
- :class:`CrossNetV2` is DCN-V2's cross network, ``x_{l+1} = x_0 ⊙ (W_l x_l + b_l) + x_l`` (Wang et al., 2021).
- :class:`MLP` is a plain ReLU tower with dropout.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["MLP", "CrossNetV2", "FeatureInput"]


class FeatureInput(nn.Module):
    """Encoded float rows → ``[embeddings ‖ standardised dense ‖ missing indicators]``."""

    def __init__(self, cardinalities: Sequence[int], n_dense: int, embed_dim: int) -> None:
        super().__init__()
        self.n_cat = len(cardinalities)
        self.n_dense = n_dense
        self.offsets: torch.Tensor
        self.cardinalities: torch.Tensor
        self.mean: torch.Tensor
        self.std: torch.Tensor
        offsets = torch.tensor([0, *list(_cumsum(cardinalities))[:-1]], dtype=torch.long)
        self.register_buffer("offsets", offsets)
        self.register_buffer("cardinalities", torch.tensor(list(cardinalities), dtype=torch.long))
        self.register_buffer("mean", torch.zeros(n_dense))
        self.register_buffer("std", torch.ones(n_dense))
        self.embedding = nn.Embedding(max(sum(cardinalities), 1), embed_dim)
        nn.init.normal_(self.embedding.weight, std=0.01)
        self.out_dim = self.n_cat * embed_dim + 2 * n_dense

    def set_dense_stats(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.mean.copy_(mean)
        self.std.copy_(torch.clamp(std, min=1e-6))

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Rows of the shared embedding table: codes clamped into each field's range, offset per field."""
        codes = x[:, : self.n_cat].long()
        return torch.minimum(codes.clamp(min=0), self.cardinalities - 1) + self.offsets

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        emb = self.embedding(self.codes(x)).flatten(1)
        dense = x[:, self.n_cat :]
        missing = torch.isnan(dense)
        dense = torch.where(missing, torch.zeros_like(dense), (dense - self.mean) / self.std)
        return torch.cat([emb, dense, missing.to(dense.dtype)], dim=1)


class CrossNetV2(nn.Module):
    """Full-rank DCN-V2 cross layers: explicit bounded-degree feature crosses."""

    def __init__(self, dim: int, layers: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(dim, dim) for _ in range(layers))

    def forward(self, x0: torch.Tensor) -> torch.Tensor:
        x = x0
        for layer in self.layers:
            x = x0 * layer(x) + x
        return x


class MLP(nn.Module):
    """ReLU tower; ``out_dim`` is the last hidden width."""

    def __init__(self, in_dim: int, hidden: Sequence[int], dropout: float) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        for width in hidden:
            blocks += [nn.Linear(in_dim, width), nn.ReLU(), nn.Dropout(dropout)]
            in_dim = width
        self.net = nn.Sequential(*blocks)
        self.out_dim = in_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def _cumsum(values: Sequence[int]) -> list[int]:
    total, out = 0, []
    for v in values:
        total += v
        out.append(total)
    return out
