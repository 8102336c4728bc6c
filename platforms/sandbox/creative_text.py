"""Creative text → platform rule checks and a hidden, deterministic effect on CTR by segment.

Why deterministic from the text: an LLM-written variant must be better or worse *for reasons in its words*, and the
same text must always score the same. The effect has three parts:

1. **Angles** (price, quality, urgency, social proof, convenience), detected from a small lexicon. Each angle has an
   affinity with age bands and devices (price and urgency pull younger mobile users, quality and social proof older
   desktop users), so the best creative differs by segment.
2. **Craft**: a headline of 15–30 characters, a concrete number, a call to action and a full description help;
   a bare or generic text does not.
3. **Execution noise**: a small term from a hash of the normalised text — the part of "why this ad works" no lexicon
   captures — so two texts with the same angles still differ a little.

Rules (a breach disapproves the creative and emits ``creative_disapproved``): headline 1–30 characters, description
1–90 characters, no banned claims ("guaranteed", "#1", "free money", "risk-free", "miracle", "100% effective",
"cure"), no excessive capitals (over 40 % of ≥ 10 letters, or 3+ consecutive all-caps words), no "!!" / "??" and at
most one "!" in total.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import numpy as np

from platforms.sandbox.vocabulary import AGE_BANDS, DEVICES

__all__ = ["ANGLES", "CreativeAnalysis", "analyse", "effect_by_segment", "rule_violations"]

ANGLES: tuple[str, ...] = ("price", "quality", "urgency", "social_proof", "convenience")
HEADLINE_MAX = 30
DESCRIPTION_MAX = 90

_LEXICON: dict[str, tuple[str, ...]] = {
    "price": ("save", "sale", "discount", "% off", "deal", "price", "affordable", "bargain", "cheaper", "under $"),
    "quality": ("premium", "crafted", "quality", "durable", "expert", "award", "handmade", "engineered", "built to"),
    "urgency": ("today", "now", "hurry", "limited", "last chance", "ends", "tonight", "this week", "while stocks"),
    "social_proof": ("customers", "rated", "reviews", "trusted", "loved", "join", "thousands", "stars", "members"),
    "convenience": ("easy", "fast", "delivery", "minutes", "simple", "returns", "one tap", "anywhere", "shipping"),
}
_BANNED = ("guaranteed", "guarantee", "#1", "free money", "risk-free", "risk free", "miracle", "100% effective", "cure")
_CTA = ("shop", "get", "try", "book", "order", "start", "join", "discover", "save", "download", "sign up", "learn")

_ANGLE_BASE = np.array([0.10, 0.08, 0.06, 0.09, 0.07])
_ANGLE_AGE = np.array(
    [
        [0.30, 0.22, 0.05, -0.10, -0.20, -0.25],
        [-0.25, -0.10, 0.10, 0.22, 0.28, 0.30],
        [0.25, 0.20, 0.08, -0.08, -0.20, -0.28],
        [-0.10, 0.02, 0.15, 0.20, 0.15, 0.10],
        [0.05, 0.18, 0.20, 0.08, -0.05, -0.12],
    ]
)
_ANGLE_DEVICE = np.array(
    [[0.10, -0.08, 0.0], [-0.10, 0.12, 0.05], [0.12, -0.10, -0.02], [0.0, 0.05, 0.05], [0.10, -0.05, 0.02]]
)


@dataclass(frozen=True)
class CreativeAnalysis:
    angles: tuple[float, ...]
    craft: float
    noise: float
    violations: tuple[str, ...]


def rule_violations(headline: str, description: str) -> tuple[str, ...]:
    """Platform-policy reasons to disapprove the text; empty when it complies."""
    reasons: list[str] = []
    if not headline.strip():
        reasons.append("headline_empty")
    if len(headline) > HEADLINE_MAX:
        reasons.append(f"headline_too_long: {len(headline)} > {HEADLINE_MAX} characters")
    if not description.strip():
        reasons.append("description_empty")
    if len(description) > DESCRIPTION_MAX:
        reasons.append(f"description_too_long: {len(description)} > {DESCRIPTION_MAX} characters")
    text = f"{headline} {description}"
    lowered = text.lower()
    reasons.extend(f"banned_claim: {claim!r}" for claim in _BANNED if claim in lowered)
    letters = [c for c in text if c.isalpha()]
    upper_share = sum(c.isupper() for c in letters) / max(len(letters), 1)
    if (len(letters) >= 10 and upper_share > 0.4) or re.search(r"\b[A-Z]{2,}\s+[A-Z]{2,}\s+[A-Z]{2,}\b", text):
        reasons.append("excessive_capitals")
    if "!!" in text or "??" in text or text.count("!") > 1:
        reasons.append("excessive_punctuation")
    return tuple(dict.fromkeys(reasons))


def _angle_scores(lowered: str) -> np.ndarray:
    counts = np.array([sum(lowered.count(word) for word in _LEXICON[a]) for a in ANGLES], dtype=float)
    return np.minimum(counts, 2.0) / 2.0


def _craft(headline: str, description: str, lowered: str) -> float:
    score = 0.0
    score += 0.08 if 15 <= len(headline) <= HEADLINE_MAX else -0.06
    score += 0.07 if re.search(r"\d", lowered) else 0.0
    score += 0.08 if any(re.search(rf"\b{re.escape(cta)}\b", lowered) for cta in _CTA) else -0.05
    score += 0.05 if len(description) >= 45 else -0.05
    return score


def _noise(normalised: str) -> float:
    digest = hashlib.sha256(normalised.encode("utf-8")).digest()
    return (int.from_bytes(digest[:4], "big") / 2**32 - 0.5) * 0.16


def analyse(headline: str, description: str) -> CreativeAnalysis:
    lowered = f"{headline} {description}".lower()
    normalised = " ".join(re.findall(r"[a-z0-9%$#]+", lowered))
    return CreativeAnalysis(
        angles=tuple(float(x) for x in _angle_scores(lowered)),
        craft=_craft(headline, description, lowered),
        noise=_noise(normalised),
        violations=rule_violations(headline, description),
    )


def effect_by_segment(headline: str, description: str) -> np.ndarray:
    """Additive CTR logit effect of the text, shape ``(len(AGE_BANDS), len(DEVICES))``. Hidden truth."""
    info = analyse(headline, description)
    angles = np.asarray(info.angles)
    by_age = angles @ (_ANGLE_BASE[:, None] + _ANGLE_AGE)
    by_device = angles @ _ANGLE_DEVICE
    effect = by_age[:, None] + by_device[None, :] + info.craft + info.noise
    assert effect.shape == (len(AGE_BANDS), len(DEVICES))
    return np.asarray(1.6 * effect)
