"""Columnar store of won impressions and their outcomes; the source of hourly stats, logs and conversion events.

Why columnar numpy chunks: a simulated week holds hundreds of thousands of impressions; Python objects per row would
dominate the run time. Rows become :class:`platforms.base.ImpressionLogRow` only when a caller asks for them.

A conversion is stored with the minute it will happen (``convert_minute``; NaN for none). Every query takes ``now`` and
hides conversions that have not happened yet, so delayed labels behave as on a real platform.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np

__all__ = ["ImpressionChunk", "LogStore"]

_COLUMNS = (
    "tick", "campaign", "user", "segment", "creative", "site", "placement", "position",
    "user_frequency", "clicked", "convert_minute", "cost",
)


@dataclass(frozen=True)
class ImpressionChunk:
    tick: np.ndarray
    campaign: np.ndarray
    user: np.ndarray
    segment: np.ndarray
    creative: np.ndarray
    site: np.ndarray
    placement: np.ndarray
    position: np.ndarray
    user_frequency: np.ndarray
    clicked: np.ndarray
    convert_minute: np.ndarray
    cost: np.ndarray


class LogStore:
    """Append-only columns in arrays that grow by doubling, so appending a tick and reading every column are both
    cheap (no re-concatenation of the whole history per read). :meth:`columns` returns views of the filled part."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] | None = None
        self._size = 0

    def append(self, chunk: ImpressionChunk) -> None:
        k = int(chunk.tick.shape[0])
        if not k:
            return
        if self._arrays is None:
            self._arrays = {name: np.empty(max(k, 1024), dtype=getattr(chunk, name).dtype) for name in _COLUMNS}
        end = self._size + k
        capacity = next(iter(self._arrays.values())).shape[0]
        if end > capacity:
            grown = max(end, 2 * capacity)
            for name, array in self._arrays.items():
                bigger = np.empty(grown, dtype=array.dtype)
                bigger[: self._size] = array[: self._size]
                self._arrays[name] = bigger
        for name in _COLUMNS:
            self._arrays[name][self._size : end] = getattr(chunk, name)
        self._size = end

    def columns(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            return {name: np.zeros(0) for name in _COLUMNS}
        return {name: array[: self._size] for name, array in self._arrays.items()}

    def __len__(self) -> int:
        return int(self.columns()["tick"].shape[0])

    def select(self, tick_lo: int, tick_hi: int, campaign: int | None = None) -> np.ndarray:
        """Row indices with ``tick_lo <= tick < tick_hi`` (and the campaign, if given)."""
        cols = self.columns()
        # rows are appended tick by tick, so the tick column is sorted: a range is two binary searches
        lo, hi = np.searchsorted(cols["tick"], [tick_lo, tick_hi], side="left")
        if campaign is None:
            return np.arange(lo, hi)
        return lo + np.flatnonzero(cols["campaign"][lo:hi] == campaign)

    def converted_by(self, index: np.ndarray, now_minute: float) -> np.ndarray:
        """Whether each selected impression's conversion has happened by ``now_minute``."""
        minute = self.columns()["convert_minute"][index]
        return np.asarray(np.nan_to_num(minute, nan=np.inf) <= now_minute)

    def conversions_between(
        self, lo_minute: float, hi_minute: float, n_campaigns: int, since_tick: int = 0
    ) -> np.ndarray:
        """Count of conversions happening in ``(lo, hi]`` per campaign index, of impressions from ``since_tick`` on
        (callers that know the longest conversion delay pass it, so the scan does not grow with the history)."""
        cols = self.columns()
        start = int(np.searchsorted(cols["tick"], since_tick, side="left"))
        minute = np.nan_to_num(cols["convert_minute"][start:], nan=-np.inf)
        mask = (minute > lo_minute) & (minute <= hi_minute)
        return np.bincount(cols["campaign"][start:][mask].astype(np.int64), minlength=n_campaigns)

    def to_json(self) -> str:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, allow_pickle=False, **self.columns())
        return base64.b64encode(buffer.getvalue()).decode("ascii")

    @classmethod
    def from_json(cls, data: str) -> LogStore:
        store = cls()
        with np.load(io.BytesIO(base64.b64decode(data))) as arrays:
            columns = {name: arrays[name] for name in _COLUMNS}
        if columns["tick"].shape[0]:
            store.append(ImpressionChunk(**columns))
        return store
