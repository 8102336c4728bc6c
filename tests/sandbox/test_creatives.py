from __future__ import annotations

import numpy as np
import pytest

from platforms.base import CreativeStatus, EventType, PolicyRejected
from platforms.sandbox import SandboxPlatform
from platforms.sandbox.creative_text import effect_by_segment, rule_violations


@pytest.mark.parametrize(
    ("headline", "description", "reason"),
    [
        ("A headline that is far too long to fit", "Fine text.", "headline_too_long"),
        ("Short", "x" * 91, "description_too_long"),
        ("Guaranteed results", "Shop our range today.", "banned_claim"),
        ("We are #1 in shoes", "Shop our range today.", "banned_claim"),
        ("Free money for runners", "Shop our range today.", "banned_claim"),
        ("BEST SHOES EVER MADE", "Shop our range today.", "excessive_capitals"),
        ("Shoes on sale!!!", "Shop our range today.", "excessive_punctuation"),
    ],
)
def test_rule_breaking_text_is_flagged(headline: str, description: str, reason: str) -> None:
    assert any(r.startswith(reason) for r in rule_violations(headline, description))


def test_compliant_text_passes() -> None:
    assert rule_violations("Running Shoes 30% Off Today", "Save on top models. Free returns. Shop now.") == ()


def test_disapproved_creative_emits_event_and_cannot_run(sandbox: SandboxPlatform) -> None:
    result = sandbox.create_creative("cmp_1", "GUARANTEED WINS!!!", "Miracle shoes.", idempotency_key="c1")
    assert isinstance(result.after, dict) and result.after["status"] == "disapproved"
    creative_id = str(result.after["creative_id"])
    events = [e for e in sandbox.poll_events("acc_demo", limit=1000) if e.type is EventType.CREATIVE_DISAPPROVED]
    assert [e.data["creative_id"] for e in events] == [creative_id]
    created = {c.id: c for c in sandbox.list_creatives("cmp_1")}[creative_id]
    assert created.status is CreativeStatus.DISAPPROVED and created.disapproval_reasons
    with pytest.raises(PolicyRejected) as info:
        sandbox.resume_creative(creative_id, idempotency_key="c2")
    assert info.value.reasons and info.value.remedy


def test_text_effect_is_deterministic_and_segment_dependent() -> None:
    price = effect_by_segment("Running Shoes 30% Off Today", "Save big in our sale, deals end tonight. Shop now.")
    quality = effect_by_segment("Premium Handmade Shoes", "Crafted by experts, durable and award winning. Shop.")
    assert np.array_equal(price, effect_by_segment("Running Shoes 30% Off Today",
                                                   "Save big in our sale, deals end tonight. Shop now."))
    young_mobile, old_desktop = (0, 0), (5, 1)
    assert price[young_mobile] - quality[young_mobile] > 0 > price[old_desktop] - quality[old_desktop]
