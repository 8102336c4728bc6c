"""The platform's own CTR/CVR model: refit daily on the full history, deterministic, better than the prior on a day
it has not seen, and the same through the string (``Estimator``) and the code (bidder) paths."""

from __future__ import annotations

import json

import numpy as np

from platforms.sandbox import PriorEstimator, SandboxPlatform
from platforms.sandbox.clock import TICKS_PER_DAY, TICKS_PER_HOUR
from platforms.sandbox.engine import build_features
from platforms.sandbox.learned_estimator import PlatformEstimator, opportunity_codes
from platforms.sandbox.traffic import Opportunities
from tests.sandbox.conftest import small_config


def _day_batch(platform: SandboxPlatform, day: int) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Codes, string features, click and (eventual) conversion labels of one day's impressions."""
    store, pop = platform._store, platform._engine.population
    cols = store.columns()
    idx = store.select(day * TICKS_PER_DAY, (day + 1) * TICKS_PER_DAY)
    tick = cols["tick"][idx].astype(np.int64)
    opps = Opportunities(tick, cols["campaign"][idx], cols["user"][idx], cols["site"][idx], cols["placement"][idx],
                         cols["position"][idx])
    hour, dow = (tick % TICKS_PER_DAY) // TICKS_PER_HOUR, (tick // TICKS_PER_DAY) % 7
    creative, freq = cols["creative"][idx], cols["user_frequency"][idx]
    codes = opportunity_codes(pop, opps, hour, dow, creative, freq)
    rows = (np.array([c.id for c in platform._creatives]), np.array([c.headline for c in platform._creatives]),
            np.array([c.description for c in platform._creatives]))
    features = build_features(pop, opps, hour, dow, np.array([c.id for c in platform._campaigns]), rows, creative,
                              freq)
    return codes, features, cols["clicked"][idx].astype(bool), ~np.isnan(cols["convert_minute"][idx])


def _log_loss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def test_refit_at_each_day_boundary_and_prior_before() -> None:
    platform = SandboxPlatform(small_config())
    model = platform._platform_model
    assert isinstance(model, PlatformEstimator) and platform._estimator is model
    platform.advance(TICKS_PER_DAY - 1)
    assert not model.ready
    platform.advance(1)
    assert model.ready and model.fitted_at == TICKS_PER_DAY
    platform.advance(TICKS_PER_DAY)
    assert model.fitted_at == 2 * TICKS_PER_DAY


def test_prior_option_and_set_estimator_stop_the_refits() -> None:
    prior = SandboxPlatform(small_config(estimator="prior"))
    assert prior._platform_model is None and isinstance(prior._estimator, PriorEstimator)
    platform = SandboxPlatform(small_config())
    fixed = PriorEstimator({"cmp_1": (0.02, 0.05)})
    platform.set_estimator(fixed)
    platform.advance(TICKS_PER_DAY + 1)
    assert platform._estimator is fixed


def test_same_seed_same_model_and_restore_refits_it() -> None:
    a, b = SandboxPlatform(small_config(seed=8)), SandboxPlatform(small_config(seed=8))
    a.advance(2 * TICKS_PER_DAY + 5)
    b.advance(2 * TICKS_PER_DAY + 5)
    restored = SandboxPlatform.restore(json.loads(json.dumps(a.snapshot())))
    codes, _, _, _ = _day_batch(a, 2)
    assert codes.shape[0] > 0
    expected = a._estimator.predict_codes(codes)  # type: ignore[attr-defined]
    for other in (b, restored):
        got = other._estimator.predict_codes(codes)  # type: ignore[attr-defined]
        assert all(np.array_equal(x, y) for x, y in zip(expected, got, strict=True))


def test_better_than_the_prior_on_a_held_out_day_and_both_paths_agree() -> None:
    config = small_config(seed=6, n_campaigns=3, n_users=20_000, traffic_scale=1.0, bid_strategy="target_cpa",
                          estimator="prior")
    platform = SandboxPlatform(config)
    platform.advance(4 * TICKS_PER_DAY)
    model = PlatformEstimator(platform._estimator, [c.id for c in platform._campaigns], platform._clock, 0)  # type: ignore[arg-type]
    model.refit(platform._store, platform._engine.population, [c.id for c in platform._creatives],
                3 * TICKS_PER_DAY)
    codes, features, clicked, converted = _day_batch(platform, 3)
    ctr, cvr = model.predict_codes(codes)
    assert all(np.allclose(x, y) for x, y in zip(model.predict(features), (ctr, cvr), strict=True))
    prior_ctr, prior_cvr = platform._estimator.predict(features)
    assert _log_loss(clicked, ctr) < _log_loss(clicked, prior_ctr)
    assert _log_loss(converted, ctr * cvr) < _log_loss(converted, prior_ctr * prior_cvr)
    assert abs(ctr.mean() / clicked.mean() - 1) < 0.15  # calibrated on average
