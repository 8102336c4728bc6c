"""Deterministic creative text checks (length limits, banned claims, caps and punctuation). Used by the guardrail
engine and by the creative strategist before it scores variants, so a rule-breaking text never reaches a platform."""

from __future__ import annotations

import re

from guardrails.policy import CreativeRules

__all__ = ["creative_violations"]

_WORD = re.compile(r"[A-Za-z]+")


def creative_violations(headline: str, description: str, rules: CreativeRules) -> list[str]:
    """Every rule the text breaks, as readable reasons (empty list = passes)."""
    problems: list[str] = []
    if not headline.strip():
        problems.append("headline is empty")
    if len(headline) > rules.max_headline_chars:
        problems.append(f"headline has {len(headline)} characters (max {rules.max_headline_chars})")
    if len(description) > rules.max_description_chars:
        problems.append(f"description has {len(description)} characters (max {rules.max_description_chars})")
    text = f"{headline} {description}"
    lowered = text.lower()
    for phrase in rules.banned_phrases:
        if phrase.lower() in lowered:
            problems.append(f"banned claim {phrase!r}")
    letters = [c for c in text if c.isalpha()]
    caps_words = [w for w in _WORD.findall(text) if len(w) > 1 and w.isupper()]
    if letters and sum(c.isupper() for c in letters) / len(letters) > rules.max_caps_ratio:
        problems.append("too many capital letters")
    elif len(caps_words) > 2:
        problems.append(f"too many all-caps words ({len(caps_words)})")
    if text.count("!") > rules.max_exclamations:
        problems.append(f"{text.count('!')} exclamation marks (max {rules.max_exclamations})")
    if re.search(r"[!?.]{2,}", text):
        problems.append("repeated punctuation")
    if any(ord(c) < 32 for c in text):
        problems.append("control characters")
    return problems
