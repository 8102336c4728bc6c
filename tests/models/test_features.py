from __future__ import annotations

import numpy as np
import pandas as pd

from models.features import MISSING, RARE, FeatureSchema, FeatureSpec


def _spec() -> FeatureSpec:
    frame = pd.DataFrame(
        {
            "site": ["a", "a", "b", "b", "c", None],
            "price": [1.0, 2.0, None, 4.0, 1e6, 3.0],
            "ts": [1_700_000_000 + 3600 * i for i in range(6)],
            "headline": ["Big sale", "big sale today", None, "new shoes", "", "sale"],
        }
    )
    schema = FeatureSchema(
        categorical=("site",), numeric=("price",), crosses=(("site", "site"),), text=("headline",),
        time_column="ts", frequency=("site",), text_dims=8, min_count=2,
    )  # fmt: skip
    return FeatureSpec.fit(frame, schema)


def test_unseen_and_missing_values_encode_to_reserved_codes() -> None:
    spec = _spec()
    x = spec.encode_rows([{"site": "never-seen", "price": None}, {}, {"site": "a", "price": "not a number"}])
    assert x.shape == (3, spec.n_features)
    assert x[0, 0] == RARE and x[1, 0] == MISSING and x[2, 0] >= 2
    assert x[0, 1] == RARE  # the cross of an unseen value is unseen too
    price = spec.feature_names.index("price")
    assert np.isnan(x[:, price]).all()  # missing and unparsable numbers stay NaN for the models to route


def test_rare_training_values_share_the_rare_bucket() -> None:
    spec = _spec()
    codes = spec.encode_rows([{"site": "c"}, {"site": "zzz"}])[:, 0]
    assert codes.tolist() == [RARE, RARE]


def test_spec_round_trips_through_json_with_a_stable_fingerprint() -> None:
    spec = _spec()
    again = FeatureSpec.from_json(spec.to_json())
    assert again.fingerprint() == spec.fingerprint()
    rows = [{"site": "a", "price": 2.5, "ts": 1_700_000_000, "headline": "Big sale"}]
    assert np.array_equal(again.encode_rows(rows), spec.encode_rows(rows), equal_nan=True)


def test_row_and_column_encodings_agree() -> None:
    spec = _spec()
    rows: list[dict[str, object]] = [
        {"site": "b", "price": 4, "ts": 1_700_003_600, "headline": "new shoes"},
        {"site": None},
    ]
    columns = {k: [r.get(k) for r in rows] for k in ("site", "price", "ts", "headline")}
    assert np.array_equal(spec.encode(columns), spec.encode_rows(rows), equal_nan=True)


def test_numeric_strings_and_floats_are_one_category() -> None:
    spec = FeatureSpec.fit(pd.DataFrame({"c": [7, 7, 7.0, "7"]}), FeatureSchema(categorical=("c",), min_count=1))
    assert len(set(spec.encode_rows([{"c": 7}, {"c": "7"}, {"c": 7.0}])[:, 0])) == 1
