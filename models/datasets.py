"""Loaders: the public log samples in ``../shared/data`` (Criteo TSV, Avazu CSV, TalkingData CSV) and the campaign
store's / sandbox's impression logs, all turned into a :class:`LabelledFrame` with a :class:`FeatureSchema`.

The files are read in place (never copied into the repository). Rows keep their time order (file order when the file
has no timestamp), because validation splits for early stopping and calibration are time-ordered: a model is always
judged on rows that come after the ones it learned from, as in production.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.errors import DatasetError
from models.features import FeatureSchema

__all__ = [
    "ImpressionLog",
    "LabelledFrame",
    "load_avazu",
    "load_criteo",
    "load_impression_logs",
    "load_talkingdata",
    "log_schema",
]

CRITEO_NUMERIC = tuple(f"I{i}" for i in range(1, 14))
CRITEO_CATEGORICAL = tuple(f"C{i}" for i in range(1, 27))
AVAZU_CATEGORICAL = (
    "C1", "banner_pos", "site_id", "site_domain", "site_category", "app_id", "app_domain", "app_category",
    "device_id", "device_ip", "device_model", "device_type", "device_conn_type",
    "C14", "C15", "C16", "C17", "C18", "C19", "C20", "C21",
)  # fmt: skip


@dataclass(frozen=True)
class LabelledFrame:
    """Raw feature columns + a 0/1 label, in time order, with the schema that says how to encode them."""

    name: str
    frame: pd.DataFrame
    label: np.ndarray
    schema: FeatureSchema
    time: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.label)

    def take(self, index: np.ndarray) -> LabelledFrame:
        """Rows at ``index`` (kept in the given order)."""
        return replace(
            self,
            frame=self.frame.iloc[index].reset_index(drop=True),
            label=self.label[index],
            time=None if self.time is None else self.time[index],
        )

    def fingerprint(self) -> str:
        """SHA-256 of the rows and labels: identifies the training data of a registered model."""
        h = hashlib.sha256()
        h.update(pd.util.hash_pandas_object(self.frame, index=False).to_numpy().tobytes())
        h.update(np.ascontiguousarray(self.label, dtype=np.int8).tobytes())
        return h.hexdigest()

    @property
    def base_rate(self) -> float:
        return float(np.mean(self.label)) if len(self.label) else 0.0


def _read(path: Path, **kwargs: Any) -> pd.DataFrame:
    if not path.is_file():
        raise DatasetError(f"data file not found: {path}")
    try:
        return pd.read_csv(path, **kwargs)
    except (ValueError, pd.errors.ParserError) as exc:
        raise DatasetError(f"cannot parse {path}: {exc}") from exc


def load_criteo(folder: Path, parts: Iterable[str] = ("train", "dev", "test")) -> LabelledFrame:
    """Criteo display-ads TSV (header-less: label, I1..I13, C1..C26), the given parts merged in order."""
    names = ["label", *CRITEO_NUMERIC, *CRITEO_CATEGORICAL]
    dtypes = {c: "string" for c in CRITEO_CATEGORICAL}
    frame = pd.concat(
        [_read(folder / f"{p}.tsv", sep="\t", header=None, names=names, dtype=dtypes) for p in parts],
        ignore_index=True,
    )
    schema = FeatureSchema(categorical=CRITEO_CATEGORICAL, numeric=CRITEO_NUMERIC, min_count=2)
    label = frame.pop("label").to_numpy(dtype=np.int8)
    return LabelledFrame("criteo", _objects(frame), label, schema)


def load_avazu(folder: Path, parts: Iterable[str] = ("train", "dev", "test")) -> LabelledFrame:
    """Avazu mobile-ads CSV (with header), the given parts merged in order; ``hour`` is YYMMDDHH (UTC)."""
    frame = pd.concat([_read(folder / f"{p}.csv", dtype=str) for p in parts], ignore_index=True)
    label = frame["click"].astype(int).to_numpy(dtype=np.int8)
    when = pd.to_datetime(frame["hour"], format="%y%m%d%H", utc=True)
    frame = frame[list(AVAZU_CATEGORICAL)].copy()
    frame["ts"] = when.astype("int64").to_numpy() // 10**9
    schema = FeatureSchema(categorical=AVAZU_CATEGORICAL, time_column="ts", min_count=2)
    return LabelledFrame("avazu", _objects(frame), label, schema, time=frame["ts"].to_numpy(dtype=np.float64))


def load_talkingdata(path: Path) -> LabelledFrame:
    """TalkingData clicks → install (``is_attributed``), sorted by click time: the click→conversion (CVR) proxy."""
    frame = _read(path, dtype=str)
    frame.columns = [c.strip().lstrip(".") for c in frame.columns]  # the sample's header reads "..ip"
    frame = frame.sort_values("click_time", kind="stable").reset_index(drop=True)
    label = frame["is_attributed"].astype(int).to_numpy(dtype=np.int8)
    ts = pd.to_datetime(frame["click_time"], utc=True).astype("int64").to_numpy() // 10**9
    feats = frame[["ip", "app", "device", "os", "channel"]].copy()
    feats["ts"] = ts
    schema = FeatureSchema(
        categorical=("ip", "app", "device", "os", "channel"),
        crosses=(("app", "channel"), ("app", "os")),
        frequency=("ip", "app", "channel"),
        time_column="ts",
        min_count=2,
    )
    return LabelledFrame("talkingdata", _objects(feats), label, schema, time=ts.astype(np.float64))


def _objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable string columns → plain object columns with ``None`` for missing (what the spec expects)."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_string_dtype(out[col]) and not pd.api.types.is_numeric_dtype(out[col]):
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


@dataclass(frozen=True)
class ImpressionLog:
    """Impression rows from the campaign store or the sandbox: features, click, and conversion *time*.

    ``converted_at`` is NaN until a conversion arrives; conversions arrive late, so whether a row is a negative
    depends on the time we look (see :mod:`models.cvr`).
    """

    frame: pd.DataFrame
    clicked: np.ndarray
    shown_at: np.ndarray
    converted_at: np.ndarray
    schema: FeatureSchema

    def __len__(self) -> int:
        return len(self.clicked)

    def ctr(self, name: str = "ctr") -> LabelledFrame:
        """Click labels on every impression."""
        return LabelledFrame(name, self.frame, self.clicked.astype(np.int8), self.schema, self.shown_at)


_PREFERRED_CROSSES = (
    ("segment_id", "creative_id"),
    ("segment_id", "placement"),
    ("creative_id", "placement"),
    ("interest", "creative_id"),
    ("site_category", "creative_id"),
    ("campaign_id", "segment_id"),
)


def log_schema(frame: pd.DataFrame, time_column: str | None = "shown_at") -> FeatureSchema:
    """Infer a schema from log features: numbers are numeric; strings are categorical; strings that are mostly
    multi-word (headlines, descriptions) are also creative text. Segment × creative × placement crosses are added
    when those columns exist. The time column gives hour/day context unless the features already carry ``hour``."""
    numeric, categorical, text = [], [], []
    for col in frame.columns:
        values = frame[col].dropna()
        if col == time_column or not len(values):
            continue
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            numeric.append(col)
            continue
        categorical.append(col)
        if values.astype(str).str.contains(" ").mean() > 0.5:
            text.append(col)
    crosses = tuple((a, b) for a, b in _PREFERRED_CROSSES if a in categorical and b in categorical)
    has_context = "hour" in frame.columns
    return FeatureSchema(
        categorical=tuple(categorical),
        numeric=tuple(numeric),
        text=tuple(text),
        crosses=crosses,
        time_column=time_column if time_column in frame.columns and not has_context else None,
        min_count=5,
    )


def load_impression_logs(rows: Iterable[Any], schema: FeatureSchema | None = None) -> ImpressionLog:
    """Impression rows → :class:`ImpressionLog`, sorted by impression time.

    A row is a mapping or an object (e.g. ``platforms.base.ImpressionLogRow``) with ``features`` (dict), ``clicked``,
    ``converted_at`` (datetime / epoch seconds / None) and the impression time as ``timestamp`` or ``shown_at``
    (top level or inside ``features``).
    """
    feats, clicked, shown, converted = [], [], [], []
    for row in rows:
        f = dict(_field(row, "features") or {})
        when = _field(row, "timestamp") or _field(row, "shown_at") or f.get("shown_at")
        f["shown_at"] = _epoch(when)
        feats.append(f)
        clicked.append(bool(_field(row, "clicked")))
        shown.append(f["shown_at"])
        converted.append(_epoch(_field(row, "converted_at")))
    if not feats:
        raise DatasetError("no impression rows given", remedy="generate or sync logs first")
    frame = pd.DataFrame(feats)
    shown_at = np.asarray(shown, dtype=np.float64)
    order = np.argsort(np.nan_to_num(shown_at, nan=-np.inf), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    schema = schema or log_schema(frame)
    return ImpressionLog(
        frame=frame,
        clicked=np.asarray(clicked, dtype=bool)[order],
        shown_at=shown_at[order],
        converted_at=np.asarray(converted, dtype=np.float64)[order],
        schema=schema,
    )


def _field(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def _epoch(value: Any) -> float:
    if value is None:
        return float("nan")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    return pd.Timestamp(str(value)).timestamp()
