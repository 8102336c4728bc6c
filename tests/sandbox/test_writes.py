from __future__ import annotations

import json

import pytest

from platforms.base import (
    IdempotencyConflict,
    InvalidValue,
    PlatformObjectNotFound,
    RateLimited,
    WriteStatus,
)
from platforms.sandbox import SandboxPlatform
from tests.sandbox.conftest import small_config


def _state(platform: SandboxPlatform) -> str:
    return json.dumps(platform.snapshot(), sort_keys=True)


def test_validate_only_changes_nothing(sandbox: SandboxPlatform) -> None:
    before = _state(sandbox)
    writes = [
        sandbox.set_daily_budget("cmp_1", 77_000_000, idempotency_key="a", validate_only=True),
        sandbox.set_target_cpa("cmp_1", 9_000_000, idempotency_key="b", validate_only=True),
        sandbox.set_bid_multiplier("cmp_1", 2.0, idempotency_key="c", validate_only=True),
        sandbox.set_segment_modifier("cmp_1", "seg_18-24_mobile", 1.5, idempotency_key="d", validate_only=True),
        sandbox.set_segment_exclusion("cmp_1", "seg_18-24_mobile", True, idempotency_key="e", validate_only=True),
        sandbox.set_daypart_modifiers("cmp_1", [0.5] * 24, idempotency_key="f", validate_only=True),
        sandbox.set_placement_modifier("cmp_1", "banner", 0.5, idempotency_key="g", validate_only=True),
        sandbox.set_frequency_cap("cmp_1", 3, idempotency_key="h", validate_only=True),
        sandbox.create_creative("cmp_1", "New Shoes", "Shop now, save 20%.", idempotency_key="i",
                                validate_only=True),
        sandbox.pause_creative("cr_0001", idempotency_key="j", validate_only=True),
        sandbox.pause_campaign("cmp_1", idempotency_key="k", validate_only=True),
    ]
    assert all(w.status is WriteStatus.VALIDATED and w.applied_at is None for w in writes)
    assert writes[0].before != writes[0].after
    assert _state(sandbox) == before
    with pytest.raises(InvalidValue):
        sandbox.set_daily_budget("cmp_1", 10, idempotency_key="z", validate_only=True)


def test_repeated_idempotency_key_is_a_noop(sandbox: SandboxPlatform) -> None:
    first = sandbox.set_daily_budget("cmp_1", 50_000_000, idempotency_key="budget-1")
    assert first.status is WriteStatus.APPLIED
    sandbox.set_daily_budget("cmp_1", 60_000_000, idempotency_key="budget-2")
    state = _state(sandbox)
    again = sandbox.set_daily_budget("cmp_1", 50_000_000, idempotency_key="budget-1")
    assert again.status is WriteStatus.DUPLICATE
    assert (again.before, again.after, again.applied_at) == (first.before, first.after, first.applied_at)
    assert sandbox.get_controls("cmp_1").daily_budget_micros == 60_000_000
    assert _state(sandbox) == state
    with pytest.raises(IdempotencyConflict):
        sandbox.set_daily_budget("cmp_1", 70_000_000, idempotency_key="budget-1")


def test_repeated_create_creative_creates_once(sandbox: SandboxPlatform) -> None:
    n = len(sandbox.list_creatives("cmp_1"))
    a = sandbox.create_creative("cmp_1", "Trail Shoes 20% Off", "Shop the sale today.", idempotency_key="cc")
    b = sandbox.create_creative("cmp_1", "Trail Shoes 20% Off", "Shop the sale today.", idempotency_key="cc")
    assert len(sandbox.list_creatives("cmp_1")) == n + 1
    assert a.after == b.after and b.status is WriteStatus.DUPLICATE


def test_before_and_after_make_an_inverse(sandbox: SandboxPlatform) -> None:
    result = sandbox.set_bid_multiplier("cmp_1", 1.7, idempotency_key="m1")
    assert (result.before, result.after) == (1.0, 1.7)
    sandbox.set_bid_multiplier("cmp_1", float(result.before), idempotency_key="m1-undo")  # type: ignore[arg-type]
    assert sandbox.get_controls("cmp_1").bid_multiplier == 1.0


@pytest.mark.parametrize(
    "call",
    [
        lambda p: p.set_daily_budget("cmp_1", 12.5, idempotency_key="x"),
        lambda p: p.set_daily_budget("cmp_1", True, idempotency_key="x"),
        lambda p: p.set_bid_multiplier("cmp_1", 50.0, idempotency_key="x"),
        lambda p: p.set_daypart_modifiers("cmp_1", [1.0] * 23, idempotency_key="x"),
        lambda p: p.set_placement_modifier("cmp_1", "billboard", 1.0, idempotency_key="x"),
        lambda p: p.set_segment_modifier("cmp_1", "seg_nope", 1.0, idempotency_key="x"),
        lambda p: p.set_frequency_cap("cmp_1", 0, idempotency_key="x"),
        lambda p: p.set_target_cpa("cmp_1", -5, idempotency_key="x"),
        lambda p: p.set_bid_multiplier("cmp_1", 1.0, idempotency_key=""),
    ],
)
def test_invalid_values_are_refused_with_a_remedy(sandbox: SandboxPlatform, call) -> None:
    with pytest.raises(InvalidValue) as info:
        call(sandbox)
    assert info.value.remedy and info.value.field


def test_unknown_ids_raise_not_found(sandbox: SandboxPlatform) -> None:
    with pytest.raises(PlatformObjectNotFound):
        sandbox.set_daily_budget("cmp_404", 5_000_000, idempotency_key="nf")
    with pytest.raises(PlatformObjectNotFound):
        sandbox.pause_creative("cr_404", idempotency_key="nf2")
    with pytest.raises(PlatformObjectNotFound):
        sandbox.list_campaigns("acc_other")


def test_rate_limit_per_tick() -> None:
    platform = SandboxPlatform(small_config(max_writes_per_tick=3))
    for i in range(3):
        platform.set_bid_multiplier("cmp_1", 1.0 + i / 10, idempotency_key=f"r{i}")
    with pytest.raises(RateLimited) as info:
        platform.set_bid_multiplier("cmp_1", 2.0, idempotency_key="r3")
    assert 0 < info.value.retry_after_s <= 1800
    assert platform.set_bid_multiplier("cmp_1", 1.0, idempotency_key="r0").status is WriteStatus.DUPLICATE
    platform.advance(1)
    assert platform.set_bid_multiplier("cmp_1", 2.0, idempotency_key="r3").status is WriteStatus.APPLIED
