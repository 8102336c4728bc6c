from __future__ import annotations

import numpy as np
import pytest

from models.artifacts import MAGIC, pack, unpack
from models.bundle import TrainedModel
from models.errors import ArtifactCorrupt, ArtifactMismatch


def test_artifact_round_trip_predicts_the_same(criteo_lgbm, criteo_split) -> None:
    data = criteo_lgbm.to_bytes()
    assert data.startswith(MAGIC)
    again = TrainedModel.from_bytes(data, expect_kind="ctr", expect_spec_sha256=criteo_lgbm.spec.fingerprint())
    x = criteo_lgbm.spec.encode(criteo_split[1].frame)
    assert np.array_equal(again.predict(x), criteo_lgbm.predict(x))
    assert again.meta["data_fingerprint"] == criteo_lgbm.meta["data_fingerprint"]


def test_flipped_byte_is_rejected_as_corrupt(criteo_lgbm) -> None:
    data = bytearray(criteo_lgbm.to_bytes())
    data[-100] ^= 0xFF
    with pytest.raises(ArtifactCorrupt, match="SHA-256") as err:
        TrainedModel.from_bytes(bytes(data))
    assert err.value.remedy


@pytest.mark.parametrize("mangle", [lambda b: b[:-10], lambda b: b"XXXXXXXX" + b[8:], lambda b: b[:5], lambda b: b""])
def test_truncated_or_foreign_bytes_are_rejected(criteo_lgbm, mangle) -> None:
    with pytest.raises(ArtifactCorrupt):
        TrainedModel.from_bytes(mangle(criteo_lgbm.to_bytes()))


def test_wrong_kind_or_spec_is_a_mismatch(criteo_lgbm) -> None:
    data = criteo_lgbm.to_bytes()
    with pytest.raises(ArtifactMismatch, match="'ctr' model"):
        TrainedModel.from_bytes(data, expect_kind="cvr")
    with pytest.raises(ArtifactMismatch, match="feature spec"):
        TrainedModel.from_bytes(data, expect_spec_sha256="0" * 64)


def test_unknown_format_version_is_a_mismatch() -> None:
    data = bytearray(pack("ctr", "lgbm", "0" * 64, {"spec": b"{}"}, {}))
    data[8] = 99  # format version field
    with pytest.raises(ArtifactMismatch, match="format version"):
        unpack(bytes(data))
